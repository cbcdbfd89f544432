#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/dispatch/commands.hpp"
#include "core/dispatch/incident.hpp"
#include "core/dispatch/recommendation.hpp"
#include "core/ids.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

// What the board asks the outside world to do or record. Like the engine's
// effects, they are returned, never performed: app/ sends them only after the
// command that caused them is committed, so replay can re-derive them.
namespace crisisline::core::dispatch {

struct incident_raised {
  incident_id incident;
  contact_id contact;
  std::optional<incident_id> reopened_from;

  friend bool operator==(const incident_raised&, const incident_raised&) = default;
};

// Everything the crew needs to go. Send on the crew feed; the crew must
// acknowledge it (acknowledge command). A re-alert repeats the same content
// with a new number.
struct crew_alert {
  unit_id unit;
  std::string call_sign;
  incident_id incident;
  // Increases by one for every alert the board issues, so the feed can order,
  // de-duplicate and resume.
  std::uint64_t alert_number = 0;
  bool repeat = false;
  timestamp assigned_at{};
  triage_category category = triage_category::unspecified;
  // Face-to-face target of the category; nullopt when it has none.
  std::optional<duration> target;
  std::optional<geo_point> coordinates;
  std::string address;
  area_id area;
  std::vector<std::string> required_skills;
  std::optional<police_request> police;
  // The nurse's risk and access information.
  std::string note;
  // The dispatcher's note on this assignment.
  std::string assign_note;
  std::vector<contact_id> contacts;
  // Call signs of the other units with a live assignment to this incident.
  std::vector<std::string> other_units;
  // Set when the unit was taken off another incident to come here.
  std::optional<incident_id> diverted_from;
  // Jobs to finish first (a forced double booking); empty when this is the current job.
  std::vector<incident_id> stacked_behind;

  friend bool operator==(const crew_alert&, const crew_alert&) = default;
};

// Tell the crew they are no longer going to an incident.
struct crew_stand_down {
  unit_id unit;
  std::string call_sign;
  incident_id incident;
  // Increases by one for every stand-down the board issues (like
  // alert_number), so a reconnecting crew can ask for the ones it missed.
  std::uint64_t number = 0;
  stand_down_reason reason = stand_down_reason::other;
  std::string note;
  std::optional<incident_id> divert_to;

  friend bool operator==(const crew_stand_down&, const crew_stand_down&) = default;
};

// For every dispatcher's console. `kind` is one of the notice_kind constants.
struct dispatcher_notice {
  std::string kind;
  incident_id incident;
  unit_id unit;
  std::string text;

  friend bool operator==(const dispatcher_notice&, const dispatcher_notice&) = default;
};

namespace notice_kind {
// An alert has not been acknowledged in time (repeated every ack_reminder).
inline constexpr const char* ack_timeout = "ack_timeout";
// An incident needs a unit and none is suitable.
inline constexpr const char* incident_queued = "incident_queued";
// A waiting incident reached 50, 75 or 100% of its category target
// (the configured thresholds; the text says which).
inline constexpr const char* escalation = "escalation";
// A unit became free that suits a queued incident.
inline constexpr const char* unit_free_for_queued = "unit_free_for_queued";
inline constexpr const char* double_booking_forced = "double_booking_forced";
// A unit was assigned that the recommendation would have excluded.
inline constexpr const char* unit_not_recommended = "unit_not_recommended";
// A stand-down left an incident that still needs a unit without one.
inline constexpr const char* incident_needs_unit = "incident_needs_unit";
// A crew skipped a step (acknowledged straight to on scene, say).
inline constexpr const char* step_skipped = "step_skipped";
}  // namespace notice_kind

// One change of a unit's status, or of one assignment's stage, for the log.
// A skipped step has skipped = true and no `at`: it is never back-filled.
struct unit_status_record {
  unit_id unit;
  std::optional<incident_id> incident;
  unit_state from = unit_state::unspecified;
  unit_state to = unit_state::unspecified;
  std::optional<timestamp> at;
  timestamp recorded_at{};
  bool skipped = false;
  actor_role by = actor_role::system;
  std::string by_id;
  std::string note;

  friend bool operator==(const unit_status_record&, const unit_status_record&) = default;
};

struct incident_status_record {
  incident_id incident;
  incident_state from = incident_state::raised;
  incident_state to = incident_state::raised;
  timestamp at{};
  actor_role by = actor_role::system;
  std::string by_id;
  std::string note;

  friend bool operator==(const incident_status_record&, const incident_status_record&) = default;
};

// For the nurse's view of a contact ("unit MHRC1 en route, ETA 12 min"), one
// per linked contact.
struct nurse_update {
  contact_id contact;
  incident_id incident;
  unit_id unit;
  std::string text;
  std::optional<duration> eta;

  friend bool operator==(const nurse_update&, const nurse_update&) = default;
};

// The audit record of a forced double booking.
struct double_booking_forced {
  unit_id unit;
  incident_id incident;
  std::vector<incident_id> already_on;
  actor_role by = actor_role::dispatcher;
  std::string by_id;

  friend bool operator==(const double_booking_forced&, const double_booking_forced&) = default;
};

// The answer to a recommend command (also attached when an incident is raised).
struct recommendation_made {
  recommendation rec;
};

using effect = std::variant<incident_raised, crew_alert, crew_stand_down, dispatcher_notice,
                            unit_status_record, incident_status_record, nurse_update,
                            double_booking_forced, recommendation_made>;
using effect_list = std::vector<effect>;

// Why a command was refused; the HTTP layer maps these to status codes.
enum class rejection {
  // Malformed or incomplete (400).
  invalid,
  // No such unit or incident (404).
  not_found,
  // This actor may not do this (403).
  forbidden,
  // Not allowed in the current state: illegal transition, double booking,
  // time going backwards (409).
  conflict
};

// The outcome of apply(): accepted with effects, or rejected with a plain
// reason and nothing changed.
struct result {
  bool accepted = false;
  rejection kind = rejection::conflict;
  std::string reason;
  effect_list effects;

  [[nodiscard]] static result accept(effect_list e) {
    return {.accepted = true, .kind = rejection::conflict, .reason = {}, .effects = std::move(e)};
  }
  [[nodiscard]] static result reject(rejection k, std::string why) {
    return {.accepted = false, .kind = k, .reason = std::move(why), .effects = {}};
  }
};

}  // namespace crisisline::core::dispatch
