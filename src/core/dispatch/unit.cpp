#include "core/dispatch/unit.hpp"

#include <algorithm>

namespace crisisline::core::dispatch {

bool unit::has_skill(const std::string& skill) const {
  return std::find(skills.begin(), skills.end(), skill) != skills.end();
}

std::optional<incident_id> unit::current() const {
  if (live.empty()) return std::nullopt;
  return live.front();
}

bool unit::free() const {
  return signed_on && live.empty() &&
         (state == unit_state::available || state == unit_state::clear);
}

}  // namespace crisisline::core::dispatch
