#include <catch2/catch.hpp>

#include "app/login_throttle.hpp"

using crisisline::app::login_throttle;
using crisisline::app::throttle_settings;
using namespace std::chrono_literals;

namespace {

const login_throttle::clock_point t0 = login_throttle::clock_point{} + 1'000'000s;

void fail(login_throttle& t, const std::string& user, const std::string& addr,
          login_throttle::clock_point now) {
  REQUIRE_FALSE(t.refused(user, addr, now));
  t.started(user, addr, now);
  t.failed(user, addr, now);
}

throttle_settings limits(std::uint32_t per_user, std::uint32_t per_address,
                         std::chrono::seconds window, std::chrono::seconds lockout) {
  return {.max_failures_per_user = per_user,
          .max_failures_per_address = per_address,
          .window = window,
          .lockout = lockout};
}

}  // namespace

TEST_CASE("a user name is locked out after its failures, even for the right password") {
  login_throttle t(limits(3, 100, 900s, 600s));
  fail(t, "nina", "10.0.0.1", t0);
  fail(t, "nina", "10.0.0.2", t0 + 1s);
  fail(t, "nina", "10.0.0.3", t0 + 2s);
  // Locked: whatever password comes next, from any address.
  const auto wait = t.refused("nina", "10.0.0.9", t0 + 3s);
  REQUIRE(wait);
  CHECK(*wait == 599s);
  // Other users are unaffected.
  CHECK_FALSE(t.refused("sam", "10.0.0.9", t0 + 3s));
  // The lockout ends on time.
  CHECK(t.refused("nina", "10.0.0.9", t0 + 2s + 599s));
  CHECK_FALSE(t.refused("nina", "10.0.0.9", t0 + 2s + 600s));
}

TEST_CASE("an address is locked out after failures across many user names") {
  login_throttle t(limits(100, 3, 900s, 60s));
  fail(t, "a", "10.0.0.1", t0);
  fail(t, "b", "10.0.0.1", t0);
  fail(t, "c", "10.0.0.1", t0);
  CHECK(t.refused("nina", "10.0.0.1", t0 + 1s) == 59s);
  CHECK_FALSE(t.refused("nina", "10.0.0.2", t0 + 1s));
}

TEST_CASE("failures older than the window are forgotten") {
  login_throttle t(limits(2, 100, 60s, 600s));
  fail(t, "nina", "x", t0);
  fail(t, "nina", "x", t0 + 61s);
  CHECK_FALSE(t.refused("nina", "x", t0 + 62s));
}

TEST_CASE("a right password clears the user's count but not the address's") {
  login_throttle t(
      {.max_failures_per_user = 2, .max_failures_per_address = 3, .window = 900s, .lockout = 60s});
  fail(t, "nina", "x", t0);
  t.started("nina", "x", t0);
  t.succeeded("nina", "x");
  fail(t, "nina", "x", t0);
  CHECK_FALSE(t.refused("nina", "x", t0));
  // Third failure from the address (for another name): the address is
  // locked, nina (one failure since her success) is not.
  fail(t, "sam", "x", t0);
  CHECK(t.refused("nina", "x", t0));
  CHECK_FALSE(t.refused("nina", "y", t0));
}

TEST_CASE("attempts still being verified count, so parallel guesses cannot outrun the limit") {
  login_throttle t(limits(3, 100, 900s, 60s));
  for (int i = 0; i < 3; ++i) {
    REQUIRE_FALSE(t.refused("nina", "x", t0));
    t.started("nina", "x", t0);
  }
  CHECK(t.refused("nina", "x", t0) == 1s);
  t.abandoned("nina", "x");
  CHECK_FALSE(t.refused("nina", "x", t0));
}

TEST_CASE("the throttle's memory is bounded under a flood of addresses") {
  login_throttle t({.max_failures_per_user = 5,
                    .max_failures_per_address = 5,
                    .window = 900s,
                    .lockout = 60s,
                    .max_entries = 100});
  for (int i = 0; i < 1000; ++i) {
    fail(t, "u" + std::to_string(i), "10.0." + std::to_string(i), t0);
  }
  CHECK(t.entries() <= 100);
}
