#pragma once

#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "core/time.hpp"
#include "store/database.hpp"

// Shift-log rows as text ("a|b|NULL\n" per row), so a test compares a whole
// table with one string worked out by hand or from a replay.
namespace crisisline::report_test {

inline std::string field(store::statement& st, int i) {
  return st.column_is_null(i) ? std::string{"NULL"} : std::string{st.column_text(i)};
}

// Every row `sql` returns, its first `columns` columns joined with '|'.
inline std::string rows(const std::filesystem::path& db, const std::string& sql, int columns) {
  store::connection c(db, store::connection::mode::read_only);
  store::statement st(c, sql);
  std::ostringstream o;
  while (st.step()) {
    for (int i = 0; i < columns; ++i) o << field(st, i) << (i + 1 == columns ? "\n" : "|");
  }
  return o.str();
}

// A time as the tables store it (microseconds), or NULL.
inline std::string opt_us(const std::optional<core::timestamp>& t) {
  return t ? std::to_string(core::to_micros(*t)) : std::string{"NULL"};
}

}  // namespace crisisline::report_test
