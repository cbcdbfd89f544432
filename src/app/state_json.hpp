#pragma once

#include <boost/json.hpp>

#include "core/engine.hpp"
#include "net/http_message.hpp"

// JSON shapes of live state shared by the HTTP views, the console API and the
// live feed, so a contact or a nurse looks the same wherever it is shown.
namespace crisisline::app {

// One row of GET /v1/queue.
[[nodiscard]] boost::json::object queue_entry_json(const core::queue_entry_view& q);
// One entry of GET /v1/nurses (also the "nurse" of /v1/me and the feed).
[[nodiscard]] boost::json::object nurse_json(const core::nurse_view& n);
// A contact's own record (band, triage history, notes, replies, timings).
[[nodiscard]] boost::json::object contact_json(const core::contact& c);
// The outbound texts of a contact, with their delivery status.
[[nodiscard]] boost::json::array outbound_json(const core::engine& engine, core::contact_id id);

[[nodiscard]] net::http_response json_response(const boost::json::value& v, int status = 200);

}  // namespace crisisline::app

namespace crisisline::app {

// The console's short form of a contact: {"contact_id","channel","band",
// "area","state","nurse","since","last_message_at","unread"}.
[[nodiscard]] boost::json::object console_contact_json(const core::contact& c);
// What is on offer to `nurse`: [{"contact_id","channel","band","area",
// "waited_seconds","expires_in_seconds","summary"}].
[[nodiscard]] boost::json::array offers_json(const core::engine& engine,
                                             const core::nurse_id& nurse, core::timestamp now);
// The contacts with `nurse`, short form.
[[nodiscard]] boost::json::array my_contacts_json(const core::engine& engine,
                                                  const core::nurse_id& nurse);
[[nodiscard]] boost::json::object handover_json(const core::handover& h);
// GET /v1/contacts/{id}: the record (contact_json), its outbound texts, the
// conversation ("messages"), the person's earlier contacts linked by sender
// key ("history", newest first, at most `max_history`) and the latest
// "crisis_plan" note across them.
[[nodiscard]] boost::json::object contact_detail_json(const core::engine& engine,
                                                      const core::contact& c,
                                                      std::size_t max_history = 50);
// The queue's totals: {"by_band":{"A":n,...},"waiting":n,"breached":n,"longest_wait_seconds":s}.
[[nodiscard]] boost::json::object queue_totals_json(
    const std::vector<core::queue_entry_view>& snapshot);

}  // namespace crisisline::app
