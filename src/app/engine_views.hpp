#pragma once

#include <functional>

#include "app/access.hpp"
#include "app/audit_trail.hpp"
#include "core/engine.hpp"

namespace crisisline::app {

// Read-only JSON views of the live state, registered (with their role rules)
// in serve.cpp:
//   GET /v1/queue           every waiting contact in rank order, with why
//   GET /v1/nurses          each nurse's status, state and load
//   GET /v1/contacts/{id}   one contact: band and how it was set, risk rules
//                           fired, triage history, notes, replies, timings
// They read the engine on the io thread; `now` gives the time for waits.
[[nodiscard]] guarded_handler queue_view(const core::engine& engine,
                                         std::function<core::timestamp()> now);
[[nodiscard]] guarded_handler nurses_view(const core::engine& engine);
// Registered with router::add_prefix("GET", "/v1/contacts/"). Every read
// (also of an unknown id) is on the audit trail before the answer goes out,
// with the caller's X-Access-Reason header (break-glass reason, at most 500
// bytes) if given; 503 with Retry-After if the trail cannot take the row.
[[nodiscard]] guarded_handler contact_view(const core::engine& engine, audit_trail& audit,
                                           std::uint32_t retry_after_seconds);
// The 403 for a role that may not read contacts, audited as "denied" first.
[[nodiscard]] denied_handler contact_denied(audit_trail& audit, std::uint32_t retry_after_seconds);

}  // namespace crisisline::app
