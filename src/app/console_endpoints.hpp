#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "app/access.hpp"
#include "app/audit_trail.hpp"
#include "app/console_request.hpp"
#include "app/event_pipeline.hpp"
#include "core/engine.hpp"
#include "net/router.hpp"

// The staff console's HTTP API (README "Console API"):
//   POST /v1/console/{shift/start, shift/end, status, take-next, wrap-up-done}
//   POST /v1/contacts/{id}/{accept, decline, notes, triage, reply, transfer, close, callback}
//   POST /v1/handovers/{id}/acknowledge
//   GET  /v1/console/offers, /v1/console/contacts, /v1/handovers[?for=me],
//        /v1/supervisor
// (GET /v1/contacts/{id} is engine_views' contact_view.) Commands on a
// contact are on the audit trail, committed with their event.
// Every command becomes one ConsoleCommand event acted by the caller, and is
// answered only after it has committed: 200 {"seq"}, or 409 with the
// engine's reason (the refused command is still in the log). Runs on the io
// thread.
namespace crisisline::app {

struct console_settings {
  console_limits limits;
  std::uint32_t retry_after_seconds = 1;
};

class console_api {
 public:
  console_api(event_pipeline& pipeline, const core::engine& engine, console_settings settings,
              std::function<core::timestamp()> now, audit_trail& audit);

  // POST routes: `action` as in parse_console_command, `target` the id from the path.
  void command(const principal& who, const net::http_request& req, std::string_view action,
               std::uint64_t target, net::responder respond);

  [[nodiscard]] net::http_response offers(const principal& who) const;
  [[nodiscard]] net::http_response my_contacts(const principal& who) const;
  [[nodiscard]] net::http_response handovers(const principal& who,
                                             const net::http_request& req) const;
  [[nodiscard]] net::http_response supervisor() const;

 private:
  event_pipeline& pipeline_;
  const core::engine& engine_;
  console_settings settings_;
  std::function<core::timestamp()> now_;
  audit_trail& audit_;
};

void add_console_routes(net::router& r, const authenticator& auth, console_api& api);

}  // namespace crisisline::app
