#include <catch2/catch.hpp>

#include "core/engine.hpp"

using namespace crisisline::core;

TEST_CASE("engine counts applied events by kind and remembers the last seq") {
  engine e;
  event ev;
  ev.seq = 1;
  ev.recorded_time = from_micros(1'000'000);
  ev.payload = text_event{.message_id = "SM1"};
  CHECK(e.apply(ev).empty());
  ev.seq = 2;
  ev.payload = call_event{.call_id = "CA1"};
  (void)e.apply(ev);
  CHECK(e.stats().applied == 2);
  CHECK(e.stats().last_seq == 2);
  CHECK(e.stats().by_kind[1] == 1);
  CHECK(e.stats().by_kind[2] == 1);
}
