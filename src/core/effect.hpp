#pragma once

#include <string>
#include <variant>
#include <vector>

#include "core/time.hpp"

// Effects are what applying an event asks the outside world to do. The core
// returns them and never performs them; app/ carries them out only after the
// event that caused them is committed, so replay can re-derive them without
// repeating them.
namespace crisisline::core {

// A message for people watching a console (a nurse, or supervisors).
struct notice {
  enum class audience { supervisors, nurse };
  audience to = audience::supervisors;
  // Nurse the notice is for, when `to` is nurse.
  std::string nurse_id;
  // Machine-readable kind ("offer", "offer_timeout", "breach_75", "band_a_emergency").
  std::string kind;
  std::uint64_t contact_id = 0;
  // Plain-language text for the console.
  std::string text;
};

using effect = std::variant<notice>;
using effects = std::vector<effect>;

}  // namespace crisisline::core
