#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dispatch/commands.hpp"
#include "core/ids.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

namespace crisisline::core::dispatch {

// DOMAIN.md §5: new -> queued | active | monitored | ended. `raised` is
// DOMAIN's "new" (a keyword in C++); state_name() prints "new".
enum class incident_state {
  // Just raised; suitable units exist and a nurse or dispatcher is choosing.
  raised,
  // Needs a unit but none is suitable; escalates at the category thresholds.
  queued,
  // A unit has been assigned (and may since have cleared).
  active,
  // Watched without a unit (a welfare callback plan).
  monitored,
  // Final. Reopening creates a new incident linked to this one.
  ended
};

[[nodiscard]] std::string_view state_name(incident_state s);
[[nodiscard]] std::string_view state_name(unit_state s);

// One step of an assignment's progress. A skipped step has no time: the board
// never invents one for it.
struct status_step {
  unit_state state = unit_state::unspecified;
  // When it happened; nullopt when the crew skipped the step.
  std::optional<timestamp> at;
  // When the board learnt of it (for a skipped step, when the skip was seen).
  timestamp recorded_at{};
  actor_role by = actor_role::system;
  std::string by_id;
  // "confirmed by radio", "destination: place_of_safety", ...
  std::string note;

  [[nodiscard]] bool skipped() const { return !at.has_value(); }
  friend bool operator==(const status_step&, const status_step&) = default;
};

// A unit's assignment to an incident, from assigned to cleared or stood down.
struct assignment {
  unit_id unit;
  // Progress: assigned, alerted, acknowledged, en_route, on_scene,
  // transporting, at_destination; clear once cleared.
  unit_state stage = unit_state::assigned;
  std::vector<status_step> steps;
  // Booked over these live assignments with force.
  std::vector<incident_id> forced_over;
  // The incident this unit was diverted or pre-empted from to come here.
  std::optional<incident_id> diverted_from;
  // The unit this one replaced (re-dispatch).
  std::optional<unit_id> replaces;
  // When the dispatcher is told the alert is unacknowledged; cleared by any
  // acknowledgement or progress.
  std::optional<timestamp> ack_deadline;
  std::uint32_t ack_notices = 0;
  // Number of the latest alert sent for this assignment (see crew_alert).
  std::uint64_t alert_number = 0;
  bool acknowledged_by_radio = false;

  bool ended = false;
  std::optional<timestamp> ended_at;
  // Set when the assignment ended by stand-down rather than by the crew clearing.
  std::optional<stand_down_reason> stood_down;
  std::string end_note;
  std::optional<incident_id> diverted_to;
  std::optional<unit_id> replaced_by;

  [[nodiscard]] bool live() const { return !ended; }
  // Reached the scene (on scene or later); from then on it cannot be stood down.
  [[nodiscard]] bool at_or_past_scene() const;
  friend bool operator==(const assignment&, const assignment&) = default;
};

struct incident_step {
  incident_state from = incident_state::raised;
  incident_state to = incident_state::raised;
  timestamp at{};
  actor_role by = actor_role::system;
  std::string by_id;
  std::string note;

  friend bool operator==(const incident_step&, const incident_step&) = default;
};

struct incident {
  incident_id id;
  incident_state state = incident_state::raised;
  timestamp raised_at{};
  actor_role raised_by = actor_role::nurse;
  std::string raised_by_id;
  // In the order linked; the first is the contact it was raised from.
  std::vector<contact_id> contacts;
  std::optional<geo_point> coordinates;
  std::string address;
  area_id area;
  // Includes the police skill when police were requested.
  std::vector<std::string> required_skills;
  triage_category category = triage_category::unspecified;
  std::optional<police_request> police;
  std::string note;
  std::string plan;
  std::string outcome;
  // Every assignment ever made, in order; ended ones are kept as history.
  std::vector<assignment> assignments;
  std::vector<incident_step> history;
  // Escalation thresholds already notified (0 = none).
  std::size_t escalation_level = 0;
  std::optional<incident_id> reopened_from;
  std::vector<incident_id> reopened_as;

  [[nodiscard]] std::size_t live_count() const;
  [[nodiscard]] const assignment* live_assignment(const unit_id& u) const;
  [[nodiscard]] assignment* live_assignment(const unit_id& u);
  // Raised or queued: needs a unit and has none.
  [[nodiscard]] bool waiting_for_unit() const;
  [[nodiscard]] bool any_reached_scene() const;
};

}  // namespace crisisline::core::dispatch
