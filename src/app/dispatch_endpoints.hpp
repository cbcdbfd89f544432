#pragma once

#include <boost/json/object.hpp>

#include <functional>

#include "app/access.hpp"
#include "app/event_pipeline.hpp"
#include "core/engine.hpp"
#include "net/router.hpp"

// The dispatch HTTP API (README "Response-car dispatch"), JSON:
//   POST /v1/contacts/{id}/incident            raise an incident from a contact
//   GET  /v1/incidents[?open=true]             incidents, newest first
//   GET  /v1/incidents/{id}                    one incident with assignments and history
//   GET  /v1/incidents/{id}/recommendation     ranked units with ETA and reasons
//   POST /v1/incidents/{id}/{action}           assign, stand-down, link, monitor, queue,
//                                              end, reopen, re-alert, confirm-by-radio
//   GET  /v1/units                             every unit and what it is doing
//   POST /v1/units/{id}/status                 a dispatcher sets a status for the crew
// Command bodies are the protobuf JSON mapping of the matching DispatchCommand
// (or CrewStatus) message; ids in the path fill the message. A command is
// answered after its event is committed: 200 with the incident or unit, 409
// {"error":"rejected"} with the reason when the board refuses it (it is still
// logged), 400 for malformed input, 404 for an unknown incident or unit. An
// Idempotency-Key header makes a retry a duplicate instead of a second command.
// io thread only.
namespace crisisline::app {

struct dispatch_api_roles {
  // Read incidents and units; raise, assign, stand down and the incident lifecycle.
  std::vector<staff_role> staff = {staff_role::nurse, staff_role::supervisor, staff_role::admin,
                                   staff_role::integration};
  // Re-alert, confirm by radio, set a unit's status.
  std::vector<staff_role> dispatchers = {staff_role::supervisor, staff_role::admin,
                                         staff_role::integration};
};

void add_dispatch_routes(net::router& r, const authenticator& auth, event_pipeline& pipeline,
                         const core::engine& engine, std::function<core::timestamp()> now,
                         const dispatch_api_roles& roles = {});

// The incident as the API shows it; `detail` adds every assignment's steps
// and the incident's history. Also the "dispatch" field of GET /v1/contacts/{id}.
[[nodiscard]] boost::json::object incident_json(const core::engine& engine,
                                                const core::dispatch::incident& inc, bool detail);

// The incidents `contact` is linked to (incident_json, without detail): the
// nurse's view of the crews, in GET /v1/contacts/{id} and the console feed.
[[nodiscard]] boost::json::array contact_dispatch_json(const core::engine& engine,
                                                       core::contact_id contact);

}  // namespace crisisline::app
