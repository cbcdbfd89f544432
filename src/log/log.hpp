#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

// Structured logging: one JSON object per line on stderr. Message bodies and
// phone numbers must never be logged at info level or above; pass them only
// to debug().
//
// Thread-safe: each line is written with a single write(2).
namespace crisisline::log {

enum class level { debug, info, warn, error };

struct field {
  std::string_view key;
  std::variant<std::int64_t, std::uint64_t, double, bool, std::string_view> value;

  field(std::string_view k, std::string_view v) : key(k), value(v) {}
  field(std::string_view k, const char* v) : key(k), value(std::string_view{v}) {}
  field(std::string_view k, bool v) : key(k), value(v) {}
  field(std::string_view k, double v) : key(k), value(v) {}
  template <typename T>
  requires std::is_integral_v<T> && std::is_signed_v<T> field(std::string_view k, T v)
      : key(k), value(static_cast<std::int64_t>(v)) {}
  template <typename T>
  requires std::is_integral_v<T> && std::is_unsigned_v<T> &&
      (!std::is_same_v<T, bool>)field(std::string_view k, T v)
      : key(k), value(static_cast<std::uint64_t>(v)) {}
};

void set_level(level l);
[[nodiscard]] bool parse_level(std::string_view name, level& out);
[[nodiscard]] bool enabled(level l);
void write(level l, std::string_view msg, std::initializer_list<field> fields = {});

inline void debug(std::string_view msg, std::initializer_list<field> f = {}) {
  write(level::debug, msg, f);
}
inline void info(std::string_view msg, std::initializer_list<field> f = {}) {
  write(level::info, msg, f);
}
inline void warn(std::string_view msg, std::initializer_list<field> f = {}) {
  write(level::warn, msg, f);
}
inline void error(std::string_view msg, std::initializer_list<field> f = {}) {
  write(level::error, msg, f);
}

// Appends `t` as ISO 8601 UTC with milliseconds ("2026-11-21T23:52:45.123Z").
void append_utc(std::string& out, std::chrono::sys_time<std::chrono::microseconds> t);

// Appends `s` to `out` as the inside of a JSON string (no quotes).
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace crisisline::log
