#include "core/dispatch/recommendation.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <tuple>

namespace crisisline::core::dispatch {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) {
    if (!out.empty()) out += ", ";
    out += i;
  }
  return out;
}

std::string km(double d) {
  // One decimal is what a dispatcher reads; fixed formatting keeps it stable.
  char buf[32];
  const auto r =
      std::to_chars(buf, buf + sizeof buf, std::round(d * 10) / 10, std::chars_format::fixed, 1);
  return std::string(buf, r.ptr) + " km";
}

}  // namespace

origin start_point(const unit& u) {
  if (u.last_location) return {*u.last_location, true};
  return {u.config.base, false};
}

std::vector<std::string> suitability_gaps(const unit& u, const incident& inc,
                                          const dispatch_settings& s, timestamp now) {
  std::vector<std::string> why;
  std::vector<std::string> missing;
  for (const auto& skill : inc.required_skills)
    if (!u.has_skill(skill)) missing.push_back(skill);
  if (!missing.empty()) why.push_back("lacks " + join(missing));
  if (!u.config.shifts.empty()) {
    const auto minute = local_minute_of_day(now, s.utc_offset);
    const bool on_shift = std::any_of(u.config.shifts.begin(), u.config.shifts.end(),
                                      [&](const auto& w) { return contains(w, minute); });
    if (!on_shift) {
      std::vector<std::string> windows;
      for (const auto& w : u.config.shifts) windows.push_back(describe(w));
      why.push_back("off shift (runs " + join(windows) + ")");
    }
  }
  // A unit with no area is a regional one: it serves every area.
  if (!s.allow_other_areas && !inc.area.value().empty() && !u.config.area.value().empty() &&
      u.config.area != inc.area)
    why.push_back("area " + u.config.area.value() + ", incident is in " + inc.area.value());
  return why;
}

std::vector<std::string> exclusion_reasons(const unit& u, const incident& inc,
                                           const dispatch_settings& s, timestamp now) {
  std::vector<std::string> why;
  if (!u.signed_on) {
    why.emplace_back("not signed on");
  } else if (!u.live.empty()) {
    why.push_back("busy: " + std::string{state_name(u.state)} + " for incident " +
                  std::to_string(u.live.front().value()));
  } else if (!u.free()) {
    std::string text = std::string{state_name(u.state)};
    if (u.unavailable) text += " (" + std::string{reason_name(*u.unavailable)} + ")";
    why.push_back(text);
  }
  auto gaps = suitability_gaps(u, inc, s, now);
  why.insert(why.end(), gaps.begin(), gaps.end());
  return why;
}

namespace {

candidate describe_candidate(const unit& u, const incident& inc, const dispatch_settings& s,
                             const eta_estimator& eta, timestamp now) {
  candidate c{.unit = u.config.id,
              .call_sign = u.config.call_sign,
              .eta = std::nullopt,
              .distance_km = std::nullopt,
              .reasons = {}};
  c.reasons.push_back(std::string{state_name(u.state)});
  if (!inc.required_skills.empty()) c.reasons.push_back("has " + join(inc.required_skills));
  if (!u.config.shifts.empty()) {
    const auto minute = local_minute_of_day(now, s.utc_offset);
    for (const auto& w : u.config.shifts)
      if (contains(w, minute)) {
        c.reasons.push_back("on shift " + describe(w));
        break;
      }
  }
  if (!inc.area.value().empty()) {
    c.reasons.push_back(u.config.area == inc.area ? "in area " + inc.area.value()
                        : u.config.area.value().empty()
                            ? std::string{"regional unit"}
                            : "from another area (" + u.config.area.value() + ")");
  }
  if (inc.coordinates) {
    const auto from = start_point(u);
    c.distance_km = haversine_km(from.point, *inc.coordinates);
    c.eta = eta.estimate(u.config, from.point, *inc.coordinates);
    const std::string where =
        km(*c.distance_km) + (from.reported ? " from last reported location" : " from base");
    c.reasons.push_back(c.eta ? "ETA " + describe_eta(*c.eta) + " (" + where + ")"
                              : "no ETA estimate (" + where + ")");
  } else {
    c.reasons.emplace_back("ETA unknown: incident has no coordinates");
  }
  return c;
}

}  // namespace

recommendation recommend_units(const incident& inc, const std::map<unit_id, unit>& units,
                               const dispatch_settings& s, const eta_estimator& eta,
                               timestamp now) {
  recommendation out{.incident = inc.id, .at = now, .eligible = {}, .excluded = {}};
  for (const auto& [id, u] : units) {
    auto why_not = exclusion_reasons(u, inc, s, now);
    if (why_not.empty()) {
      out.eligible.push_back(describe_candidate(u, inc, s, eta, now));
    } else {
      out.excluded.push_back(
          {.unit = id, .call_sign = u.config.call_sign, .reasons = std::move(why_not)});
    }
  }
  // Units without an ETA go last; distance and call sign make the order total.
  std::stable_sort(out.eligible.begin(), out.eligible.end(),
                   [](const candidate& a, const candidate& b) {
                     const auto key = [](const candidate& c) {
                       return std::make_tuple(!c.eta.has_value(), c.eta.value_or(duration::zero()),
                                              c.distance_km.value_or(0.0), c.call_sign);
                     };
                     return key(a) < key(b);
                   });
  return out;
}

std::string describe_eta(duration eta) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(eta).count();
  const auto minutes = std::max<std::int64_t>(1, (secs + 59) / 60);
  return std::to_string(minutes) + " min";
}

}  // namespace crisisline::core::dispatch
