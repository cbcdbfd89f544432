#include "core/dispatch/settings.hpp"

#include "core/triage.hpp"

#include <algorithm>
#include <cmath>
#include <set>

namespace crisisline::core::dispatch {

namespace {

std::string two_digits(std::uint32_t v) {
  std::string out;
  out += static_cast<char>('0' + (v / 10) % 10);
  out += static_cast<char>('0' + v % 10);
  return out;
}

std::string hhmm(std::uint32_t minute) {
  return two_digits(minute / 60) + ":" + two_digits(minute % 60);
}

bool valid_point(const geo_point& p) {
  return std::isfinite(p.latitude) && std::isfinite(p.longitude) && p.latitude >= -90.0 &&
         p.latitude <= 90.0 && p.longitude >= -180.0 && p.longitude <= 180.0;
}

}  // namespace

std::string describe(const shift_window& w) {
  return hhmm(w.start_minute) + "-" + hhmm(w.end_minute);
}

bool contains(const shift_window& w, std::uint32_t minute) {
  if (w.start_minute < w.end_minute) return minute >= w.start_minute && minute < w.end_minute;
  return minute >= w.start_minute || minute < w.end_minute;
}

std::uint32_t local_minute_of_day(timestamp t, std::chrono::minutes utc_offset) {
  const auto local = std::chrono::floor<std::chrono::minutes>(t) + utc_offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  return static_cast<std::uint32_t>((local - day).count());
}

category_targets default_category_targets() {
  using std::chrono::hours;
  return {duration{0},
          std::chrono::duration_cast<duration>(hours{4}),
          std::chrono::duration_cast<duration>(hours{24}),
          std::chrono::duration_cast<duration>(hours{72}),
          std::chrono::duration_cast<duration>(hours{24 * 28}),
          std::nullopt,
          std::nullopt};
}

std::optional<std::size_t> category_index(triage_category c) {
  if (c == triage_category::unspecified) return std::nullopt;
  return band_index(c);
}

std::vector<std::string> validate(const dispatch_settings& s) {
  std::vector<std::string> out;
  const std::set<std::string> known(s.known_skills.begin(), s.known_skills.end());
  if (!(std::isfinite(s.default_speed_kmh) && s.default_speed_kmh > 0))
    out.push_back("default_speed_kmh must be positive");
  if (s.ack_timeout <= duration::zero()) out.push_back("ack_timeout must be positive");
  if (s.ack_reminder < duration::zero()) out.push_back("ack_reminder must not be negative");
  if (s.utc_offset < std::chrono::hours{-14} || s.utc_offset > std::chrono::hours{14})
    out.push_back("utc_offset must be within -14h..+14h");
  if (s.police_skill.empty() || !known.contains(s.police_skill))
    out.push_back("police_skill must be one of known_skills");
  for (const auto& t : s.targets)
    if (t && *t < duration::zero()) out.push_back("category targets must not be negative");
  if (s.escalation_percent.empty()) out.push_back("escalation_percent must not be empty");
  for (std::size_t i = 0; i < s.escalation_percent.size(); ++i) {
    const auto p = s.escalation_percent[i];
    if (p == 0 || p > 1000) out.push_back("escalation_percent values must be in 1..1000");
    if (i > 0 && p <= s.escalation_percent[i - 1])
      out.push_back("escalation_percent must be increasing");
  }

  std::set<unit_id> ids;
  std::set<std::string> call_signs;
  for (const auto& u : s.units) {
    const std::string name = u.id.value().empty() ? std::string{"(unnamed unit)"} : u.id.value();
    if (u.id.value().empty()) out.push_back("a unit has an empty id");
    if (!ids.insert(u.id).second) out.push_back("unit " + name + " is configured twice");
    if (u.call_sign.empty()) out.push_back("unit " + name + " has no call sign");
    if (!call_signs.insert(u.call_sign).second)
      out.push_back("call sign " + u.call_sign + " is used by two units");
    for (const auto& skill : u.skills)
      if (!known.contains(skill)) out.push_back("unit " + name + " has unknown skill " + skill);
    if (!valid_point(u.base)) out.push_back("unit " + name + " has an invalid base location");
    if (u.speed_kmh && !(std::isfinite(*u.speed_kmh) && *u.speed_kmh > 0))
      out.push_back("unit " + name + " speed_kmh must be positive");
    for (const auto& w : u.shifts) {
      if (w.start_minute >= 24 * 60 || w.end_minute > 24 * 60 || w.start_minute == w.end_minute)
        out.push_back("unit " + name + " has an invalid shift window " + describe(w));
    }
  }
  return out;
}

}  // namespace crisisline::core::dispatch
