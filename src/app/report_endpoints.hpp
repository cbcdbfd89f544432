#pragma once

#include <functional>

#include "app/bearer_auth.hpp"
#include "core/engine.hpp"
#include "net/router.hpp"

namespace crisisline::app {

// KPIs for supervisors, from the live engine's contacts (the state replaying
// the log gives, so the figures equal `crisisline report` run on the same log):
//   GET /v1/reports/kpi?from=T&to=T[&format=json|csv|text]
//   GET /v1/reports/kpi?month=YYYY-MM[&format=...]
// T is ISO 8601 UTC ("2024-05-01T09:00:00Z", percent-encoded or not); the
// window is [from, to). Default format json. 400 invalid_window for a missing
// or bad window, 400 invalid_format for another format, 401 without a valid
// bearer token (integration tokens until staff accounts exist).
//
// Runs on the io thread and walks every contact (see core::kpi::timings_of).
void add_report_routes(net::router& r, const core::engine& engine, const bearer_auth& auth,
                       std::function<core::timestamp()> now);

}  // namespace crisisline::app
