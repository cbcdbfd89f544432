#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/dispatch/geo.hpp"
#include "core/dispatch/incident.hpp"
#include "core/dispatch/settings.hpp"
#include "core/dispatch/unit.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace crisisline::core::dispatch {

// A unit that could go, with why.
struct candidate {
  unit_id unit;
  std::string call_sign;
  // nullopt when the incident has no coordinates or the estimator had no answer.
  std::optional<duration> eta;
  std::optional<double> distance_km;
  // "has mh_paramedic, police", "on shift 13:00-01:00", "ETA 12 min (8.1 km from base)".
  std::vector<std::string> reasons;

  friend bool operator==(const candidate&, const candidate&) = default;
};

struct exclusion {
  unit_id unit;
  std::string call_sign;
  // Every reason that applies, not only the first.
  std::vector<std::string> reasons;

  friend bool operator==(const exclusion&, const exclusion&) = default;
};

// Eligible = signed on, available or clear with no live assignment, has every
// required skill, now inside one of its shift windows (or it has none), and in
// the incident's area unless other areas are allowed (or the incident has no
// area). Eligible units are ranked by ETA; units without an ETA come after,
// then ties go by distance and call sign, so the order is total and replayable.
struct recommendation {
  incident_id incident;
  timestamp at{};
  std::vector<candidate> eligible;
  std::vector<exclusion> excluded;

  friend bool operator==(const recommendation&, const recommendation&) = default;
};

// Where the unit would start from: its last reported location, else its base.
struct origin {
  geo_point point;
  bool reported = false;
};
[[nodiscard]] origin start_point(const unit& u);

[[nodiscard]] recommendation recommend_units(const incident& inc,
                                             const std::map<unit_id, unit>& units,
                                             const dispatch_settings& s, const eta_estimator& eta,
                                             timestamp now);

// Why a unit doesn't suit an incident regardless of what it is doing now:
// missing skills, off shift, wrong area. Empty when it suits.
[[nodiscard]] std::vector<std::string> suitability_gaps(const unit& u, const incident& inc,
                                                        const dispatch_settings& s, timestamp now);

// The reasons a unit may not go (not signed on, busy, unavailable, and the
// suitability gaps), empty when it is eligible.
[[nodiscard]] std::vector<std::string> exclusion_reasons(const unit& u, const incident& inc,
                                                         const dispatch_settings& s, timestamp now);

// "12 min": whole minutes, rounded up (a crew is never quoted as sooner than
// the estimate), and at least 1.
[[nodiscard]] std::string describe_eta(duration eta);

}  // namespace crisisline::core::dispatch
