#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/dispatch/commands.hpp"
#include "core/dispatch/settings.hpp"
#include "core/ids.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

namespace crisisline::core::dispatch {

// A response car as the board sees it now.
//
// The unit's state is its own (unavailable, available, clear) while it has no
// live assignment, and the stage of its current assignment otherwise. A forced
// double booking stacks a second assignment behind the current one: the unit
// moves on to it when the current one clears or is stood down, and only returns
// to available when nothing is left.
struct unit {
  unit_config config;
  bool signed_on = false;
  std::vector<std::string> crew;
  // Skills on board this shift: the configured ones unless replaced at sign-on.
  std::vector<std::string> skills;
  unit_state state = unit_state::unavailable;
  // Set while unavailable (end_of_shift while signed off).
  std::optional<unavailable_reason> unavailable;
  // Time of the unit's latest status; nothing earlier is accepted after it.
  timestamp last_status_at{};
  std::optional<geo_point> last_location;
  std::optional<timestamp> location_at;
  // Live assignments; the first is the one being worked.
  std::vector<incident_id> live;

  [[nodiscard]] bool has_skill(const std::string& skill) const;
  [[nodiscard]] std::optional<incident_id> current() const;
  // Available or clear: in service with nothing to do.
  [[nodiscard]] bool free() const;
};

}  // namespace crisisline::core::dispatch
