#pragma once

#include "core/triage.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

// What the dispatch board is configured with. codec/ will fill it from the
// config; a default-constructed value holds the documented defaults and no units.
namespace crisisline::core::dispatch {

// A daily shift in the service's local time (dispatch_settings::utc_offset),
// as minutes after local midnight. `end` < `start` crosses midnight
// (13:00-01:00 is start 780, end 60); 00:00-24:00 (0, 1440) is all day.
// A time is inside when start <= t < end, wrapping past midnight.
struct shift_window {
  std::uint32_t start_minute = 0;
  std::uint32_t end_minute = 0;

  friend bool operator==(const shift_window&, const shift_window&) = default;
};

// Builds a window from "HH:MM" parts; no validation (validate() does it).
[[nodiscard]] constexpr shift_window shift_hours(std::uint32_t start_h, std::uint32_t start_m,
                                                 std::uint32_t end_h, std::uint32_t end_m) {
  return {start_h * 60 + start_m, end_h * 60 + end_m};
}

// "13:00-01:00".
[[nodiscard]] std::string describe(const shift_window& w);

// True when local minute-of-day `minute` (0..1439) is inside the window.
[[nodiscard]] bool contains(const shift_window& w, std::uint32_t minute);

// Minute of the local day at `t`, for a fixed offset from UTC.
[[nodiscard]] std::uint32_t local_minute_of_day(timestamp t, std::chrono::minutes utc_offset);

// One response car as configured. Crew skills may be replaced for a shift at sign-on.
struct unit_config {
  unit_id id;
  // What crews, nurses and the radio call it ("MHRC1").
  std::string call_sign;
  // "mh_paramedic", "mh_nurse", "police", "camhs", ...
  std::vector<std::string> skills;
  geo_point base;
  area_id area;
  // Empty means the unit may run at any hour.
  std::vector<shift_window> shifts;
  // Overrides dispatch_settings::default_speed_kmh for this unit's ETA.
  std::optional<double> speed_kmh;

  friend bool operator==(const unit_config&, const unit_config&) = default;
};

// Face-to-face targets per triage category, A..G in order. nullopt means no
// face-to-face target (F, G): a queued incident of that category never escalates.
using category_targets = std::array<std::optional<duration>, 7>;

// DOMAIN.md §2: A immediate, B 4 h, C 24 h, D 72 h, E 4 weeks, F and G none.
[[nodiscard]] category_targets default_category_targets();

// Index of a real category in category_targets (A = 0). nullopt for unspecified.
[[nodiscard]] std::optional<std::size_t> category_index(triage_category c);

struct dispatch_settings {
  std::vector<unit_config> units;
  // Straight-line speed used by the default ETA estimator.
  double default_speed_kmh = 40.0;
  // An alert not acknowledged this long after the unit was assigned (or
  // re-alerted) raises a dispatcher notice. Counting from the assignment, not
  // from alert_sent, also catches an alert the crew feed never delivered.
  duration ack_timeout = seconds(60);
  // After the first ack-timeout notice, remind the dispatcher this often until
  // someone acts. Zero sends only the first notice.
  duration ack_reminder = seconds(60);
  // Offset of the service's local time from UTC, used only for shift windows.
  // A fixed offset: for British Summer Time the config must change to +60 twice
  // a year (no tz database in the core).
  std::chrono::minutes utc_offset{0};
  // Whether units of another area may be recommended for an incident.
  bool allow_other_areas = false;
  // Skills incidents and units may name; anything else is a typo and is refused
  // rather than silently matching no unit.
  std::vector<std::string> known_skills = {"mh_paramedic", "mh_nurse", "police", "camhs"};
  // The skill that means a police officer is requested (Right Care, Right Person).
  std::string police_skill = "police";
  category_targets targets = default_category_targets();
  // Escalation thresholds for incidents waiting for a unit, as percentages of
  // the category target, increasing.
  std::vector<std::uint32_t> escalation_percent = {50, 75, 100};
  // The closed loop to the person (used by the engine, not the board): when
  // the first unit of an incident goes en route, text the person this, unless
  // they opted out or have no number a text can reach.
  bool text_person_en_route = false;
  std::string en_route_text = "The team is on the way.";

  friend bool operator==(const dispatch_settings&, const dispatch_settings&) = default;
};

// Problems that would make the board misbehave; empty when usable.
[[nodiscard]] std::vector<std::string> validate(const dispatch_settings& s);

}  // namespace crisisline::core::dispatch
