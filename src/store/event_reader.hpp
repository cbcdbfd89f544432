#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "store/database.hpp"

namespace crisisline::store {

struct stored_event {
  std::uint64_t seq = 0;
  std::int64_t recorded_at_us = 0;
  std::string_view kind;
  // Serialized crisisline.v1.Event with seq unset; valid only during the callback.
  std::string_view payload;
};

// Reads the log in seq order on its own read-only connection, so it is safe
// while the server writes (WAL readers see a consistent snapshot).
class event_reader {
 public:
  explicit event_reader(const std::filesystem::path& path);

  // Calls `fn` for every event with seq > `since`, in order, within one read
  // snapshot. Returns how many were read.
  std::uint64_t for_each(std::uint64_t since, const std::function<void(const stored_event&)>& fn);

  [[nodiscard]] std::uint64_t last_seq();

 private:
  connection db_;
};

}  // namespace crisisline::store
