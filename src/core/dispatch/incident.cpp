#include "core/dispatch/incident.hpp"

#include <algorithm>

namespace crisisline::core::dispatch {

std::string_view state_name(incident_state s) {
  switch (s) {
    case incident_state::raised:
      return "new";
    case incident_state::queued:
      return "queued";
    case incident_state::active:
      return "active";
    case incident_state::monitored:
      return "monitored";
    case incident_state::ended:
      return "ended";
  }
  return "?";
}

std::string_view state_name(unit_state s) {
  switch (s) {
    case unit_state::unspecified:
      return "unspecified";
    case unit_state::unavailable:
      return "unavailable";
    case unit_state::available:
      return "available";
    case unit_state::assigned:
      return "assigned";
    case unit_state::alerted:
      return "alerted";
    case unit_state::acknowledged:
      return "acknowledged";
    case unit_state::en_route:
      return "en route";
    case unit_state::on_scene:
      return "on scene";
    case unit_state::transporting:
      return "transporting";
    case unit_state::at_destination:
      return "at destination";
    case unit_state::clear:
      return "clear";
  }
  return "?";
}

bool assignment::at_or_past_scene() const {
  switch (stage) {
    case unit_state::on_scene:
    case unit_state::transporting:
    case unit_state::at_destination:
    case unit_state::clear:
      return true;
    case unit_state::unspecified:
    case unit_state::unavailable:
    case unit_state::available:
    case unit_state::assigned:
    case unit_state::alerted:
    case unit_state::acknowledged:
    case unit_state::en_route:
      return false;
  }
  return false;
}

std::size_t incident::live_count() const {
  return static_cast<std::size_t>(std::count_if(assignments.begin(), assignments.end(),
                                                [](const auto& a) { return a.live(); }));
}

const assignment* incident::live_assignment(const unit_id& u) const {
  for (const auto& a : assignments)
    if (a.live() && a.unit == u) return &a;
  return nullptr;
}

assignment* incident::live_assignment(const unit_id& u) {
  for (auto& a : assignments)
    if (a.live() && a.unit == u) return &a;
  return nullptr;
}

bool incident::waiting_for_unit() const {
  switch (state) {
    case incident_state::raised:
    case incident_state::queued:
      return true;
    case incident_state::active:
    case incident_state::monitored:
    case incident_state::ended:
      return false;
  }
  return false;
}

bool incident::any_reached_scene() const {
  return std::any_of(assignments.begin(), assignments.end(),
                     [](const auto& a) { return a.at_or_past_scene(); });
}

}  // namespace crisisline::core::dispatch
