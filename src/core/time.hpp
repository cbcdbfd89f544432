#pragma once

#include <chrono>
#include <cstdint>

namespace crisisline::core {

// The core never reads a clock: time arrives as an argument (the event's
// recorded time), which makes replay reproduce every decision exactly.
using duration = std::chrono::microseconds;
using timestamp = std::chrono::sys_time<duration>;

constexpr timestamp from_micros(std::int64_t us) {
  return timestamp{duration{us}};
}
constexpr std::int64_t to_micros(timestamp t) {
  return t.time_since_epoch().count();
}
constexpr duration seconds(std::int64_t s) {
  return std::chrono::seconds{s};
}

}  // namespace crisisline::core
