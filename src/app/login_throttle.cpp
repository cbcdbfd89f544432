#include "app/login_throttle.hpp"

#include <algorithm>
#include <vector>

namespace crisisline::app {
namespace {

std::string user_key(const std::string& user) {
  return "u:" + user;
}
std::string address_key(const std::string& address) {
  return "a:" + address;
}

std::chrono::seconds ceil_seconds(std::chrono::system_clock::duration d) {
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(d));
}

}  // namespace

std::optional<std::chrono::seconds> login_throttle::refused(const std::string& user,
                                                            const std::string& address,
                                                            clock_point now) {
  const auto u = refused_key(user_key(user), settings_.max_failures_per_user, now);
  const auto a = refused_key(address_key(address), settings_.max_failures_per_address, now);
  if (u && a) return std::max(*u, *a);
  return u ? u : a;
}

std::optional<std::chrono::seconds> login_throttle::refused_key(const std::string& key,
                                                                std::uint32_t max,
                                                                clock_point now) {
  const auto it = keys_.find(key);
  if (it == keys_.end()) return std::nullopt;
  auto& s = it->second;
  if (s.locked_until > now) return ceil_seconds(s.locked_until - now);
  if (now - s.window_start >= settings_.window) s.failures = 0;
  // Only attempts still being verified can fill the quota here: a failure
  // that reaches the limit locks the key out instead.
  if (s.failures + s.pending >= max) return std::chrono::seconds(1);
  return std::nullopt;
}

login_throttle::state& login_throttle::at(const std::string& key, clock_point now) {
  if (keys_.size() >= settings_.max_entries && !keys_.contains(key)) prune(now);
  auto [it, inserted] = keys_.try_emplace(key);
  if (inserted) it->second.window_start = now;
  return it->second;
}

void login_throttle::started(const std::string& user, const std::string& address, clock_point now) {
  ++at(user_key(user), now).pending;
  ++at(address_key(address), now).pending;
}

void login_throttle::fail_key(const std::string& key, std::uint32_t max, clock_point now) {
  auto& s = at(key, now);
  if (s.pending > 0) --s.pending;
  if (now - s.window_start >= settings_.window) {
    s.failures = 0;
    s.window_start = now;
  }
  if (++s.failures >= max) {
    s.locked_until = now + settings_.lockout;
    s.failures = 0;
    s.window_start = s.locked_until;
  }
}

void login_throttle::failed(const std::string& user, const std::string& address, clock_point now) {
  fail_key(user_key(user), settings_.max_failures_per_user, now);
  fail_key(address_key(address), settings_.max_failures_per_address, now);
}

void login_throttle::release(const std::string& key, bool forgive) {
  const auto it = keys_.find(key);
  if (it == keys_.end()) return;
  auto& s = it->second;
  if (s.pending > 0) --s.pending;
  if (forgive) s.failures = 0;
  if (s.pending == 0 && s.failures == 0 && s.locked_until == clock_point{}) keys_.erase(it);
}

void login_throttle::succeeded(const std::string& user, const std::string& address) {
  // The right password clears the user's count; the address keeps its count
  // so one valid account cannot launder guesses at others.
  release(user_key(user), true);
  release(address_key(address), false);
}

void login_throttle::abandoned(const std::string& user, const std::string& address) {
  release(user_key(user), false);
  release(address_key(address), false);
}

void login_throttle::prune(clock_point now) {
  std::erase_if(keys_, [&](const auto& kv) {
    const auto& s = kv.second;
    return s.pending == 0 && s.locked_until <= now &&
           (s.failures == 0 || now - s.window_start >= settings_.window);
  });
  if (keys_.size() < settings_.max_entries) return;
  // Still full of live entries (an attack from many addresses): drop the
  // oldest windows so memory stays bounded.
  std::vector<std::pair<clock_point, std::string>> by_age;
  by_age.reserve(keys_.size());
  for (const auto& [k, s] : keys_) {
    if (s.pending == 0) by_age.emplace_back(s.window_start, k);
  }
  const auto drop = std::min(by_age.size(), keys_.size() / 10 + 1);
  std::nth_element(by_age.begin(), by_age.begin() + static_cast<std::ptrdiff_t>(drop),
                   by_age.end());
  for (std::size_t i = 0; i < drop; ++i) keys_.erase(by_age[i].second);
}

}  // namespace crisisline::app
