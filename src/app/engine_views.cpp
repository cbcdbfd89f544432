#include "app/engine_views.hpp"

#include "app/submit_refused.hpp"
#include "log/log.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>

namespace crisisline::app {
namespace json = boost::json;
namespace {

std::string iso8601(core::timestamp t) {
  std::string out;
  log::append_utc(out, t);
  return out;
}

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

json::object queue_entry(const core::queue_entry_view& q) {
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

json::object nurse(const core::nurse_view& n) {
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
          {"free_since", iso8601(n.free_since)}};
}

json::object contact(const core::contact& c) {
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

json::array outbound_for(const core::engine& engine, core::contact_id id) {
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

net::http_response json_response(const json::value& v) {
  return net::http_response{200, "application/json", {}, json::serialize(v)};
}

}  // namespace

guarded_handler queue_view(const core::engine& engine, std::function<core::timestamp()> now) {
  return [&engine, now = std::move(now)](const principal&, net::http_request&& req,
                                         net::responder respond) {
    // Bounded: a supervisor needs the top of the queue and the totals,
    // not a response the size of the whole queue.
    std::size_t limit = 500;
    if (const auto text = req.query_param("limit"); !text.empty()) {
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
      if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > 10'000) {
        return respond(net::http_response::error(400, "invalid_limit",
                                                 "limit must be a number from 1 to 10000"));
      }
    }
    const auto t = now();
    const auto snapshot = engine.queue_snapshot(t);
    json::array entries;
    json::object by_band;
    std::size_t breached = 0;
    for (const auto& q : snapshot) {
      if (entries.size() < limit) entries.push_back(queue_entry(q));
      auto& n = by_band[core::triage_code(q.band)];
      n = n.is_null() ? json::value(1) : json::value(n.as_int64() + 1);
      if (q.time_to_breach.count() < 0) ++breached;
    }
    respond(json_response(json::object{{"as_of", iso8601(t)},
                                       {"waiting", snapshot.size()},
                                       {"breached", breached},
                                       {"by_band", std::move(by_band)},
                                       {"entries", std::move(entries)}}));
  };
}

guarded_handler nurses_view(const core::engine& engine) {
  return [&engine](const principal&, net::http_request&&, net::responder respond) {
    json::array nurses;
    for (const auto& n : engine.nurses()) nurses.push_back(nurse(n));
    respond(json_response(json::object{{"nurses", std::move(nurses)}}));
  };
}

namespace {

constexpr std::string_view contacts_prefix = "/v1/contacts/";
constexpr std::size_t max_access_reason_bytes = 500;

std::optional<std::uint64_t> contact_id_in(std::string_view path) {
  const auto id_text = path.substr(contacts_prefix.size());
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || end != id_text.data() + id_text.size()) return std::nullopt;
  return id;
}

// Records the access, then sends `r` once the row has committed; 503 (and
// nothing disclosed) if the audit trail cannot take it.
void audited(audit_trail& audit, std::uint32_t retry_after_seconds, audit_entry e,
             net::http_response r, net::responder respond) {
  const auto status =
      audit.record(std::move(e), [r = std::move(r), respond]() mutable { respond(std::move(r)); });
  if (status != store::writer::submit_status::accepted) {
    respond(submit_refused(status, retry_after_seconds));
  }
}

audit_entry read_entry(const principal& who, const net::http_request& req, std::uint64_t id,
                       std::string outcome) {
  return audit_entry{.who = who,
                     .record = "contact:" + std::to_string(id),
                     .action = "read",
                     .outcome = std::move(outcome),
                     .reason = std::string(req.header("x-access-reason"))};
}

}  // namespace

guarded_handler contact_view(const core::engine& engine, audit_trail& audit,
                             std::uint32_t retry_after_seconds) {
  return [&engine, &audit, retry_after_seconds](const principal& who, net::http_request&& req,
                                                net::responder respond) {
    const auto id = contact_id_in(req.path);
    if (!id) {
      return respond(net::http_response::error(400, "invalid_contact_id",
                                               "contact ids are positive integers"));
    }
    if (req.header("x-access-reason").size() > max_access_reason_bytes) {
      return respond(net::http_response::error(400, "invalid_reason",
                                               "X-Access-Reason may have at most 500 bytes"));
    }
    const auto* c = engine.find_contact(core::contact_id{*id});
    if (!c) {
      return audited(
          audit, retry_after_seconds, read_entry(who, req, *id, "not_found"),
          net::http_response::error(404, "not_found", "no contact " + std::to_string(*id)),
          std::move(respond));
    }
    // The record as it is now, sent once the read is on the audit trail.
    auto body = contact(*c);
    body["outbound"] = outbound_for(engine, c->id);
    body["opted_out"] = engine.outbox().opted_out(c->from);
    audited(audit, retry_after_seconds, read_entry(who, req, *id, "allowed"), json_response(body),
            std::move(respond));
  };
}

denied_handler contact_denied(audit_trail& audit, std::uint32_t retry_after_seconds) {
  return [&audit, retry_after_seconds](const principal& who, const net::http_request& req,
                                       net::http_response refusal, net::responder respond) {
    const auto id = contact_id_in(req.path);
    if (!id) return respond(std::move(refusal));
    audited(audit, retry_after_seconds, read_entry(who, req, *id, "denied"), std::move(refusal),
            std::move(respond));
  };
}

}  // namespace crisisline::app
