#pragma once

#include <cstdint>

#include "core/effect.hpp"

namespace crisisline::app {

// Writes each effect as a structured log line: kinds and ids only, never
// message bodies or phone numbers.
void log_effects(std::uint64_t seq, const core::effects& effects);

}  // namespace crisisline::app
