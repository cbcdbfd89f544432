#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/ids.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

// Everything a person or the system can ask of the dispatch board. Each struct
// but recommend (a query) has a protobuf twin in crisisline.v1.DispatchCommand.
namespace crisisline::core {
// The log's view of a crew status (event.hpp).
struct crew_status;
}  // namespace crisisline::core

namespace crisisline::core::dispatch {

// Who is asking. What each role may do is in README's dispatch section and in
// dispatch_board::apply's rules:
// - crew: their own unit only (acknowledge, statuses, sign on/off);
// - nurse: incidents (raise, link, monitor, queue, end, reopen), recommend,
//   assign (not forced) and stand down;
// - dispatcher: everything a nurse may, plus forcing a double booking,
//   re-alerting, confirming by radio and setting a unit's status for the crew;
// - system: alert_sent, and acknowledge on behalf of a crew whose ack arrived
//   over the crew feed.
enum class actor_role { crew, nurse, dispatcher, system };

struct actor_info {
  actor_role role = actor_role::system;
  // Staff id, crew member id, or the component name for system.
  std::string id;
  // For crew: the unit they are signed on to and authenticated for.
  unit_id unit;

  friend bool operator==(const actor_info&, const actor_info&) = default;
};

[[nodiscard]] std::string_view actor_name(actor_role k);

// Right Care, Right Person: police attend only for a crime or a real and
// immediate risk to life or of serious harm.
enum class police_reason { crime, risk_to_life };

struct police_request {
  police_reason reason = police_reason::risk_to_life;
  // What the nurse recorded ("weapon seen", "threatening neighbour").
  std::string detail;

  friend bool operator==(const police_request&, const police_request&) = default;
};

enum class unavailable_reason { meal, fuel, mechanical, training, end_of_shift, other };

enum class destination_kind { emergency_department, place_of_safety, home, other };

// A nurse raises an incident from a contact. At least one of coordinates and
// address is required; "police" in required_skills needs `police`, and
// `police` adds the police skill.
struct raise_incident {
  contact_id contact;
  std::optional<geo_point> coordinates;
  std::string address;
  // Empty means any area.
  area_id area;
  std::vector<std::string> required_skills;
  triage_category category = triage_category::unspecified;
  std::optional<police_request> police;
  // Risk and access information for the crew ("dog in house, use back door").
  std::string note;
  // Watch without a unit (welfare callback plan): starts monitored.
  bool monitor_only = false;

  friend bool operator==(const raise_incident&, const raise_incident&) = default;
};

// Another contact (repeat caller, third party, text thread) about the same incident.
struct link_contact {
  incident_id incident;
  contact_id contact;

  friend bool operator==(const link_contact&, const link_contact&) = default;
};

struct set_monitored {
  incident_id incident;
  std::string plan;

  friend bool operator==(const set_monitored&, const set_monitored&) = default;
};

// Needs a unit but none is suitable now; escalates while it waits.
struct queue_incident {
  incident_id incident;
  std::string note;

  friend bool operator==(const queue_incident&, const queue_incident&) = default;
};

// A query: changes nothing, answers with a recommendation_made effect.
struct recommend {
  incident_id incident;

  friend bool operator==(const recommend&, const recommend&) = default;
};

struct assign_unit {
  incident_id incident;
  unit_id unit;
  // Book a unit that already has a live assignment; the new job waits behind
  // it. Dispatcher only, and logged.
  bool force = false;
  std::string note;

  friend bool operator==(const assign_unit&, const assign_unit&) = default;
};

// The crew feed handed the alert to the unit's device (system only).
struct alert_sent {
  incident_id incident;
  unit_id unit;

  friend bool operator==(const alert_sent&, const alert_sent&) = default;
};

// The crew acknowledged the alert (crew, or system relaying the feed's ack).
struct acknowledge {
  incident_id incident;
  unit_id unit;

  friend bool operator==(const acknowledge&, const acknowledge&) = default;
};

// A dispatcher heard the crew acknowledge by radio or phone.
struct confirm_by_radio {
  incident_id incident;
  unit_id unit;
  std::string note;

  friend bool operator==(const confirm_by_radio&, const confirm_by_radio&) = default;
};

// Send the alert again; the unit's state does not change.
struct re_alert {
  incident_id incident;
  unit_id unit;

  friend bool operator==(const re_alert&, const re_alert&) = default;
};

// A unit status from the crew (or set for them by a dispatcher). Only crew- or
// dispatcher-settable states are accepted: available, unavailable, en_route,
// on_scene, transporting, at_destination, clear.
struct crew_status_update {
  unit_id unit;
  unit_state state = unit_state::unspecified;
  // Defaults to the unit's current incident.
  std::optional<incident_id> incident;
  std::optional<geo_point> location;
  // Required with unavailable.
  std::optional<unavailable_reason> unavailable;
  // Required with transporting.
  std::optional<destination_kind> destination;
  std::string destination_detail;
  // When it happened on the device; a device clock ahead of `now` is capped at `now`.
  std::optional<timestamp> occurred_at;

  friend bool operator==(const crew_status_update&, const crew_status_update&) = default;
};

// Converts the log's crew_status (string reasons) to a command. Returns a plain
// reason when it can't: an unknown unavailable reason or destination.
[[nodiscard]] std::variant<crew_status_update, std::string> to_command(const crew_status& s);

enum class stand_down_reason {
  // The incident no longer needs this unit (person safe, another service attended).
  not_needed,
  // The unit goes to another incident on its way (divert_to).
  diverted,
  // A more urgent incident takes the unit (divert_to).
  pre_empted,
  // Another unit takes over (replace_with).
  replaced,
  other
};

// Cancels a unit's assignment before it is on scene. `divert_to` assigns the
// same unit to another incident; `replace_with` assigns another unit to this
// incident; both happen in the same step or not at all.
struct stand_down {
  incident_id incident;
  unit_id unit;
  stand_down_reason reason = stand_down_reason::other;
  std::string note;
  std::optional<incident_id> divert_to;
  std::optional<unit_id> replace_with;
  // As assign_unit::force, for the replacement.
  bool force_replacement = false;

  friend bool operator==(const stand_down&, const stand_down&) = default;
};

struct end_incident {
  incident_id incident;
  std::string outcome;

  friend bool operator==(const end_incident&, const end_incident&) = default;
};

// An ended incident needs action again: a new incident, linked to the old.
struct reopen {
  incident_id incident;
  std::optional<contact_id> contact;
  std::string note;

  friend bool operator==(const reopen&, const reopen&) = default;
};

struct crew_sign_on {
  unit_id unit;
  std::vector<std::string> crew;
  // Skills on board this shift, replacing the configured ones (no police
  // officer today, say).
  std::optional<std::vector<std::string>> skills;
  std::optional<geo_point> location;

  friend bool operator==(const crew_sign_on&, const crew_sign_on&) = default;
};

// Where a unit is between statuses (crew, or a dispatcher for them): for ETAs
// and recommendations. The unit's state does not change.
struct crew_location {
  unit_id unit;
  geo_point location;
  // When it was measured on the device; a clock ahead of `now` is capped at `now`.
  std::optional<timestamp> occurred_at;

  friend bool operator==(const crew_location&, const crew_location&) = default;
};

struct crew_sign_off {
  unit_id unit;

  friend bool operator==(const crew_sign_off&, const crew_sign_off&) = default;
};

using command = std::variant<raise_incident, link_contact, set_monitored, queue_incident, recommend,
                             assign_unit, alert_sent, acknowledge, confirm_by_radio, re_alert,
                             crew_status_update, stand_down, end_incident, reopen, crew_sign_on,
                             crew_sign_off, crew_location>;

// "assign_unit", for logs and rejections.
[[nodiscard]] std::string_view command_name(const command& c);

[[nodiscard]] std::string_view reason_name(police_reason r);
[[nodiscard]] std::string_view reason_name(unavailable_reason r);
[[nodiscard]] std::string_view reason_name(stand_down_reason r);
[[nodiscard]] std::string_view destination_name(destination_kind d);

}  // namespace crisisline::core::dispatch
