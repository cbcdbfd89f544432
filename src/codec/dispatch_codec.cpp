#include "codec/dispatch_codec.hpp"

#include <type_traits>

#include "codec/event_codec.hpp"

namespace crisisline::codec {
namespace d = core::dispatch;

namespace {

using codec::to_proto;

d::police_reason to_core(v1::PoliceReason r) {
  switch (r) {
    case v1::POLICE_CRIME:
      return d::police_reason::crime;
    case v1::POLICE_RISK_TO_LIFE:
    case v1::POLICE_REASON_UNSPECIFIED:
    case v1::PoliceReason_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::PoliceReason_INT_MAX_SENTINEL_DO_NOT_USE_:
      return d::police_reason::risk_to_life;
  }
  return d::police_reason::risk_to_life;
}

d::stand_down_reason to_core(v1::StandDownReason r) {
  switch (r) {
    case v1::STAND_DOWN_NOT_NEEDED:
      return d::stand_down_reason::not_needed;
    case v1::STAND_DOWN_DIVERTED:
      return d::stand_down_reason::diverted;
    case v1::STAND_DOWN_PRE_EMPTED:
      return d::stand_down_reason::pre_empted;
    case v1::STAND_DOWN_REPLACED:
      return d::stand_down_reason::replaced;
    case v1::STAND_DOWN_OTHER:
    case v1::STAND_DOWN_REASON_UNSPECIFIED:
    case v1::StandDownReason_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::StandDownReason_INT_MAX_SENTINEL_DO_NOT_USE_:
      return d::stand_down_reason::other;
  }
  return d::stand_down_reason::other;
}

template <typename C>
std::vector<std::string> to_vector(const C& c) {
  return {c.begin(), c.end()};
}

core::incident_id incident(std::uint64_t id) {
  return core::incident_id{id};
}

core::unit_id unit(const std::string& id) {
  return core::unit_id{id};
}

}  // namespace

v1::PoliceReason to_proto(d::police_reason r) {
  switch (r) {
    case d::police_reason::crime:
      return v1::POLICE_CRIME;
    case d::police_reason::risk_to_life:
      return v1::POLICE_RISK_TO_LIFE;
  }
  return v1::POLICE_REASON_UNSPECIFIED;
}

v1::StandDownReason to_proto(d::stand_down_reason r) {
  switch (r) {
    case d::stand_down_reason::not_needed:
      return v1::STAND_DOWN_NOT_NEEDED;
    case d::stand_down_reason::diverted:
      return v1::STAND_DOWN_DIVERTED;
    case d::stand_down_reason::pre_empted:
      return v1::STAND_DOWN_PRE_EMPTED;
    case d::stand_down_reason::replaced:
      return v1::STAND_DOWN_REPLACED;
    case d::stand_down_reason::other:
      return v1::STAND_DOWN_OTHER;
  }
  return v1::STAND_DOWN_OTHER;
}

v1::TriageCategory to_proto(core::triage_category c) {
  switch (c) {
    case core::triage_category::a:
      return v1::TRIAGE_A;
    case core::triage_category::b:
      return v1::TRIAGE_B;
    case core::triage_category::c:
      return v1::TRIAGE_C;
    case core::triage_category::d:
      return v1::TRIAGE_D;
    case core::triage_category::e:
      return v1::TRIAGE_E;
    case core::triage_category::f:
      return v1::TRIAGE_F;
    case core::triage_category::g:
      return v1::TRIAGE_G;
    case core::triage_category::unspecified:
      return v1::TRIAGE_UNSPECIFIED;
  }
  return v1::TRIAGE_UNSPECIFIED;
}

v1::UnitState to_proto(core::unit_state s) {
  switch (s) {
    case core::unit_state::unavailable:
      return v1::UNIT_UNAVAILABLE;
    case core::unit_state::available:
      return v1::UNIT_AVAILABLE;
    case core::unit_state::assigned:
      return v1::UNIT_ASSIGNED;
    case core::unit_state::alerted:
      return v1::UNIT_ALERTED;
    case core::unit_state::acknowledged:
      return v1::UNIT_ACKNOWLEDGED;
    case core::unit_state::en_route:
      return v1::UNIT_EN_ROUTE;
    case core::unit_state::on_scene:
      return v1::UNIT_ON_SCENE;
    case core::unit_state::transporting:
      return v1::UNIT_TRANSPORTING;
    case core::unit_state::at_destination:
      return v1::UNIT_AT_DESTINATION;
    case core::unit_state::clear:
      return v1::UNIT_CLEAR;
    case core::unit_state::unspecified:
      return v1::UNIT_STATE_UNSPECIFIED;
  }
  return v1::UNIT_STATE_UNSPECIFIED;
}

v1::GeoPoint to_proto_point(const core::geo_point& p) {
  v1::GeoPoint out;
  out.set_latitude(p.latitude);
  out.set_longitude(p.longitude);
  return out;
}

core::geo_point to_core(const v1::GeoPoint& p) {
  return core::geo_point{.latitude = p.latitude(), .longitude = p.longitude()};
}

std::optional<d::command> to_core(const v1::DispatchCommand& c) {
  switch (c.command_case()) {
    case v1::DispatchCommand::kRaiseIncident: {
      const auto& r = c.raise_incident();
      d::raise_incident out{.contact = core::contact_id{r.contact_id()},
                            .coordinates = {},
                            .address = r.address(),
                            .area = core::area_id{r.area()},
                            .required_skills = to_vector(r.required_skills()),
                            .category = to_core(r.category()),
                            .police = {},
                            .note = r.note(),
                            .monitor_only = r.monitor_only()};
      if (r.has_coordinates()) out.coordinates = to_core(r.coordinates());
      if (r.has_police())
        out.police = d::police_request{to_core(r.police().reason()), r.police().detail()};
      return out;
    }
    case v1::DispatchCommand::kLinkContact:
      return d::link_contact{incident(c.link_contact().incident_id()),
                             core::contact_id{c.link_contact().contact_id()}};
    case v1::DispatchCommand::kSetMonitored:
      return d::set_monitored{incident(c.set_monitored().incident_id()), c.set_monitored().plan()};
    case v1::DispatchCommand::kQueueIncident:
      return d::queue_incident{incident(c.queue_incident().incident_id()),
                               c.queue_incident().note()};
    case v1::DispatchCommand::kAssignUnit: {
      const auto& a = c.assign_unit();
      return d::assign_unit{incident(a.incident_id()), unit(a.unit_id()), a.force(), a.note()};
    }
    case v1::DispatchCommand::kAlertSent:
      return d::alert_sent{incident(c.alert_sent().incident_id()), unit(c.alert_sent().unit_id())};
    case v1::DispatchCommand::kAcknowledge:
      return d::acknowledge{incident(c.acknowledge().incident_id()),
                            unit(c.acknowledge().unit_id())};
    case v1::DispatchCommand::kConfirmByRadio: {
      const auto& r = c.confirm_by_radio();
      return d::confirm_by_radio{incident(r.incident_id()), unit(r.unit_id()), r.note()};
    }
    case v1::DispatchCommand::kReAlert:
      return d::re_alert{incident(c.re_alert().incident_id()), unit(c.re_alert().unit_id())};
    case v1::DispatchCommand::kStandDown: {
      const auto& s = c.stand_down();
      d::stand_down out{.incident = incident(s.incident_id()),
                        .unit = unit(s.unit_id()),
                        .reason = to_core(s.reason()),
                        .note = s.note(),
                        .divert_to = {},
                        .replace_with = {},
                        .force_replacement = s.force_replacement()};
      if (s.divert_to() != 0) out.divert_to = incident(s.divert_to());
      if (!s.replace_with().empty()) out.replace_with = unit(s.replace_with());
      return out;
    }
    case v1::DispatchCommand::kEndIncident:
      return d::end_incident{incident(c.end_incident().incident_id()), c.end_incident().outcome()};
    case v1::DispatchCommand::kReopen: {
      const auto& r = c.reopen();
      d::reopen out{.incident = incident(r.incident_id()), .contact = {}, .note = r.note()};
      if (r.contact_id() != 0) out.contact = core::contact_id{r.contact_id()};
      return out;
    }
    case v1::DispatchCommand::kCrewSignOn: {
      const auto& s = c.crew_sign_on();
      d::crew_sign_on out{
          .unit = unit(s.unit_id()), .crew = to_vector(s.crew()), .skills = {}, .location = {}};
      if (s.has_skills()) out.skills = to_vector(s.skills().skills());
      if (s.has_location()) out.location = to_core(s.location());
      return out;
    }
    case v1::DispatchCommand::kCrewSignOff:
      return d::crew_sign_off{unit(c.crew_sign_off().unit_id())};
    case v1::DispatchCommand::kCrewLocation: {
      const auto& l = c.crew_location();
      d::crew_location out{
          .unit = unit(l.unit_id()), .location = to_core(l.location()), .occurred_at = {}};
      if (l.has_at()) out.occurred_at = from_proto_time(l.at());
      return out;
    }
    case v1::DispatchCommand::COMMAND_NOT_SET:
      return std::nullopt;
  }
  return std::nullopt;
}

v1::DispatchCommand to_proto(const d::command& command) {
  v1::DispatchCommand out;
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, d::raise_incident>) {
          auto* r = out.mutable_raise_incident();
          r->set_contact_id(c.contact.value());
          if (c.coordinates) *r->mutable_coordinates() = to_proto_point(*c.coordinates);
          r->set_address(c.address);
          r->set_area(c.area.value());
          for (const auto& s : c.required_skills) r->add_required_skills(s);
          r->set_category(to_proto(c.category));
          if (c.police) {
            r->mutable_police()->set_reason(to_proto(c.police->reason));
            r->mutable_police()->set_detail(c.police->detail);
          }
          r->set_note(c.note);
          r->set_monitor_only(c.monitor_only);
        } else if constexpr (std::is_same_v<T, d::link_contact>) {
          out.mutable_link_contact()->set_incident_id(c.incident.value());
          out.mutable_link_contact()->set_contact_id(c.contact.value());
        } else if constexpr (std::is_same_v<T, d::set_monitored>) {
          out.mutable_set_monitored()->set_incident_id(c.incident.value());
          out.mutable_set_monitored()->set_plan(c.plan);
        } else if constexpr (std::is_same_v<T, d::queue_incident>) {
          out.mutable_queue_incident()->set_incident_id(c.incident.value());
          out.mutable_queue_incident()->set_note(c.note);
        } else if constexpr (std::is_same_v<T, d::assign_unit>) {
          auto* a = out.mutable_assign_unit();
          a->set_incident_id(c.incident.value());
          a->set_unit_id(c.unit.value());
          a->set_force(c.force);
          a->set_note(c.note);
        } else if constexpr (std::is_same_v<T, d::alert_sent>) {
          out.mutable_alert_sent()->set_incident_id(c.incident.value());
          out.mutable_alert_sent()->set_unit_id(c.unit.value());
        } else if constexpr (std::is_same_v<T, d::acknowledge>) {
          out.mutable_acknowledge()->set_incident_id(c.incident.value());
          out.mutable_acknowledge()->set_unit_id(c.unit.value());
        } else if constexpr (std::is_same_v<T, d::confirm_by_radio>) {
          out.mutable_confirm_by_radio()->set_incident_id(c.incident.value());
          out.mutable_confirm_by_radio()->set_unit_id(c.unit.value());
          out.mutable_confirm_by_radio()->set_note(c.note);
        } else if constexpr (std::is_same_v<T, d::re_alert>) {
          out.mutable_re_alert()->set_incident_id(c.incident.value());
          out.mutable_re_alert()->set_unit_id(c.unit.value());
        } else if constexpr (std::is_same_v<T, d::stand_down>) {
          auto* s = out.mutable_stand_down();
          s->set_incident_id(c.incident.value());
          s->set_unit_id(c.unit.value());
          s->set_reason(to_proto(c.reason));
          s->set_note(c.note);
          if (c.divert_to) s->set_divert_to(c.divert_to->value());
          if (c.replace_with) s->set_replace_with(c.replace_with->value());
          s->set_force_replacement(c.force_replacement);
        } else if constexpr (std::is_same_v<T, d::end_incident>) {
          out.mutable_end_incident()->set_incident_id(c.incident.value());
          out.mutable_end_incident()->set_outcome(c.outcome);
        } else if constexpr (std::is_same_v<T, d::reopen>) {
          out.mutable_reopen()->set_incident_id(c.incident.value());
          if (c.contact) out.mutable_reopen()->set_contact_id(c.contact->value());
          out.mutable_reopen()->set_note(c.note);
        } else if constexpr (std::is_same_v<T, d::crew_sign_on>) {
          auto* s = out.mutable_crew_sign_on();
          s->set_unit_id(c.unit.value());
          for (const auto& m : c.crew) s->add_crew(m);
          if (c.skills) {
            auto* list = s->mutable_skills();
            for (const auto& k : *c.skills) list->add_skills(k);
          }
          if (c.location) *s->mutable_location() = to_proto_point(*c.location);
        } else if constexpr (std::is_same_v<T, d::crew_sign_off>) {
          out.mutable_crew_sign_off()->set_unit_id(c.unit.value());
        } else if constexpr (std::is_same_v<T, d::crew_location>) {
          auto* l = out.mutable_crew_location();
          l->set_unit_id(c.unit.value());
          *l->mutable_location() = to_proto_point(c.location);
          if (c.occurred_at) *l->mutable_at() = to_proto_time(*c.occurred_at);
        }
        // recommend and crew_status_update have no DispatchCommand twin: a
        // recommendation is a query, a status is a CrewStatus event.
      },
      command);
  return out;
}

std::optional<std::string> dispatch_problem(const v1::DispatchCommand& c) {
  const auto need_unit = [](const std::string& u) -> std::optional<std::string> {
    if (u.empty()) return "unit_id is required";
    return std::nullopt;
  };
  const auto need_incident = [](std::uint64_t i) -> std::optional<std::string> {
    if (i == 0) return "incident_id is required";
    return std::nullopt;
  };
  switch (c.command_case()) {
    case v1::DispatchCommand::COMMAND_NOT_SET:
      return "no command";
    case v1::DispatchCommand::kRaiseIncident: {
      const auto& r = c.raise_incident();
      if (r.contact_id() == 0) return "raise_incident.contact_id is required";
      if (r.has_police() && r.police().reason() == v1::POLICE_REASON_UNSPECIFIED)
        return "raise_incident.police.reason is required (crime or risk to life)";
      return std::nullopt;
    }
    case v1::DispatchCommand::kLinkContact:
      if (c.link_contact().contact_id() == 0) return "link_contact.contact_id is required";
      return need_incident(c.link_contact().incident_id());
    case v1::DispatchCommand::kSetMonitored:
      return need_incident(c.set_monitored().incident_id());
    case v1::DispatchCommand::kQueueIncident:
      return need_incident(c.queue_incident().incident_id());
    case v1::DispatchCommand::kAssignUnit:
      if (auto p = need_incident(c.assign_unit().incident_id())) return p;
      return need_unit(c.assign_unit().unit_id());
    case v1::DispatchCommand::kAlertSent:
      if (auto p = need_incident(c.alert_sent().incident_id())) return p;
      return need_unit(c.alert_sent().unit_id());
    case v1::DispatchCommand::kAcknowledge:
      if (auto p = need_incident(c.acknowledge().incident_id())) return p;
      return need_unit(c.acknowledge().unit_id());
    case v1::DispatchCommand::kConfirmByRadio:
      if (auto p = need_incident(c.confirm_by_radio().incident_id())) return p;
      return need_unit(c.confirm_by_radio().unit_id());
    case v1::DispatchCommand::kReAlert:
      if (auto p = need_incident(c.re_alert().incident_id())) return p;
      return need_unit(c.re_alert().unit_id());
    case v1::DispatchCommand::kStandDown:
      if (auto p = need_incident(c.stand_down().incident_id())) return p;
      return need_unit(c.stand_down().unit_id());
    case v1::DispatchCommand::kEndIncident:
      return need_incident(c.end_incident().incident_id());
    case v1::DispatchCommand::kReopen:
      return need_incident(c.reopen().incident_id());
    case v1::DispatchCommand::kCrewSignOn:
      return need_unit(c.crew_sign_on().unit_id());
    case v1::DispatchCommand::kCrewSignOff:
      return need_unit(c.crew_sign_off().unit_id());
    case v1::DispatchCommand::kCrewLocation:
      if (!c.crew_location().has_location()) return "crew_location.location is required";
      return need_unit(c.crew_location().unit_id());
  }
  return std::nullopt;
}

}  // namespace crisisline::codec
