#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/dispatch/settings.hpp"
#include "core/event.hpp"
#include "core/risk.hpp"
#include "core/time.hpp"
#include "core/triage.hpp"

// Everything clinical the engine is configured with. codec/ fills it from
// crisisline.v1.Config; a default-constructed value holds the documented defaults.
namespace crisisline::core {

// Mirrors crisisline.v1.QueueConfig.
struct queue_settings {
  // Band a contact gets before triage and before any risk rule fires.
  triage_category default_band = triage_category::c;
  // How long an offer waits for the nurse before it is withdrawn and the nurse paused.
  duration offer_timeout = seconds(30);
  // Wrap-up after each contact, before the nurse is offered more work.
  duration wrap_up = seconds(60);
  // Wait after which nurses of other areas become eligible.
  duration widen_to_other_areas = seconds(60);
  // Wait after which senior clinicians become eligible.
  duration widen_to_senior = seconds(120);
  // Concurrent text conversations per nurse unless the nurse signs on with their own.
  std::uint32_t default_text_capacity = 3;
  // Keys a waiting caller presses to say they are in immediate danger, and the
  // band that puts them in. Empty digits turn the feature off.
  std::string danger_digits = "1";
  triage_category danger_band = triage_category::a;

  friend bool operator==(const queue_settings&, const queue_settings&) = default;
};

struct settings {
  triage_scale triage = default_triage_scale();
  queue_settings queue;
  risk_lexicon lexicon = default_risk_lexicon();
  // Response cars; the default has no units.
  dispatch::dispatch_settings dispatch;

  friend bool operator==(const settings&, const settings&) = default;
};

// Problems that would make the engine misbehave (band rows out of order,
// negative times, a bad lexicon). Empty when the settings are usable; the app
// should refuse to start otherwise.
[[nodiscard]] std::vector<std::string> validate(const settings& s);

}  // namespace crisisline::core
