#include "app/state_json.hpp"

#include <algorithm>
#include <chrono>

#include "app/report_format.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace {

double secs(core::duration d) {
  return std::chrono::duration<double>(d).count();
}

json::value opt_time(const std::optional<core::timestamp>& t) {
  return t ? json::value(iso8601(*t)) : json::value(nullptr);
}

std::string_view tier_name(core::urgency_queue::tier t) {
  switch (t) {
    case core::urgency_queue::tier::emergency:
      return "emergency";
    case core::urgency_queue::tier::overdue:
      return "overdue";
    case core::urgency_queue::tier::normal:
      return "normal";
  }
  return "normal";
}

std::string_view route_name(core::route_of_access r) {
  switch (r) {
    case core::route_of_access::nhs111_option2:
      return "nhs111_option2";
    case core::route_of_access::local_line:
      return "local_line";
    case core::route_of_access::sms_keyword:
      return "sms_keyword";
    case core::route_of_access::professional_line:
      return "professional_line";
    case core::route_of_access::unspecified:
      return "unspecified";
  }
  return "unspecified";
}

}  // namespace

json::object queue_entry_json(const core::queue_entry_view& q) {
  return {{"rank", q.rank},
          {"contact_id", q.contact.value()},
          {"band", core::triage_code(q.band)},
          {"channel", core::to_string(q.kind)},
          {"area", q.area},
          {"arrived", iso8601(q.arrival)},
          {"waited_seconds", secs(q.waited)},
          {"time_to_breach_seconds", secs(q.time_to_breach)},
          {"time_to_max_wait_seconds", secs(q.time_to_max_wait)},
          {"tier", tier_name(q.tier)},
          {"offered_to", q.offered_to ? json::value(q.offered_to->value()) : json::value(nullptr)},
          {"callback", q.callback},
          {"reason", q.reason}};
}

json::object nurse_json(const core::nurse_view& n) {
  json::array contacts;
  for (const auto& c : n.contacts) contacts.push_back(c.value());
  return {{"nurse_id", n.id.value()},
          {"status", core::to_string(n.status)},
          {"state", core::to_string(n.state)},
          {"skills", json::value_from(n.skills)},
          {"areas", json::value_from(n.areas)},
          {"calls", n.calls},
          {"texts", n.texts},
          {"text_capacity", n.text_capacity},
          {"contacts", contacts},
          {"offered_contact",
           n.offered_contact ? json::value(n.offered_contact->value()) : json::value(nullptr)},
          {"wrap_up_until", opt_time(n.wrap_up_until)},
          {"free_since", iso8601(n.free_since)},
          {"on_shift_since", iso8601(n.signed_on_at)},
          {"shift_id", n.shift_id ? json::value(*n.shift_id) : json::value(nullptr)}};
}

json::object contact_json(const core::contact& c) {
  json::array history;
  for (const auto& t : c.triage_history) {
    history.push_back(json::object{{"at", iso8601(t.at)},
                                   {"from", core::triage_code(t.from)},
                                   {"to", core::triage_code(t.to)},
                                   {"source", core::to_string(t.source)},
                                   {"by", t.by},
                                   {"reason", t.reason}});
  }
  json::array notes;
  for (const auto& n : c.notes)
    notes.push_back(json::object{{"at", iso8601(n.at)}, {"by", n.by}, {"text", n.text}});
  json::array replies;
  for (const auto& r : c.replies) {
    replies.push_back(json::object{{"at", iso8601(r.at)},
                                   {"by", r.by},
                                   {"body", r.body},
                                   {"clinically_necessary", r.clinically_necessary}});
  }
  json::array declines;
  for (const auto& d : c.declines) {
    declines.push_back(
        json::object{{"at", iso8601(d.at)}, {"by", d.by.value()}, {"reason", d.reason}});
  }
  return {
      {"contact_id", c.id.value()},
      {"channel", core::to_string(c.kind)},
      {"route", route_name(c.route)},
      {"area", c.area},
      {"from", c.from},
      {"from_withheld", c.from_withheld},
      {"call_id", c.call_id},
      {"connect_requested", c.connect_requested},
      {"state", core::to_string(c.state)},
      {"band", core::triage_code(c.band)},
      {"band_set_by", core::to_string(c.band_set_by)},
      {"nurse_triaged", c.nurse_triaged},
      {"risk_rules", json::value_from(c.risk_rules)},
      {"triage_history", history},
      {"notes", notes},
      {"replies", replies},
      {"declines", declines},
      {"messages_in", c.messages_in},
      {"created", iso8601(c.created)},
      {"arrival", iso8601(c.arrival)},
      {"callback_of", c.callback_of ? json::value(c.callback_of->value()) : json::value(nullptr)},
      {"callback_due", opt_time(c.callback_due)},
      {"offered_to", c.offered_to ? json::value(c.offered_to->value()) : json::value(nullptr)},
      {"nurse", c.nurse ? json::value(c.nurse->value()) : json::value(nullptr)},
      {"answered", opt_time(c.answered_time)},
      {"abandoned", opt_time(c.abandoned_time)},
      {"closed", opt_time(c.closed_time)},
      {"exit", core::to_string(c.exit)},
      {"outcome_code", c.outcome_code}};
}

json::array outbound_json(const core::engine& engine, core::contact_id id) {
  json::array out;
  for (const auto& [oid, t] : engine.outbox().all()) {
    if (t.contact != id) continue;
    out.push_back(json::object{{"outbound_id", oid},
                               {"status", core::to_string(t.status)},
                               {"clinically_necessary", t.clinically_necessary},
                               {"attempts", t.attempts},
                               {"provider_message_id", t.provider_message_id},
                               {"delivery_status", t.delivery_status},
                               {"error", t.last_error},
                               {"requested", iso8601(t.requested)},
                               {"by", t.requested_by}});
  }
  return out;
}

net::http_response json_response(const json::value& v, int status) {
  return net::http_response{status, "application/json", {}, json::serialize(v)};
}

}  // namespace crisisline::app

namespace crisisline::app {
namespace json = boost::json;

json::object console_contact_json(const core::contact& c) {
  std::optional<core::timestamp> last_in;
  if (!c.inbound.empty()) last_in = c.inbound.back().at;
  // Texts that came in since anyone last replied (or since it was answered).
  std::optional<core::timestamp> seen = c.answered_time;
  if (!c.replies.empty() && (!seen || c.replies.back().at > *seen)) seen = c.replies.back().at;
  std::size_t unread = 0;
  for (auto it = c.inbound.rbegin(); it != c.inbound.rend() && (!seen || it->at > *seen); ++it) {
    ++unread;
  }
  return {{"contact_id", c.id.value()},
          {"channel", core::to_string(c.kind)},
          {"band", core::triage_code(c.band)},
          {"area", c.area},
          {"state", core::to_string(c.state)},
          {"nurse", c.nurse ? json::value(c.nurse->value()) : json::value(nullptr)},
          {"offered_to", c.offered_to ? json::value(c.offered_to->value()) : json::value(nullptr)},
          {"since", opt_time(c.answered_time)},
          {"last_message_at", opt_time(last_in)},
          {"last_activity", iso8601(core::last_activity(c))},
          {"unread", unread},
          {"risk_rules", json::value_from(c.risk_rules)}};
}

json::array offers_json(const core::engine& engine, const core::nurse_id& nurse,
                        core::timestamp now) {
  json::array out;
  const auto n = engine.find_nurse(nurse);
  if (!n || !n->offered_contact) return out;
  const core::contact* c = engine.find_contact(*n->offered_contact);
  if (!c) return out;
  const auto expires = c->offer_expires.value_or(now);
  std::string summary =
      std::string(core::to_string(c->kind)) + ", band " + std::string(core::triage_code(c->band));
  if (!c->area.empty()) summary += ", area " + c->area;
  if (!c->risk_rules.empty()) summary += ", risk signals: " + std::to_string(c->risk_rules.size());
  if (c->kind == core::channel::text) {
    summary += ", " + std::to_string(c->messages_in) + " text(s)";
  }
  out.push_back(
      json::object{{"contact_id", c->id.value()},
                   {"channel", core::to_string(c->kind)},
                   {"band", core::triage_code(c->band)},
                   {"area", c->area},
                   {"waited_seconds", secs(std::max(now, c->arrival) - c->arrival)},
                   {"expires_in_seconds", secs(std::max(core::duration::zero(), expires - now))},
                   {"summary", summary}});
  return out;
}

json::array my_contacts_json(const core::engine& engine, const core::nurse_id& nurse) {
  json::array out;
  const auto n = engine.find_nurse(nurse);
  if (!n) return out;
  for (const core::contact_id id : n->contacts) {
    if (const core::contact* c = engine.find_contact(id)) out.push_back(console_contact_json(*c));
  }
  return out;
}

namespace {

json::array handover_items(const std::vector<core::handover_contact>& v) {
  json::array out;
  for (const auto& x : v) {
    out.push_back(json::object{{"contact_id", x.contact.value()},
                               {"channel", core::to_string(x.kind)},
                               {"band", core::triage_code(x.band)},
                               {"state", core::to_string(x.state)},
                               {"last_activity", iso8601(x.last_activity)},
                               {"risk_rules", json::value_from(x.risk_rules)},
                               {"due", opt_time(x.due)}});
  }
  return out;
}

json::array handover_dispatches(const std::vector<core::handover_dispatch>& v) {
  json::array out;
  for (const auto& x : v) {
    out.push_back(json::object{{"incident_id", x.incident_id},
                               {"unit", x.unit},
                               {"state", x.state},
                               {"contact_id", x.contact.value()}});
  }
  return out;
}

}  // namespace

json::object handover_json(const core::handover& h) {
  return {{"id", h.id},
          {"from", h.from.value()},
          {"to", h.to ? json::value(h.to->value()) : json::value(nullptr)},
          {"shift_id", h.shift_id ? json::value(*h.shift_id) : json::value(nullptr)},
          {"created", iso8601(h.created)},
          {"note", h.note},
          {"acknowledged_by",
           h.acknowledged_by ? json::value(h.acknowledged_by->value()) : json::value(nullptr)},
          {"acknowledged_at", opt_time(h.acknowledged_at)},
          {"open_conversations", handover_items(h.open_conversations)},
          {"pending_callbacks", handover_items(h.pending_callbacks)},
          {"high_risk", handover_items(h.high_risk)},
          {"cars_on_scene", handover_dispatches(h.cars_on_scene)},
          {"unresolved_dispatches", handover_dispatches(h.unresolved_dispatches)}};
}

json::object queue_totals_json(const std::vector<core::queue_entry_view>& snapshot) {
  json::object by_band;
  for (const char* b : {"A", "B", "C", "D", "E", "F", "G"}) by_band[b] = 0;
  std::size_t breached = 0;
  core::duration longest{};
  for (const auto& q : snapshot) {
    auto& n = by_band[core::triage_code(q.band)];
    n = n.to_number<std::int64_t>() + 1;
    if (q.time_to_breach.count() < 0) ++breached;
    longest = std::max(longest, q.waited);
  }
  return {{"by_band", std::move(by_band)},
          {"waiting", snapshot.size()},
          {"breached", breached},
          {"longest_wait_seconds", secs(longest)}};
}

namespace {

json::array history_notes(const core::contact& c) {
  json::array notes;
  for (const auto& n : c.notes) {
    notes.push_back(
        json::object{{"at", iso8601(n.at)}, {"by", n.by}, {"kind", n.kind}, {"text", n.text}});
  }
  return notes;
}

json::array messages_of(const core::engine& engine, const core::contact& c) {
  struct line {
    core::timestamp at;
    json::object body;
  };
  std::vector<line> lines;
  for (const auto& m : c.inbound) {
    lines.push_back({m.at, json::object{{"direction", "in"},
                                        {"at", iso8601(m.at)},
                                        {"body", m.body},
                                        {"status", "received"}}});
  }
  for (const auto& [id, t] : engine.outbox().all()) {
    if (t.contact != c.id) continue;
    lines.push_back({t.requested, json::object{{"direction", "out"},
                                               {"at", iso8601(t.requested)},
                                               {"body", t.body},
                                               {"by", t.requested_by},
                                               {"status", core::to_string(t.status)},
                                               {"delivery_status", t.delivery_status},
                                               {"outbound_id", id}}});
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const line& a, const line& b) { return a.at < b.at; });
  json::array out;
  for (auto& l : lines) out.push_back(std::move(l.body));
  return out;
}

}  // namespace

json::object contact_detail_json(const core::engine& engine, const core::contact& c,
                                 std::size_t max_history) {
  const std::uint64_t id = c.id.value();
  auto body = contact_json(c);
  body["outbound"] = outbound_json(engine, c.id);
  body["opted_out"] = engine.outbox().opted_out(c.from);
  body["messages"] = messages_of(engine, c);

  // The person's earlier contacts, newest first, and the latest crisis plan
  // recorded on any of their contacts up to this one.
  json::array history;
  const core::contact_note* plan = nullptr;
  std::uint64_t plan_contact = 0;
  const auto consider_plan = [&](const core::contact& k) {
    for (const auto& n : k.notes) {
      if (n.kind == core::note_kind_crisis_plan && (!plan || n.at >= plan->at)) {
        plan = &n;
        plan_contact = k.id.value();
      }
    }
  };
  const auto linked = engine.contacts_of_sender(c.sender_key);
  for (auto it = linked.rbegin(); it != linked.rend(); ++it) {
    if (it->value() >= id) continue;
    const core::contact* p = engine.find_contact(*it);
    if (!p) continue;
    consider_plan(*p);
    if (history.size() >= max_history) continue;
    history.push_back(
        json::object{{"contact_id", p->id.value()},
                     {"channel", core::to_string(p->kind)},
                     {"started", iso8601(p->created)},
                     {"state", core::to_string(p->state)},
                     {"band", core::triage_code(p->band)},
                     {"outcome_code", p->outcome_code},
                     {"nurse", p->nurse ? json::value(p->nurse->value()) : json::value(nullptr)},
                     {"notes", history_notes(*p)},
                     {"risk_rules", json::value_from(p->risk_rules)}});
  }
  consider_plan(c);
  body["history"] = std::move(history);
  body["crisis_plan"] = plan ? json::value(json::object{{"text", plan->text},
                                                        {"at", iso8601(plan->at)},
                                                        {"by", plan->by},
                                                        {"contact_id", plan_contact}})
                             : json::value(nullptr);
  return body;
}

}  // namespace crisisline::app
