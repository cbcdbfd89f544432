#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "core/time.hpp"

// The triage scale as data (UK Mental Health Triage Scale, DOMAIN.md §2).
// Mirrors crisisline.v1.TriageBand; codec/ maps the configured rows onto it.
namespace crisisline::core {

// Number of real categories (A..G); triage_category::unspecified is not one.
inline constexpr std::size_t triage_band_count = 7;

// Position of a category in the scale, 0 for A .. 6 for G. Must not be called
// with triage_category::unspecified.
[[nodiscard]] std::size_t band_index(triage_category c);
[[nodiscard]] triage_category band_at(std::size_t index);

// "A".."G", or "?" for unspecified.
[[nodiscard]] std::string_view triage_code(triage_category c);
// Accepts "A".."G" in either case; anything else is nullopt.
[[nodiscard]] std::optional<triage_category> parse_triage_code(std::string_view code);

// True when `a` is clinically more urgent than `b` (A is the most urgent).
// An unspecified category is less urgent than every real one.
[[nodiscard]] bool more_urgent(triage_category a, triage_category b);

struct triage_band {
  triage_category code = triage_category::unspecified;
  std::string label;
  // Target for a face-to-face response; zero means immediate, nullopt means
  // the band has no face-to-face target (F, G).
  std::optional<duration> face_to_face_target;
  // How soon a waiting contact should be answered by a nurse.
  duration answer_target{};
  // Hard ceiling on the queue wait: past it the contact outranks every
  // non-emergency contact (see urgency_queue.hpp).
  duration max_wait{};
  // MHSDS clinical response priority type: "1" Emergency, "4" Very urgent,
  // "2" Urgent, "3" Routine; empty when the band is not reported with one.
  std::string mhsds_priority;
  std::string action;
  // Emergency bands rank ahead of everything, are offered to every nurse at
  // once, and raise an emergency-services notice when a contact enters them.
  bool emergency = false;

  friend bool operator==(const triage_band&, const triage_band&) = default;
};

struct triage_scale {
  // Indexed by band_index(); bands[i].code == band_at(i).
  std::array<triage_band, triage_band_count> bands;

  [[nodiscard]] const triage_band& band(triage_category c) const { return bands[band_index(c)]; }

  friend bool operator==(const triage_scale&, const triage_scale&) = default;
};

// UK MHTS defaults. Face-to-face targets come from DOMAIN.md; queue answer
// targets and maximum waits are this project's defaults, chosen so that an
// untriaged contact (band C) meets the NHS 111 standard of answer within 60 s
// and every band has a ceiling a clinician would accept for that risk level.
[[nodiscard]] triage_scale default_triage_scale();

}  // namespace crisisline::core
