#include "core/dispatch/geo.hpp"

#include <cmath>
#include <numbers>

namespace crisisline::core::dispatch {

double haversine_km(const geo_point& a, const geo_point& b) {
  constexpr double earth_radius_km = 6371.0088;
  constexpr double rad = std::numbers::pi / 180.0;
  const double dlat = (b.latitude - a.latitude) * rad;
  const double dlon = (b.longitude - a.longitude) * rad;
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(a.latitude * rad) * std::cos(b.latitude * rad) * std::sin(dlon / 2) *
                       std::sin(dlon / 2);
  return 2 * earth_radius_km * std::asin(std::sqrt(std::min(1.0, h)));
}

std::optional<duration> straight_line_eta::estimate(const unit_config& unit, const geo_point& from,
                                                    const geo_point& to) const {
  const double speed = unit.speed_kmh.value_or(default_speed_kmh_);
  if (!(speed > 0)) return std::nullopt;
  const double hours = haversine_km(from, to) / speed;
  // Whole seconds: sub-second precision means nothing here and would make the
  // quoted ETA depend on floating-point noise.
  return std::chrono::duration_cast<duration>(
      std::chrono::seconds{static_cast<std::int64_t>(std::llround(hours * 3600.0))});
}

}  // namespace crisisline::core::dispatch
