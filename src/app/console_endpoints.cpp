#include "app/console_endpoints.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <random>

#include "app/report_format.hpp"
#include "app/staff_actor.hpp"
#include "app/state_json.hpp"
#include "app/submit_refused.hpp"
#include "codec/console_action.hpp"
#include "log/log.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace {

constexpr std::string_view contacts_prefix = "/v1/contacts/";
constexpr std::string_view handovers_prefix = "/v1/handovers/";
constexpr std::string_view console_prefix = "/v1/console/";

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id == 0) return std::nullopt;
  return id;
}

// A fresh key for a request without Idempotency-Key: such a request is never
// a duplicate of another.
std::string random_key() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out = "auto-";
  for (int i = 0; i < 2; ++i) {
    auto v = rng();
    for (int j = 0; j < 16; ++j, v >>= 4) out += hex[v & 0xf];
  }
  return out;
}

bool acts_for_others(staff_role r) {
  return r == staff_role::supervisor || r == staff_role::admin;
}

std::string_view rejection(const core::effects& fx) {
  for (const auto& e : fx) {
    if (const auto* r = std::get_if<core::command_rejected>(&e)) return r->reason;
  }
  return {};
}

// Answers `r` once `entries` are on the audit trail. If the trail cannot take
// them (busy, stopping), the command and its outcome are committed and
// replayable: answer anyway rather than leave the caller to retry a duplicate.
void audit_then_respond(audit_trail& audit, std::vector<audit_entry> entries, net::http_response r,
                        net::responder respond) {
  const auto audited = audit.record(std::move(entries), [respond, r]() { respond(r); });
  if (audited == store::writer::submit_status::accepted) return;
  log::warn("audit rows for a console command not written",
            {{"status", static_cast<int>(audited)}});
  respond(std::move(r));
}

}  // namespace

console_api::console_api(event_pipeline& pipeline, const core::engine& engine,
                         console_settings settings, std::function<core::timestamp()> now,
                         audit_trail& audit)
    : pipeline_(pipeline),
      engine_(engine),
      settings_(std::move(settings)),
      now_(std::move(now)),
      audit_(audit) {}

void console_api::command(const principal& who, const net::http_request& req,
                          std::string_view action, std::uint64_t target, net::responder respond) {
  auto parsed = parse_console_command(action, target, req.body, settings_.limits);
  if (auto* r = std::get_if<net::http_response>(&parsed)) return respond(std::move(*r));
  auto& cmd = std::get<parsed_command>(parsed);
  std::string nurse = who.id;
  if (!cmd.acting_for.empty() && cmd.acting_for != who.id) {
    if (!acts_for_others(who.role)) {
      return respond(net::http_response::error(
          403, "forbidden", "only a supervisor may act for another nurse (nurse_id)"));
    }
    nurse = cmd.acting_for;
  }
  const auto key = req.header("idempotency-key");
  if (!key.empty() && !valid_idempotency_key(key)) {
    return respond(
        net::http_response::error(400, "invalid_idempotency_key",
                                  "Idempotency-Key must be 1 to 128 visible ASCII characters"));
  }
  cmd.command.set_nurse_id(nurse);

  v1::Event e;
  e.set_source("console:" + who.id);
  e.set_source_event_id(key.empty() ? random_key() : std::string(key));
  *e.mutable_actor() = to_actor(who);
  *e.mutable_console() = std::move(cmd.command);

  // A command on a contact is on the audit trail in the same commit as its
  // event, and a refusal gets a row of its own before the answer.
  std::optional<audit_entry> entry;
  std::vector<store::audit_record> audits;
  const auto command_name = codec::console_action_of(e).value().command;
  if (const auto a = codec::console_action_of(e); a && a->contact_id != 0) {
    entry = audit_entry{.who = who,
                        .record = "contact:" + std::to_string(a->contact_id),
                        .action = "command:" + a->command,
                        .outcome = "submitted",
                        .reason = {}};
    audits.push_back(audit_.row(*entry, 0));
  }
  const std::string what(action);
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  const auto status = pipeline_.submit(
      std::move(events),
      [this, who, what, command_name, entry,
       respond](const std::vector<event_pipeline::outcome>& outcomes) mutable {
        const auto& o = outcomes.at(0);
        const std::string_view refused = rejection(o.effects);
        if (refused.empty()) {
          json::object body{{"seq", o.seq}};
          if (o.duplicate) body["duplicate"] = true;
          if (what == "shift/start") body["shift_id"] = o.seq;
          if (what == "shift/end") body["handover_id"] = o.seq;
          auto r = json_response(body);
          // A command with no contact in its path (take-next) that gave the
          // nurse a contact changed that record: on the trail before the answer.
          std::vector<audit_entry> assigned;
          for (const auto& fx : o.effects) {
            const auto* a = std::get_if<core::contact_assigned>(&fx);
            if (entry || !a) continue;
            assigned.push_back(
                audit_entry{.who = who,
                            .record = "contact:" + std::to_string(a->contact.value()),
                            .action = "command:" + command_name,
                            .outcome = "assigned to " + a->nurse.value(),
                            .reason = {}});
          }
          if (assigned.empty()) return respond(std::move(r));
          return audit_then_respond(audit_, std::move(assigned), std::move(r), std::move(respond));
        }
        auto r = net::http_response::error(409, "rejected", refused);
        auto body = json::parse(r.body).as_object();
        body["seq"] = o.seq;
        if (o.duplicate) body["duplicate"] = true;
        r.body = json::serialize(body);
        // A retry's refusal is on the audit trail already, from the first delivery.
        if (!entry || o.duplicate) return respond(std::move(r));
        entry->outcome = "rejected";
        entry->reason = std::string(refused);
        audit_then_respond(audit_, {std::move(*entry)}, std::move(r), std::move(respond));
      },
      std::move(audits));
  if (status != store::writer::submit_status::accepted) {
    respond(submit_refused(status, settings_.retry_after_seconds));
  }
}

net::http_response console_api::offers(const principal& who) const {
  return json_response(
      json::object{{"offers", offers_json(engine_, core::nurse_id{who.id}, now_())}});
}

net::http_response console_api::my_contacts(const principal& who) const {
  return json_response(
      json::object{{"contacts", my_contacts_json(engine_, core::nurse_id{who.id})}});
}

net::http_response console_api::handovers(const principal& who,
                                          const net::http_request& req) const {
  const auto scope = req.query_param("for");
  if (!scope.empty() && scope != "me") {
    return net::http_response::error(400, "invalid_for", "for must be \"me\" or absent");
  }
  // Nurses see the handovers they may acknowledge or wrote; supervisors all.
  const bool mine = scope == "me" || !acts_for_others(who.role);
  json::array out;
  const auto& all = engine_.handovers();
  for (auto it = all.rbegin(); it != all.rend() && out.size() < 100; ++it) {
    const core::handover& h = it->second;
    const bool for_me = h.to ? h.to->value() == who.id : !h.acknowledged_by.has_value();
    if (mine && !for_me && h.from.value() != who.id) continue;
    out.push_back(handover_json(h));
  }
  return json_response(json::object{{"handovers", std::move(out)}});
}

net::http_response console_api::supervisor() const {
  const auto now = now_();
  const auto snapshot = engine_.queue_snapshot(now);
  json::object queue = queue_totals_json(snapshot);
  json::array breaches;
  for (const auto& q : snapshot) {
    if (q.time_to_breach.count() >= 0) continue;
    const auto target = q.waited + q.time_to_breach;
    breaches.push_back(json::object{
        {"contact_id", q.contact.value()},
        {"band", core::triage_code(q.band)},
        {"channel", core::to_string(q.kind)},
        {"waited_seconds", std::chrono::duration<double>(q.waited).count()},
        {"target_seconds", std::chrono::duration<double>(target).count()},
        {"tier", q.tier == core::urgency_queue::tier::normal ? "breached" : "overdue"}});
  }
  queue["breaches"] = std::move(breaches);
  json::array nurses;
  for (const auto& n : engine_.nurses()) {
    nurses.push_back(json::object{
        {"id", n.id.value()},
        {"status", core::to_string(n.status)},
        {"state", core::to_string(n.state)},
        {"load",
         json::object{{"texts", n.texts}, {"calls", n.calls}, {"capacity", n.text_capacity}}},
        {"on_shift_since", iso8601(n.signed_on_at)},
        {"on_shift_seconds", std::chrono::duration<double>(now - n.signed_on_at).count()},
        {"shift_id", n.shift_id ? json::value(*n.shift_id) : json::value(nullptr)},
        {"offered_contact",
         n.offered_contact ? json::value(n.offered_contact->value()) : json::value(nullptr)}});
  }
  return json_response(json::object{
      {"as_of", iso8601(now)}, {"queue", std::move(queue)}, {"nurses", std::move(nurses)}});
}

void add_console_routes(net::router& r, const authenticator& auth, console_api& api) {
  using enum staff_role;
  const std::vector<staff_role> clinical{nurse, supervisor, admin};
  for (const char* action : {"shift/start", "shift/end", "status", "take-next", "wrap-up-done"}) {
    r.add("POST", std::string(console_prefix) + action,
          guarded(auth, clinical,
                  [&api, action](const principal& who, net::http_request&& req,
                                 net::responder respond) {
                    api.command(who, req, action, 0, std::move(respond));
                  }));
  }
  r.add("GET", "/v1/console/offers",
        guarded(auth, clinical,
                [&api](const principal& who, net::http_request&&, net::responder respond) {
                  respond(api.offers(who));
                }));
  r.add("GET", "/v1/console/contacts",
        guarded(auth, clinical,
                [&api](const principal& who, net::http_request&&, net::responder respond) {
                  respond(api.my_contacts(who));
                }));
  r.add("GET", "/v1/handovers",
        guarded(auth, clinical,
                [&api](const principal& who, net::http_request&& req, net::responder respond) {
                  respond(api.handovers(who, req));
                }));
  r.add("GET", "/v1/supervisor",
        guarded(auth, {supervisor, admin},
                [&api](const principal&, net::http_request&&, net::responder respond) {
                  respond(api.supervisor());
                }));
  r.add_prefix(
      "POST", std::string(handovers_prefix),
      guarded(auth, clinical,
              [&api](const principal& who, net::http_request&& req, net::responder respond) {
                const std::string_view rest =
                    std::string_view(req.path).substr(handovers_prefix.size());
                const auto slash = rest.find('/');
                const auto id = parse_id(rest.substr(0, slash));
                if (slash == std::string_view::npos || rest.substr(slash + 1) != "acknowledge") {
                  return respond(net::http_response::error(
                      404, "not_found", "use POST /v1/handovers/{id}/acknowledge"));
                }
                if (!id) {
                  return respond(net::http_response::error(400, "invalid_handover_id",
                                                           "handover ids are positive integers"));
                }
                api.command(who, req, "acknowledge", *id, std::move(respond));
              }));
  r.add_prefix(
      "POST", std::string(contacts_prefix),
      guarded(auth, clinical,
              [&api](const principal& who, net::http_request&& req, net::responder respond) {
                const std::string_view rest =
                    std::string_view(req.path).substr(contacts_prefix.size());
                const auto slash = rest.find('/');
                const std::string_view action =
                    slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
                if (!is_contact_action(action)) {
                  return respond(net::http_response::error(
                      404, "not_found",
                      "no such contact action; see README \"Console API\" for the routes"));
                }
                const auto id = parse_id(rest.substr(0, slash));
                if (!id) {
                  return respond(net::http_response::error(400, "invalid_contact_id",
                                                           "contact ids are positive integers"));
                }
                api.command(who, req, action, *id, std::move(respond));
              }));
}

}  // namespace crisisline::app
