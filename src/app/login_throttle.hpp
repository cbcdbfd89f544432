#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

// Failed-login throttling, per user name and per remote address. Pure: time
// is passed in. Lives on the io thread.
//
// An attempt counts against both keys from the moment it starts (so parallel
// guesses cannot outrun the count) and is forgiven if the password was right.
// When a key reaches its limit within the window it is locked out for
// `lockout`, and every attempt, even with the right password, is refused
// until the lockout ends.
namespace crisisline::app {

struct throttle_settings {
  std::uint32_t max_failures_per_user = 5;
  std::uint32_t max_failures_per_address = 20;
  std::chrono::seconds window{900};
  std::chrono::seconds lockout{900};
  std::size_t max_entries = 100'000;
};

class login_throttle {
 public:
  using clock_point = std::chrono::system_clock::time_point;
  explicit login_throttle(throttle_settings s) : settings_(s) {}

  // How long the caller must wait before trying (rounded up to whole
  // seconds), or nullopt if it may try now.
  [[nodiscard]] std::optional<std::chrono::seconds> refused(const std::string& user,
                                                            const std::string& address,
                                                            clock_point now);
  // An attempt has started; exactly one of failed/succeeded/abandoned follows.
  void started(const std::string& user, const std::string& address, clock_point now);
  void failed(const std::string& user, const std::string& address, clock_point now);
  void succeeded(const std::string& user, const std::string& address);
  // The attempt ended without an answer (server busy or failing): it counts
  // neither way.
  void abandoned(const std::string& user, const std::string& address);

  [[nodiscard]] std::size_t entries() const { return keys_.size(); }

 private:
  struct state {
    std::uint32_t failures = 0;
    std::uint32_t pending = 0;
    clock_point window_start{};
    clock_point locked_until{};
  };
  // Keys are "u:<user>" and "a:<address>" so a user name cannot collide with an address.
  std::optional<std::chrono::seconds> refused_key(const std::string& key, std::uint32_t max,
                                                  clock_point now);
  state& at(const std::string& key, clock_point now);
  void fail_key(const std::string& key, std::uint32_t max, clock_point now);
  void release(const std::string& key, bool forgive);
  void prune(clock_point now);

  throttle_settings settings_;
  std::unordered_map<std::string, state> keys_;
};

}  // namespace crisisline::app
