#include "core/roster.hpp"

#include <algorithm>

namespace crisisline::core {

nurse_state nurse::state() const {
  if (offer) return nurse_state::offered;
  if (load() > 0) return nurse_state::on_contact;
  if (wrap_up_until) return nurse_state::wrap_up;
  return nurse_state::idle;
}

bool nurse::covers_area(std::string_view area) const {
  return area.empty() || areas.empty() ||
         std::find(areas.begin(), areas.end(), area) != areas.end();
}

bool nurse::has_room_for(channel kind) const {
  switch (kind) {
    case channel::call:
    case channel::callback:
      return load() == 0;
    case channel::text:
      return calls.empty() && texts.size() < text_capacity;
  }
  return false;
}

bool nurse::offerable_for(channel kind) const {
  return status == nurse_status::available && !offer && !wrap_up_until && has_room_for(kind);
}

std::string_view to_string(nurse_state s) {
  switch (s) {
    case nurse_state::idle:
      return "idle";
    case nurse_state::offered:
      return "offered";
    case nurse_state::on_contact:
      return "on_contact";
    case nurse_state::wrap_up:
      return "wrap_up";
  }
  return "?";
}

std::string_view to_string(nurse_status s) {
  switch (s) {
    case nurse_status::unspecified:
      return "unspecified";
    case nurse_status::available:
      return "available";
    case nurse_status::on_break:
      return "on_break";
    case nurse_status::offline:
      return "offline";
  }
  return "?";
}

}  // namespace crisisline::core
