#include "app/engine_views.hpp"

#include "app/dispatch_endpoints.hpp"
#include "app/report_format.hpp"
#include "app/state_json.hpp"
#include "app/submit_refused.hpp"
#include "log/log.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>

namespace crisisline::app {
namespace json = boost::json;

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
      if (entries.size() < limit) entries.push_back(queue_entry_json(q));
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
    for (const auto& n : engine.nurses()) nurses.push_back(nurse_json(n));
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
    auto body = contact_detail_json(engine, *c);
    body["dispatch"] = contact_dispatch_json(engine, c->id);
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
