#include "core/triage.hpp"

#include <cassert>
#include <chrono>

namespace crisisline::core {

std::size_t band_index(triage_category c) {
  switch (c) {
    case triage_category::a:
      return 0;
    case triage_category::b:
      return 1;
    case triage_category::c:
      return 2;
    case triage_category::d:
      return 3;
    case triage_category::e:
      return 4;
    case triage_category::f:
      return 5;
    case triage_category::g:
      return 6;
    case triage_category::unspecified:
      break;
  }
  assert(false && "band_index of an unspecified category");
  return triage_band_count - 1;
}

triage_category band_at(std::size_t index) {
  static constexpr std::array<triage_category, triage_band_count> order{
      triage_category::a, triage_category::b, triage_category::c, triage_category::d,
      triage_category::e, triage_category::f, triage_category::g};
  assert(index < triage_band_count);
  return order[index];
}

std::string_view triage_code(triage_category c) {
  switch (c) {
    case triage_category::a:
      return "A";
    case triage_category::b:
      return "B";
    case triage_category::c:
      return "C";
    case triage_category::d:
      return "D";
    case triage_category::e:
      return "E";
    case triage_category::f:
      return "F";
    case triage_category::g:
      return "G";
    case triage_category::unspecified:
      break;
  }
  return "?";
}

std::optional<triage_category> parse_triage_code(std::string_view code) {
  if (code.size() != 1) return std::nullopt;
  const char ch = code[0];
  const char upper = (ch >= 'a' && ch <= 'z') ? static_cast<char>(ch - 'a' + 'A') : ch;
  if (upper < 'A' || upper > 'G') return std::nullopt;
  return band_at(static_cast<std::size_t>(upper - 'A'));
}

bool more_urgent(triage_category a, triage_category b) {
  if (a == triage_category::unspecified) return false;
  if (b == triage_category::unspecified) return true;
  return band_index(a) < band_index(b);
}

triage_scale default_triage_scale() {
  using std::chrono::hours;
  using std::chrono::minutes;
  using std::chrono::seconds;
  triage_scale s;
  s.bands[0] = {triage_category::a,
                "Current actions endangering self or others",
                duration{0},
                seconds{0},
                seconds{60},
                "1",
                "Notify ambulance/police, keep caller on the line",
                true};
  s.bands[1] = {triage_category::b,
                "Very high risk of imminent harm",
                hours{4},
                seconds{30},
                minutes{2},
                "4",
                "Crisis team / liaison assessment or advise A&E",
                false};
  s.bands[2] = {triage_category::c,
                "High risk and/or high distress",
                hours{24},
                seconds{60},
                minutes{10},
                "2",
                "Crisis team / CMHT contact same day",
                false};
  s.bands[3] = {triage_category::d, "Moderate risk / significant distress",
                hours{72},          minutes{5},
                minutes{30},        "3",
                "CMHT follow-up",   false};
  s.bands[4] = {triage_category::e, "Low risk", hours{24 * 28},     minutes{15},
                hours{1},           "3",        "Routine referral", false};
  s.bands[5] = {triage_category::f,
                "Referral not needing a mental-health face-to-face response",
                std::nullopt,
                minutes{30},
                hours{2},
                "",
                "Signpost / refer elsewhere",
                false};
  s.bands[6] = {triage_category::g, "Advice, consultation, information",
                std::nullopt,       minutes{30},
                hours{2},           "",
                "Advice only",      false};
  return s;
}

}  // namespace crisisline::core
