#include "core/dispatch/commands.hpp"

#include "core/event.hpp"

#include <array>
#include <utility>

namespace crisisline::core::dispatch {

namespace {

// In the order of the command variant's alternatives.
constexpr std::array<std::string_view, 17> command_names = {
    "raise_incident",     "link_contact", "set_monitored", "queue_incident",   "recommend",
    "assign_unit",        "alert_sent",   "acknowledge",   "confirm_by_radio", "re_alert",
    "crew_status_update", "stand_down",   "end_incident",  "reopen",           "crew_sign_on",
    "crew_sign_off",      "crew_location"};
static_assert(command_names.size() == std::variant_size_v<command>);

constexpr std::array unavailable_reasons = {
    unavailable_reason::meal,     unavailable_reason::fuel,         unavailable_reason::mechanical,
    unavailable_reason::training, unavailable_reason::end_of_shift, unavailable_reason::other};

constexpr std::array destinations = {destination_kind::emergency_department,
                                     destination_kind::place_of_safety, destination_kind::home,
                                     destination_kind::other};

}  // namespace

std::string_view actor_name(actor_role k) {
  switch (k) {
    case actor_role::crew:
      return "crew";
    case actor_role::nurse:
      return "nurse";
    case actor_role::dispatcher:
      return "dispatcher";
    case actor_role::system:
      return "system";
  }
  return "?";
}

std::string_view command_name(const command& c) {
  return command_names[c.index()];
}

std::string_view reason_name(police_reason r) {
  switch (r) {
    case police_reason::crime:
      return "crime";
    case police_reason::risk_to_life:
      return "risk to life or of serious harm";
  }
  return "?";
}

std::string_view reason_name(unavailable_reason r) {
  switch (r) {
    case unavailable_reason::meal:
      return "meal";
    case unavailable_reason::fuel:
      return "fuel";
    case unavailable_reason::mechanical:
      return "mechanical";
    case unavailable_reason::training:
      return "training";
    case unavailable_reason::end_of_shift:
      return "end_of_shift";
    case unavailable_reason::other:
      return "other";
  }
  return "?";
}

std::string_view reason_name(stand_down_reason r) {
  switch (r) {
    case stand_down_reason::not_needed:
      return "not needed";
    case stand_down_reason::diverted:
      return "diverted";
    case stand_down_reason::pre_empted:
      return "pre-empted";
    case stand_down_reason::replaced:
      return "replaced";
    case stand_down_reason::other:
      return "other";
  }
  return "?";
}

std::string_view destination_name(destination_kind d) {
  switch (d) {
    case destination_kind::emergency_department:
      return "emergency_department";
    case destination_kind::place_of_safety:
      return "place_of_safety";
    case destination_kind::home:
      return "home";
    case destination_kind::other:
      return "other";
  }
  return "?";
}

std::variant<crew_status_update, std::string> to_command(const crew_status& s) {
  crew_status_update out;
  out.unit = unit_id{s.unit_id};
  out.state = s.state;
  if (s.incident_id != 0) out.incident = incident_id{s.incident_id};
  out.location = s.location;
  if (s.state == unit_state::unavailable) {
    for (const auto r : unavailable_reasons)
      if (reason_name(r) == s.reason) out.unavailable = r;
    if (!out.unavailable) return "unknown unavailable reason \"" + s.reason + "\"";
  }
  if (s.state == unit_state::transporting) {
    for (const auto d : destinations)
      if (destination_name(d) == s.destination) out.destination = d;
    // Free text ("St Mary's ED") is kept as detail of an "other" destination.
    if (!out.destination && !s.destination.empty()) {
      out.destination = destination_kind::other;
      out.destination_detail = s.destination;
    }
    if (!out.destination) return std::string{"transporting needs a destination"};
  }
  return out;
}

}  // namespace crisisline::core::dispatch
