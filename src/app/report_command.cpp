#include <chrono>
#include <cstdio>
#include <iostream>

#include "app/commands.hpp"
#include "app/report_format.hpp"
#include "app/report_replay.hpp"
#include "core/kpi.hpp"
#include "log/log.hpp"

namespace crisisline::app {
namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;

int usage_error(const std::string& what) {
  std::cerr << "crisisline report: " << what << "\n";
  return exit_usage;
}

}  // namespace

int report(const report_options& o) {
  const auto format = parse_report_format(o.format);
  if (!format) return usage_error("--format must be text, csv or json, not \"" + o.format + "\"");
  std::optional<std::uint64_t> shift_id;
  core::kpi::window w;
  if (o.shift) {
    if (o.from || o.to || o.monthly) return usage_error("give --shift alone, without a window");
    shift_id = parse_shift_id(*o.shift);
    if (!shift_id) return usage_error("--shift wants a shift id, not \"" + *o.shift + "\"");
  } else if (o.monthly) {
    if (o.from || o.to) return usage_error("give either --monthly or --from/--to, not both");
    const auto m = month_window(*o.monthly);
    if (!m) return usage_error("--monthly wants YYYY-MM, not \"" + *o.monthly + "\"");
    w = *m;
  } else {
    if (!o.from || !o.to) return usage_error("give --from and --to, --monthly, or --shift");
    const auto from = parse_utc(*o.from);
    const auto to = parse_utc(*o.to);
    if (!from) return usage_error("--from is not an ISO 8601 UTC time: \"" + *o.from + "\"");
    if (!to) return usage_error("--to is not an ISO 8601 UTC time: \"" + *o.to + "\"");
    if (*to <= *from) return usage_error("--to must be later than --from");
    w = {*from, *to};
  }

  auto settings = replay_settings(o.config_path);
  if (const auto* err = std::get_if<std::string>(&settings)) {
    log::error("invalid configuration", {{"error", std::string_view(*err)}});
    return exit_usage;
  }
  core::engine engine(std::get<core::settings>(std::move(settings)));
  replay_result replayed;
  try {
    replayed = replay_into(o.db_path, engine);
  } catch (const std::exception& e) {
    log::error("report failed", {{"error", std::string_view(e.what())}});
    return exit_failed;
  }
  std::optional<core::kpi::shift_figures> shift;
  if (shift_id) {
    // A shift still running is reported up to now.
    shift = core::kpi::shift_figures_of(
        engine, *shift_id, std::chrono::floor<core::duration>(std::chrono::system_clock::now()));
    if (!shift) return usage_error("there is no shift " + std::to_string(*shift_id));
    w = shift->span;
  }
  const auto r = core::kpi::report_of(engine, w);
  const report_source src{
      .description = "event log " + o.db_path + " up to seq " + std::to_string(replayed.last_seq),
      .as_of = replayed.last_recorded,
      .shift = std::move(shift)};
  const std::string out = render(r, src, *format);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

}  // namespace crisisline::app
