#pragma once

#include <functional>

#include "app/bearer_auth.hpp"
#include "core/engine.hpp"
#include "net/router.hpp"

namespace crisisline::app {

// Read-only JSON views of the live state (a contact's detail is in
// console_endpoints, where its reads are audited):
//   GET /v1/queue           every waiting contact in rank order, with why
//   GET /v1/nurses          each nurse's status, state and load
// They read the engine on the io thread; `now` gives the time for waits.
// Until staff accounts exist these take an integration bearer token.
void add_view_routes(net::router& r, const core::engine& engine, const bearer_auth& auth,
                     std::function<core::timestamp()> now);

}  // namespace crisisline::app
