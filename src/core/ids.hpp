#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <string>

namespace crisisline::core {

// A value wrapped in a type of its own, so a nurse id can't be passed where a
// contact id is expected.
template <typename Tag, typename T>
class strong_id {
 public:
  using value_type = T;
  strong_id() = default;
  explicit strong_id(T v) : value_(std::move(v)) {}
  const T& value() const { return value_; }
  friend auto operator<=>(const strong_id&, const strong_id&) = default;

 private:
  T value_{};
};

using contact_id = strong_id<struct contact_tag, std::uint64_t>;
using incident_id = strong_id<struct incident_tag, std::uint64_t>;
using nurse_id = strong_id<struct nurse_tag, std::string>;
using unit_id = strong_id<struct unit_tag, std::string>;
using area_id = strong_id<struct area_tag, std::string>;

}  // namespace crisisline::core

template <typename Tag, typename T>
struct std::hash<crisisline::core::strong_id<Tag, T>> {
  std::size_t operator()(const crisisline::core::strong_id<Tag, T>& id) const noexcept {
    return std::hash<T>{}(id.value());
  }
};
