#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "core/effect.hpp"
#include "core/event.hpp"

namespace crisisline::core {

// Counts of applied events, by payload kind, for /metrics and the recovery log.
struct engine_stats {
  std::uint64_t applied = 0;
  std::uint64_t last_seq = 0;
  timestamp last_recorded{};
  std::array<std::uint64_t, std::variant_size_v<event_payload>> by_kind{};
};

// The whole in-memory state of the service, rebuilt by applying the log in
// order. Live traffic and recovery call the same apply().
//
// Not thread-safe: owned by the io thread (or by recovery before serving).
class engine {
 public:
  // Applies one committed event. Events must come in strictly increasing seq
  // order; time is the event's recorded_time.
  [[nodiscard]] effects apply(const event& e);

  // Earliest time at which a timer_fired event would change something.
  [[nodiscard]] std::optional<timestamp> next_deadline() const;

  [[nodiscard]] const engine_stats& stats() const { return stats_; }

 private:
  engine_stats stats_;
};

}  // namespace crisisline::core
