#pragma once

// Value types shared by the event log's view (event.hpp), the clinical core
// and the dispatch board. Kept apart so dispatch/commands.hpp can use them
// while event.hpp carries dispatch commands.
namespace crisisline::core {

enum class triage_category { unspecified, a, b, c, d, e, f, g };

enum class unit_state {
  unspecified,
  unavailable,
  available,
  assigned,
  alerted,
  acknowledged,
  en_route,
  on_scene,
  transporting,
  at_destination,
  clear
};

struct geo_point {
  double latitude = 0;
  double longitude = 0;

  friend bool operator==(const geo_point&, const geo_point&) = default;
};

}  // namespace crisisline::core
