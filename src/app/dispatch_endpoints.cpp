#include "app/dispatch_endpoints.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>

#include "app/staff_actor.hpp"
#include "app/submit_refused.hpp"
#include "codec/dispatch_codec.hpp"
#include "log/log.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace d = core::dispatch;

namespace {

constexpr std::size_t max_idempotency_key = 256;

std::string iso8601(core::timestamp t) {
  std::string out;
  log::append_utc(out, t);
  return out;
}

json::value opt_time(const std::optional<core::timestamp>& t) {
  return t ? json::value(iso8601(*t)) : json::value(nullptr);
}

json::value point(const std::optional<core::geo_point>& p) {
  if (!p) return nullptr;
  return json::object{{"latitude", p->latitude}, {"longitude", p->longitude}};
}

json::value seconds_of(const std::optional<core::duration>& d) {
  if (!d) return nullptr;
  return std::chrono::duration_cast<std::chrono::seconds>(*d).count();
}

json::array ids(const std::vector<core::incident_id>& v) {
  json::array out;
  for (const auto& i : v) out.push_back(i.value());
  return out;
}

// "en_route": the proto's UnitState name without UNIT_, in lower case, so the
// API and the crew feed name states alike.
std::string state_code(core::unit_state st) {
  std::string name = v1::UnitState_Name(codec::to_proto(st));
  if (name.starts_with("UNIT_")) name.erase(0, 5);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string_view role_of(d::actor_role r) {
  return d::actor_name(r);
}

json::object unit_json(const d::unit& u) {
  return {{"unit_id", u.config.id.value()},
          {"call_sign", u.config.call_sign},
          {"state", state_code(u.state)},
          {"signed_on", u.signed_on},
          {"crew", json::value_from(u.crew)},
          {"skills", json::value_from(u.skills)},
          {"area", u.config.area.value()},
          {"base", point(u.config.base)},
          {"location", point(u.last_location)},
          {"location_at", opt_time(u.location_at)},
          {"last_status_at", iso8601(u.last_status_at)},
          {"unavailable_reason",
           u.unavailable ? json::value(d::reason_name(*u.unavailable)) : json::value(nullptr)},
          {"incidents", ids(u.live)}};
}

json::object assignment_json(const core::engine& engine, const d::incident& inc,
                             const d::assignment& a, bool detail) {
  const auto* u = engine.board().find_unit(a.unit);
  json::object out{{"unit_id", a.unit.value()},
                   {"call_sign", u ? u->config.call_sign : a.unit.value()},
                   {"stage", state_code(a.stage)},
                   {"live", a.live()},
                   {"alert_id", a.alert_number},
                   {"acknowledged_by_radio", a.acknowledged_by_radio},
                   {"ack_timeouts", a.ack_notices},
                   {"eta_seconds", a.live() && !a.at_or_past_scene()
                                       ? seconds_of(engine.board().eta_of(a.unit, inc.id))
                                       : json::value(nullptr)}};
  if (!detail) return out;
  json::array steps;
  for (const auto& s : a.steps) {
    steps.push_back(json::object{{"state", state_code(s.state)},
                                 {"at", opt_time(s.at)},
                                 {"skipped", s.skipped()},
                                 {"recorded_at", iso8601(s.recorded_at)},
                                 {"by", role_of(s.by)},
                                 {"by_id", s.by_id},
                                 {"note", s.note}});
  }
  out["steps"] = std::move(steps);
  out["ended_at"] = opt_time(a.ended_at);
  out["stood_down"] = a.stood_down ? json::value(d::reason_name(*a.stood_down)) : nullptr;
  out["end_note"] = a.end_note;
  out["diverted_from"] = a.diverted_from ? json::value(a.diverted_from->value()) : nullptr;
  out["diverted_to"] = a.diverted_to ? json::value(a.diverted_to->value()) : nullptr;
  out["replaces"] = a.replaces ? json::value(a.replaces->value()) : nullptr;
  out["replaced_by"] = a.replaced_by ? json::value(a.replaced_by->value()) : nullptr;
  out["forced_over"] = ids(a.forced_over);
  return out;
}

json::object recommendation_json(const d::recommendation& rec) {
  json::array eligible;
  for (const auto& c : rec.eligible) {
    eligible.push_back(json::object{
        {"unit_id", c.unit.value()},
        {"call_sign", c.call_sign},
        {"eta_seconds", seconds_of(c.eta)},
        {"eta", c.eta ? json::value(d::describe_eta(*c.eta)) : json::value(nullptr)},
        {"distance_km", c.distance_km ? json::value(*c.distance_km) : json::value(nullptr)},
        {"reasons", json::value_from(c.reasons)}});
  }
  json::array excluded;
  for (const auto& x : rec.excluded) {
    excluded.push_back(json::object{{"unit_id", x.unit.value()},
                                    {"call_sign", x.call_sign},
                                    {"reasons", json::value_from(x.reasons)}});
  }
  return {{"incident_id", rec.incident.value()},
          {"at", iso8601(rec.at)},
          {"eligible", std::move(eligible)},
          {"excluded", std::move(excluded)}};
}

net::http_response json_ok(const json::value& v) {
  return net::http_response{200, "application/json", {}, json::serialize(v)};
}

// "12" -> 12; nullopt for anything but a positive decimal integer.
std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size() || v == 0) return std::nullopt;
  return v;
}

// "/v1/incidents/12/assign" after the prefix: {"12", "assign"}.
std::pair<std::string_view, std::string_view> split_rest(std::string_view rest) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return {rest, {}};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

// Parses a JSON body (empty = {}) into `m`; unknown fields are refused.
std::optional<net::http_response> parse_body(const net::http_request& req,
                                             google::protobuf::Message& m) {
  const std::string body = req.body.empty() ? std::string("{}") : req.body;
  const auto status = google::protobuf::util::JsonStringToMessage(body, &m);
  if (!status.ok()) {
    return net::http_response::error(
        400, "invalid_body",
        "not a " + m.GetDescriptor()->name() +
            " in the protobuf JSON mapping: " + std::string(status.message()));
  }
  return std::nullopt;
}

bool admits(const std::vector<staff_role>& roles, staff_role r) {
  return std::find(roles.begin(), roles.end(), r) != roles.end();
}

net::http_response forbidden(const std::vector<staff_role>& roles) {
  std::string who;
  for (const auto r : roles) {
    if (!who.empty()) who += ", ";
    who += role_name(r);
  }
  return net::http_response::error(403, "forbidden", "only " + who + " may do this");
}

// Unique across restarts (the start time is part of it), for commands sent
// without an Idempotency-Key.
std::string generated_key() {
  static const auto boot = core::to_micros(
      std::chrono::time_point_cast<core::duration>(std::chrono::system_clock::now()));
  static std::atomic<std::uint64_t> counter{0};
  return "gen-" + std::to_string(boot) + "-" + std::to_string(++counter);
}

// What the caller sees once the command is committed.
using answer_fn = std::function<json::object(const event_pipeline::outcome&)>;

// Commits `e` as `who` and answers: 409 when the board refused it, else the answer.
void run(event_pipeline& pipeline, const principal& who, const net::http_request& req, v1::Event e,
         net::responder respond, answer_fn answer) {
  const auto key = req.header("idempotency-key");
  if (key.size() > max_idempotency_key) {
    return respond(
        net::http_response::error(400, "invalid_idempotency_key", "at most 256 characters"));
  }
  // Keys are per caller, so two people can't collide on "1".
  e.set_source("dispatch-api:" + who.id);
  e.set_source_event_id(key.empty() ? generated_key() : std::string(key));
  *e.mutable_actor() = to_actor(who);
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  const auto status = pipeline.submit(
      std::move(events),
      [respond, reply = std::move(answer)](const std::vector<event_pipeline::outcome>& outcomes) {
        const auto& o = outcomes.at(0);
        for (const auto& fx : o.effects) {
          if (const auto* r = std::get_if<core::command_rejected>(&fx))
            return respond(net::http_response::error(409, "rejected", r->reason));
        }
        auto body = reply(o);
        body["seq"] = o.seq;
        body["duplicate"] = o.duplicate;
        respond(json_ok(body));
      });
  if (status != store::writer::submit_status::accepted) respond(submit_refused(status, 1));
}

// The newest incident an outcome's effects name: the one a raise or reopen created.
std::optional<core::incident_id> created_incident(const event_pipeline::outcome& o) {
  std::optional<core::incident_id> out;
  for (const auto& fx : o.effects) {
    if (const auto* u = std::get_if<core::dispatch_update>(&fx))
      if (!out || *out < u->incident) out = u->incident;
  }
  return out;
}

struct incident_action {
  // Path segment ("stand-down").
  std::string_view name;
  // DispatchCommand field holding it ("stand_down").
  std::string_view field;
  bool dispatchers_only = false;
};

constexpr incident_action incident_actions[] = {
    {"assign", "assign_unit", false},
    {"stand-down", "stand_down", false},
    {"link", "link_contact", false},
    {"monitor", "set_monitored", false},
    {"queue", "queue_incident", false},
    {"end", "end_incident", false},
    {"reopen", "reopen", false},
    {"re-alert", "re_alert", true},
    {"confirm-by-radio", "confirm_by_radio", true},
};

}  // namespace

json::array contact_dispatch_json(const core::engine& engine, core::contact_id contact) {
  json::array out;
  for (const auto* inc : engine.incidents_of(contact))
    out.push_back(incident_json(engine, *inc, false));
  return out;
}

json::object incident_json(const core::engine& engine, const d::incident& inc, bool detail) {
  json::array contacts;
  for (const auto& c : inc.contacts) contacts.push_back(c.value());
  json::array units;
  json::array assignments;
  for (const auto& a : inc.assignments) {
    if (a.live()) units.push_back(assignment_json(engine, inc, a, false));
    if (detail) assignments.push_back(assignment_json(engine, inc, a, true));
  }
  json::object out{
      {"incident_id", inc.id.value()},
      {"state", d::state_name(inc.state)},
      {"category", core::triage_code(inc.category)},
      {"raised_at", iso8601(inc.raised_at)},
      {"raised_by", inc.raised_by_id},
      {"contacts", std::move(contacts)},
      {"coordinates", point(inc.coordinates)},
      {"address", inc.address},
      {"area", inc.area.value()},
      {"required_skills", json::value_from(inc.required_skills)},
      {"police", inc.police
                     ? json::value(json::object{{"reason", d::reason_name(inc.police->reason)},
                                                {"detail", inc.police->detail}})
                     : json::value(nullptr)},
      {"note", inc.note},
      {"plan", inc.plan},
      {"outcome", inc.outcome},
      {"escalation_level", inc.escalation_level},
      {"reopened_from", inc.reopened_from ? json::value(inc.reopened_from->value()) : nullptr},
      {"reopened_as", ids(inc.reopened_as)},
      {"units", std::move(units)}};
  if (!detail) return out;
  out["assignments"] = std::move(assignments);
  json::array history;
  for (const auto& h : inc.history) {
    history.push_back(json::object{{"from", d::state_name(h.from)},
                                   {"to", d::state_name(h.to)},
                                   {"at", iso8601(h.at)},
                                   {"by", role_of(h.by)},
                                   {"by_id", h.by_id},
                                   {"note", h.note}});
  }
  out["history"] = std::move(history);
  return out;
}

void add_dispatch_routes(net::router& r, const authenticator& auth, event_pipeline& pipeline,
                         const core::engine& engine, std::function<core::timestamp()> now,
                         const dispatch_api_roles& roles) {
  const auto incident_body = [&engine](core::incident_id id) {
    const auto* inc = engine.board().find_incident(id);
    return json::object{
        {"incident", inc ? json::value(incident_json(engine, *inc, true)) : json::value(nullptr)}};
  };

  // The console API serves the other POST /v1/contacts/{id}/... actions.
  r.add_prefix_suffix(
      "POST", "/v1/contacts/", "/incident",
      guarded(auth, roles.staff,
              [&pipeline, &engine, incident_body](const principal& who, net::http_request&& req,
                                                  net::responder respond) {
                [[maybe_unused]] const auto [id_text, what] =
                    split_rest(std::string_view(req.path).substr(std::size("/v1/contacts/") - 1));
                const auto id = parse_id(id_text);
                if (!id) {
                  return respond(net::http_response::error(400, "invalid_contact_id",
                                                           "contact ids are positive integers"));
                }
                if (!engine.find_contact(core::contact_id{*id})) {
                  return respond(net::http_response::error(404, "not_found",
                                                           "no contact " + std::to_string(*id)));
                }
                v1::RaiseIncident raise;
                if (auto bad = parse_body(req, raise)) return respond(std::move(*bad));
                if (raise.contact_id() != 0 && raise.contact_id() != *id) {
                  return respond(net::http_response::error(
                      400, "invalid_body", "contactId differs from the contact in the path"));
                }
                raise.set_contact_id(*id);
                v1::Event e;
                *e.mutable_dispatch()->mutable_raise_incident() = std::move(raise);
                if (auto p = codec::dispatch_problem(e.dispatch()))
                  return respond(net::http_response::error(400, "invalid_body", *p));
                run(pipeline, who, req, std::move(e), std::move(respond),
                    [incident_body](const event_pipeline::outcome& o) {
                      const auto created = created_incident(o);
                      return created ? incident_body(*created) : json::object{};
                    });
              }));

  r.add("GET", "/v1/incidents",
        guarded(auth, roles.staff,
                [&engine](const principal&, net::http_request&& req, net::responder respond) {
                  const bool open_only = req.query_param("open") == "true";
                  json::array list;
                  const auto& all = engine.board().incidents();
                  for (auto it = all.rbegin(); it != all.rend() && list.size() < 1000; ++it) {
                    if (open_only && it->second.state == d::incident_state::ended) continue;
                    list.push_back(incident_json(engine, it->second, false));
                  }
                  respond(json_ok(json::object{{"incidents", std::move(list)}}));
                }));

  r.add_prefix(
      "GET", "/v1/incidents/",
      guarded(auth, roles.staff,
              [&engine, now](const principal&, net::http_request&& req, net::responder respond) {
                const auto [id_text, what] =
                    split_rest(std::string_view(req.path).substr(std::size("/v1/incidents/") - 1));
                const auto id = parse_id(id_text);
                if (!id) {
                  return respond(net::http_response::error(400, "invalid_incident_id",
                                                           "incident ids are positive integers"));
                }
                const auto* inc = engine.board().find_incident(core::incident_id{*id});
                if (!inc) {
                  return respond(net::http_response::error(404, "not_found",
                                                           "no incident " + std::to_string(*id)));
                }
                if (what.empty()) return respond(json_ok(incident_json(engine, *inc, true)));
                if (what == "recommendation") {
                  const auto rec = engine.board().recommend_for(inc->id, now());
                  return respond(json_ok(recommendation_json(*rec)));
                }
                respond(net::http_response::error(404, "not_found", "no such route"));
              }));

  r.add_prefix(
      "POST", "/v1/incidents/",
      guarded(
          auth, roles.staff,
          [&pipeline, &engine, incident_body, roles](const principal& who, net::http_request&& req,
                                                     net::responder respond) {
            const auto [id_text, what] =
                split_rest(std::string_view(req.path).substr(std::size("/v1/incidents/") - 1));
            const auto* action = std::find_if(
                std::begin(incident_actions), std::end(incident_actions),
                [wanted = what](const incident_action& a) { return a.name == wanted; });
            if (action == std::end(incident_actions)) {
              return respond(net::http_response::error(404, "not_found", "no such route"));
            }
            if (action->dispatchers_only && !admits(roles.dispatchers, who.role))
              return respond(forbidden(roles.dispatchers));
            const auto id = parse_id(id_text);
            if (!id) {
              return respond(net::http_response::error(400, "invalid_incident_id",
                                                       "incident ids are positive integers"));
            }
            if (!engine.board().find_incident(core::incident_id{*id})) {
              return respond(net::http_response::error(404, "not_found",
                                                       "no incident " + std::to_string(*id)));
            }
            v1::Event e;
            auto* command = e.mutable_dispatch();
            const auto* field =
                command->GetDescriptor()->FindFieldByName(std::string(action->field));
            auto* message = command->GetReflection()->MutableMessage(command, field);
            if (auto bad = parse_body(req, *message)) return respond(std::move(*bad));
            const auto* incident_field = message->GetDescriptor()->FindFieldByName("incident_id");
            const auto* reflection = message->GetReflection();
            const auto given = reflection->GetUInt64(*message, incident_field);
            if (given != 0 && given != *id) {
              return respond(net::http_response::error(
                  400, "invalid_body", "incidentId differs from the incident in the path"));
            }
            reflection->SetUInt64(message, incident_field, *id);
            if (auto p = codec::dispatch_problem(*command))
              return respond(net::http_response::error(400, "invalid_body", *p));
            const core::incident_id path_incident{*id};
            run(pipeline, who, req, std::move(e), std::move(respond),
                [incident_body, path_incident](const event_pipeline::outcome& o) {
                  auto body = incident_body(path_incident);
                  // A reopening creates a new incident: name it too.
                  if (const auto created = created_incident(o); created && path_incident < *created)
                    body["created_incident_id"] = created->value();
                  return body;
                });
          }));

  r.add("GET", "/v1/units",
        guarded(auth, roles.staff,
                [&engine](const principal&, net::http_request&&, net::responder respond) {
                  json::array units;
                  for (const auto& [id, u] : engine.board().units()) units.push_back(unit_json(u));
                  respond(json_ok(json::object{{"units", std::move(units)}}));
                }));

  r.add_prefix(
      "POST", "/v1/units/",
      guarded(auth, roles.dispatchers,
              [&pipeline, &engine](const principal& who, net::http_request&& req,
                                   net::responder respond) {
                const auto [id_text, what] =
                    split_rest(std::string_view(req.path).substr(std::size("/v1/units/") - 1));
                if (what != "status") {
                  return respond(net::http_response::error(404, "not_found", "no such route"));
                }
                const core::unit_id unit{std::string(id_text)};
                if (!engine.board().find_unit(unit)) {
                  return respond(net::http_response::error(404, "not_found",
                                                           "no unit " + std::string(id_text)));
                }
                v1::CrewStatus status;
                if (auto bad = parse_body(req, status)) return respond(std::move(*bad));
                if (!status.unit_id().empty() && status.unit_id() != unit.value()) {
                  return respond(net::http_response::error(
                      400, "invalid_body", "unitId differs from the unit in the path"));
                }
                status.set_unit_id(unit.value());
                v1::Event e;
                *e.mutable_crew_status() = std::move(status);
                run(pipeline, who, req, std::move(e), std::move(respond),
                    [&engine, unit](const event_pipeline::outcome&) {
                      return json::object{{"unit", unit_json(*engine.board().find_unit(unit))}};
                    });
              }));
}

}  // namespace crisisline::app
