#include "core/engine.hpp"

#include <cassert>

namespace crisisline::core {

effects engine::apply(const event& e) {
  assert(e.seq > stats_.last_seq && "events must be applied in log order");
  ++stats_.applied;
  stats_.last_seq = e.seq;
  stats_.last_recorded = e.recorded_time;
  ++stats_.by_kind[e.payload.index()];
  return {};
}

std::optional<timestamp> engine::next_deadline() const { return std::nullopt; }

}  // namespace crisisline::core
