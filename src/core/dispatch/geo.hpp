#pragma once

#include <optional>

#include "core/dispatch/settings.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

namespace crisisline::core::dispatch {

// Great-circle distance in kilometres (haversine, mean Earth radius).
[[nodiscard]] double haversine_km(const geo_point& a, const geo_point& b);

// Estimates how long a unit takes to drive from one point to another. The
// board ranks recommendations by it and quotes it to nurses, so it must be
// deterministic (same inputs, same answer) for replay to reproduce both.
class eta_estimator {
 public:
  eta_estimator() = default;
  eta_estimator(const eta_estimator&) = default;
  eta_estimator& operator=(const eta_estimator&) = default;
  virtual ~eta_estimator() = default;

  // nullopt when no estimate can be made.
  [[nodiscard]] virtual std::optional<duration> estimate(const unit_config& unit,
                                                         const geo_point& from,
                                                         const geo_point& to) const = 0;
};

// Straight-line distance over the unit's speed (or the default speed): a
// start, knowingly optimistic in towns and pessimistic on motorways.
class straight_line_eta final : public eta_estimator {
 public:
  explicit straight_line_eta(double default_speed_kmh) : default_speed_kmh_(default_speed_kmh) {}

  [[nodiscard]] std::optional<duration> estimate(const unit_config& unit, const geo_point& from,
                                                 const geo_point& to) const override;

 private:
  double default_speed_kmh_;
};

}  // namespace crisisline::core::dispatch
