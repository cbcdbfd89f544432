#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/kpi.hpp"
#include "core/time.hpp"

// Parsing report windows and rendering a KPI report as text (for a manager),
// CSV (one row per split and measure) or JSON. Shared by `crisisline report`
// and GET /v1/reports/kpi. Pure functions: any thread.
namespace crisisline::app {

enum class report_format { text, csv, json };

[[nodiscard]] std::optional<report_format> parse_report_format(std::string_view name);

// ISO 8601 in UTC: "2024-05-01", "2024-05-01T09:00Z", "2024-05-01T09:00:00Z",
// "2024-05-01T09:00:00.250Z", "2024-05-01T09:00:00+00:00". A date alone is
// midnight. Other offsets are refused: reports are in UTC only.
[[nodiscard]] std::optional<core::timestamp> parse_utc(std::string_view text);

// A shift id: the decimal seq of its start_shift event.
[[nodiscard]] std::optional<std::uint64_t> parse_shift_id(std::string_view text);

// "2024-05" -> [2024-05-01T00:00Z, 2024-06-01T00:00Z).
[[nodiscard]] std::optional<core::kpi::window> month_window(std::string_view yyyy_mm);

// "2024-05-01T09:00:00.000Z".
[[nodiscard]] std::string iso8601(core::timestamp t);

// Where the figures came from, printed with them.
struct report_source {
  // "event log up to seq 1234" or "live state".
  std::string description;
  std::optional<core::timestamp> as_of;
  // Set for a shift's report: who, when, and their own answered count.
  std::optional<core::kpi::shift_figures> shift;
};

[[nodiscard]] std::string render_text(const core::kpi::report& r, const report_source& src);
// Header from,to,dimension,group,measure,value; shares as fractions (0.9167),
// durations in seconds; an undefined value (no denominator) is empty.
[[nodiscard]] std::string render_csv(const core::kpi::report& r);
[[nodiscard]] std::string render_json(const core::kpi::report& r, const report_source& src);
[[nodiscard]] std::string render(const core::kpi::report& r, const report_source& src,
                                 report_format f);

}  // namespace crisisline::app
