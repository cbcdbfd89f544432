// The engine's side of response-car dispatch: DispatchCommand and CrewStatus
// events go to the dispatch board, and its effects come back as engine effects.
#include <algorithm>
#include <type_traits>

#include "core/engine.hpp"

namespace crisisline::core {

namespace {

// The unit a crew command is about, for a crew signing on.
const unit_id* unit_of(const dispatch::command& c) {
  if (const auto* on = std::get_if<dispatch::crew_sign_on>(&c)) return &on->unit;
  return nullptr;
}

}  // namespace

std::optional<dispatch::actor_info> engine::dispatch_actor(const actor& by,
                                                           const dispatch::command* c) const {
  using dispatch::actor_role;
  const auto crew = [&]() -> dispatch::actor_info {
    dispatch::actor_info out{.role = actor_role::crew, .id = by.id, .unit = {}};
    if (const unit_id* u = c ? unit_of(*c) : nullptr) {
      out.unit = *u;
    } else if (const auto it = crew_units_.find(by.id); it != crew_units_.end()) {
      out.unit = it->second;
    }
    return out;
  };
  switch (by.kind) {
    case actor_kind::system:
      return dispatch::actor_info{.role = actor_role::system, .id = by.id, .unit = {}};
    case actor_kind::integration:
      return dispatch::actor_info{.role = actor_role::dispatcher, .id = by.id, .unit = {}};
    case actor_kind::crew:
      return crew();
    case actor_kind::staff:
      if (by.role == "nurse")
        return dispatch::actor_info{.role = actor_role::nurse, .id = by.id, .unit = {}};
      if (by.role == "supervisor" || by.role == "admin" || by.role == "integration")
        return dispatch::actor_info{.role = actor_role::dispatcher, .id = by.id, .unit = {}};
      if (by.role == "crew") return crew();
      return std::nullopt;
    case actor_kind::unspecified:
    case actor_kind::provider:
      return std::nullopt;
  }
  return std::nullopt;
}

std::vector<const dispatch::incident*> engine::incidents_of(contact_id c) const {
  std::vector<const dispatch::incident*> out;
  for (const auto& [id, inc] : board_.incidents())
    if (std::find(inc.contacts.begin(), inc.contacts.end(), c) != inc.contacts.end())
      out.push_back(&inc);
  return out;
}

void engine::handle(const dispatch_command& c, const actor& by, std::uint64_t seq, effects& out) {
  apply_dispatch(c.command, by, seq, out);
}

void engine::handle(const crew_status& s, const event& e, std::uint64_t seq, effects& out) {
  auto converted = dispatch::to_command(s);
  if (const auto* why = std::get_if<std::string>(&converted))
    return reject(nurse_id{e.by.id}, "crew_status", *why, out);
  auto& update = std::get<dispatch::crew_status_update>(converted);
  update.occurred_at = e.occurred_time;
  apply_dispatch(update, e.by, seq, out);
}

void engine::apply_dispatch(const dispatch::command& c, const actor& by, std::uint64_t seq,
                            effects& out) {
  const std::string name{dispatch::command_name(c)};
  const nurse_id who{by.id};
  const auto as = dispatch_actor(by, &c);
  if (!as) return reject(who, name, "this account may not give dispatch commands", out);
  const auto missing_contact = [&](contact_id id) { return !find(id.value()); };
  std::optional<contact_id> named;
  if (const auto* r = std::get_if<dispatch::raise_incident>(&c)) named = r->contact;
  if (const auto* l = std::get_if<dispatch::link_contact>(&c)) named = l->contact;
  if (const auto* r = std::get_if<dispatch::reopen>(&c)) named = r->contact;
  if (named && missing_contact(*named))
    return reject(who, name, "there is no contact " + std::to_string(named->value()), out);

  auto r = board_.apply(c, *as, now_);
  if (!r.accepted) return reject(who, name, r.reason, out);
  if (const auto* on = std::get_if<dispatch::crew_sign_on>(&c);
      on && as->role == dispatch::actor_role::crew)
    crew_units_[by.id] = on->unit;
  // Whoever signs the unit off (its crew or a dispatcher), its crew are no
  // longer on it.
  if (const auto* off = std::get_if<dispatch::crew_sign_off>(&c))
    std::erase_if(crew_units_, [&](const auto& kv) { return kv.second == off->unit; });
  carry_out(r.effects, seq, out);
}

dispatch_update engine::update_for(const dispatch::incident& inc, contact_id contact,
                                   std::string text, unit_id unit,
                                   std::optional<duration> eta) const {
  dispatch_update u{.contact = contact,
                    .incident = inc.id,
                    .state = inc.state,
                    .units = {},
                    .text = std::move(text),
                    .unit = std::move(unit),
                    .eta = eta};
  for (const auto& a : inc.assignments) {
    if (!a.live()) continue;
    const auto* found = board_.find_unit(a.unit);
    const bool before_scene = !a.at_or_past_scene();
    u.units.push_back({.unit = a.unit,
                       .call_sign = found ? found->config.call_sign : a.unit.value(),
                       .state = a.stage,
                       .eta = before_scene ? board_.eta_of(a.unit, inc.id) : std::nullopt});
  }
  return u;
}

void engine::carry_out(const dispatch::effect_list& fx, std::uint64_t seq, effects& out) {
  for (const auto& f : fx) {
    std::visit(
        [&](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (requires { e.incident.value(); }) {
            // incident_id, or an optional one (a unit status with no incident).
            if constexpr (std::is_same_v<std::decay_t<decltype(e.incident)>, incident_id>) {
              touched_incidents_.push_back(e.incident);
            } else if (e.incident) {
              touched_incidents_.push_back(*e.incident);
            }
          }
          if constexpr (std::is_same_v<T, dispatch::crew_alert> ||
                        std::is_same_v<T, dispatch::crew_stand_down>) {
            out.emplace_back(e);
          } else if constexpr (std::is_same_v<T, dispatch::dispatcher_notice>) {
            const auto* inc = board_.find_incident(e.incident);
            const std::uint64_t about =
                inc && !inc->contacts.empty() ? inc->contacts.front().value() : 0;
            out.push_back(notice{.to = notice::audience::supervisors,
                                 .nurse_id = {},
                                 .kind = e.kind,
                                 .contact_id = about,
                                 .text = e.text,
                                 .incident_id = e.incident.value(),
                                 .unit_id = e.unit.value()});
          } else if constexpr (std::is_same_v<T, dispatch::nurse_update>) {
            if (const auto* inc = board_.find_incident(e.incident))
              out.emplace_back(update_for(*inc, e.contact, e.text, e.unit, e.eta));
          } else if constexpr (std::is_same_v<T, dispatch::incident_raised>) {
            if (const auto* inc = board_.find_incident(e.incident)) {
              for (const auto& c : inc->contacts)
                out.emplace_back(update_for(
                    *inc, c, "Incident " + std::to_string(e.incident.value()) + " raised", {},
                    std::nullopt));
            }
          } else if constexpr (std::is_same_v<T, dispatch::unit_status_record>) {
            if (e.to == unit_state::en_route && e.incident && !e.skipped) {
              if (const auto* inc = board_.find_incident(*e.incident))
                text_person_en_route(*inc, seq, out);
            }
          }
          // Incident transitions, forced-booking audits and recommendations
          // are kept in the board's state and history; nothing to send.
        },
        f);
  }
}

void engine::text_person_en_route(const dispatch::incident& inc, std::uint64_t seq, effects& out) {
  if (!settings_.dispatch.text_person_en_route || seq == 0) return;
  // Only the first unit on its way: later ones would repeat the same news.
  std::size_t en_route = 0;
  for (const auto& a : inc.assignments)
    for (const auto& step : a.steps)
      if (step.state == unit_state::en_route && !step.skipped()) ++en_route;
  if (en_route != 1) return;
  for (const auto& id : inc.contacts) {
    const contact* c = find_contact(id);
    // Only a person who texted in: a call gives no number of ours to text
    // from, and a landline could not receive it anyway.
    if (!c || c->kind != channel::text || c->from_withheld || c->from.empty() ||
        c->service_number.empty())
      continue;
    // An opted-out person gets no non-essential text, and no suppression notice either.
    if (outbox_.opted_out(c->from)) continue;
    outbox_.request(seq, c->id, c->from, c->service_number, settings_.dispatch.en_route_text, false,
                    "dispatch", now_, out);
    return;
  }
}

}  // namespace crisisline::core
