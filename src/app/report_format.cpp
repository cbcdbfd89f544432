#include "app/report_format.hpp"

#include <boost/json.hpp>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <variant>
#include <vector>

#include "log/log.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace kpi = core::kpi;
namespace {

// Reads exactly `n` digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

std::optional<std::chrono::sys_days> date_of(int y, int m, int d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y},
                                        std::chrono::month{static_cast<unsigned>(m)},
                                        std::chrono::day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd};
}

using measure_value = std::variant<std::uint64_t, std::optional<double>>;

struct measure {
  std::string_view name;
  measure_value value;
};

std::optional<double> secs(const std::optional<core::duration>& d) {
  if (!d) return std::nullopt;
  return std::chrono::duration<double>(*d).count();
}

// The order and names shared by CSV and JSON.
std::vector<measure> measures_of(const kpi::figures& f) {
  return {{"offered", f.offered},
          {"answered", f.answered},
          {"answered_within_20s", f.answered_within_20s},
          {"answered_within_20s_share", f.answered_within_20s_share},
          {"answered_within_60s", f.answered_within_60s},
          {"answered_within_60s_share", f.answered_within_60s_share},
          {"average_speed_to_answer_seconds", secs(f.average_speed_to_answer)},
          {"answer_time_p95_seconds", secs(f.answer_time_p95)},
          {"abandoned", f.abandoned},
          {"abandoned_within_30s", f.abandoned_within_30s},
          {"abandoned_after_30s", f.abandoned_after_30s},
          {"abandoned_after_30s_share", f.abandoned_after_30s_share},
          {"lost", f.lost},
          {"unanswered", f.unanswered},
          {"sl_20s", f.sl},
          {"sl2_20s", f.sl2},
          {"callbacks_offered", f.callbacks_offered},
          {"callbacks_made", f.callbacks_made},
          {"callbacks_within_10min", f.callbacks_within_10min},
          {"callbacks_within_10min_share", f.callbacks_within_10min_share}};
}

std::vector<measure> measures_of(const kpi::dispatch_figures& f) {
  return {{"assignments", f.assignments},
          {"to_alert_median_seconds", secs(f.to_alert_median)},
          {"to_alert_p90_seconds", secs(f.to_alert_p90)},
          {"to_acknowledged_median_seconds", secs(f.to_acknowledged_median)},
          {"to_acknowledged_p90_seconds", secs(f.to_acknowledged_p90)},
          {"to_on_scene_median_seconds", secs(f.to_on_scene_median)},
          {"to_on_scene_p90_seconds", secs(f.to_on_scene_p90)},
          {"incidents_with_target", f.incidents_with_target},
          {"on_scene_within_target", f.on_scene_within_target},
          {"on_scene_within_target_share", f.on_scene_within_target_share}};
}

// The CSV dimension of the dispatch rows; they are split by category only.
constexpr std::string_view dispatch_dimension = "dispatch_category";

void add_measures(json::object& o, const std::vector<measure>& measures) {
  for (const measure& m : measures) {
    if (const auto* n = std::get_if<std::uint64_t>(&m.value)) {
      o[m.name] = *n;
    } else if (const auto& d = std::get<std::optional<double>>(m.value)) {
      o[m.name] = *d;
    } else {
      o[m.name] = nullptr;
    }
  }
}

std::string number(double v, const char* fmt) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string csv_value(const measure_value& v) {
  if (const auto* n = std::get_if<std::uint64_t>(&v)) return std::to_string(*n);
  const auto& d = std::get<std::optional<double>>(v);
  return d ? number(*d, "%.4f") : std::string{};
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string{s};
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string pct(const std::optional<double>& v) {
  return v ? number(*v * 100.0, "%.1f%%") : std::string{"n/a"};
}

std::string seconds_text(const std::optional<core::duration>& d) {
  const auto s = secs(d);
  return s ? number(*s, "%.1f s") : std::string{"n/a"};
}

std::string pad_left(std::string s, std::size_t width) {
  if (s.size() < width) s.insert(0, width - s.size(), ' ');
  return s;
}

std::string pad_right(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

std::string line(std::string_view label, const std::string& value, std::string_view note = {}) {
  std::string out = "  " + pad_right(std::string{label}, 44) + pad_left(value, 9);
  if (!note.empty()) {
    out += "   ";
    out += note;
  }
  out += '\n';
  return out;
}

std::string dimension_title(kpi::dimension d) {
  switch (d) {
    case kpi::dimension::all:
      return "All contacts";
    case kpi::dimension::channel:
      return "By channel (callbacks count under call)";
    case kpi::dimension::route:
      return "By route of access";
    case kpi::dimension::area:
      return "By area";
    case kpi::dimension::band:
      return "By triage band (the band while waiting)";
  }
  return "";
}

}  // namespace

std::optional<report_format> parse_report_format(std::string_view name) {
  if (name == "text") return report_format::text;
  if (name == "csv") return report_format::csv;
  if (name == "json") return report_format::json;
  return std::nullopt;
}

std::optional<core::timestamp> parse_utc(std::string_view s) {
  const auto y = digits(s, 0, 4);
  const auto mo = digits(s, 5, 2);
  const auto d = digits(s, 8, 2);
  if (!y || !mo || !d || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto day = date_of(*y, *mo, *d);
  if (!day) return std::nullopt;
  core::timestamp t = std::chrono::time_point_cast<core::duration>(*day);
  if (s.size() == 10) return t;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
  const auto h = digits(s, 11, 2);
  const auto mi = digits(s, 14, 2);
  if (!h || !mi || s.size() < 16 || s[13] != ':' || *h > 23 || *mi > 59) return std::nullopt;
  t += std::chrono::hours{*h} + std::chrono::minutes{*mi};
  std::size_t pos = 16;
  if (pos < s.size() && s[pos] == ':') {
    const auto sec = digits(s, pos + 1, 2);
    if (!sec || *sec > 59) return std::nullopt;
    t += std::chrono::seconds{*sec};
    pos += 3;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      std::int64_t micros = 0;
      std::int64_t scale = 100'000;
      const std::size_t start = pos;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        micros += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
      t += core::duration{micros};
    }
  }
  const std::string_view zone = s.substr(pos);
  if (zone == "Z" || zone == "z" || zone == "+00:00" || zone == "+0000" || zone == "+00") return t;
  return std::nullopt;
}

std::optional<kpi::window> month_window(std::string_view s) {
  const auto y = digits(s, 0, 4);
  const auto m = digits(s, 5, 2);
  if (s.size() != 7 || !y || !m || s[4] != '-') return std::nullopt;
  const auto first = date_of(*y, *m, 1);
  if (!first) return std::nullopt;
  const std::chrono::year_month next =
      std::chrono::year{*y} / std::chrono::month{static_cast<unsigned>(*m)} +
      std::chrono::months{1};
  const std::chrono::sys_days after{next / std::chrono::day{1}};
  return kpi::window{std::chrono::time_point_cast<core::duration>(*first),
                     std::chrono::time_point_cast<core::duration>(after)};
}

std::optional<std::uint64_t> parse_shift_id(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || id == 0) return std::nullopt;
  return id;
}

std::string iso8601(core::timestamp t) {
  std::string out;
  log::append_utc(out, t);
  return out;
}

namespace {

// One table row: the first cell left-aligned, the others right-aligned.
std::string table_row(const std::vector<std::string>& cells,
                      const std::vector<std::pair<std::string, std::size_t>>& columns) {
  std::string out = " ";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    out += ' ';
    out += i == 0 ? pad_right(cells[i], columns[i].second) : pad_left(cells[i], columns[i].second);
  }
  return out + '\n';
}

std::string dispatch_text(const std::vector<kpi::dispatch_split>& splits) {
  std::string out = "\nResponse-car dispatch, by triage category\n";
  if (splits.empty()) return out + "  No incidents raised and no units assigned in the window.\n";
  const std::vector<std::pair<std::string, std::size_t>> columns{
      {"category", 9}, {"assigned", 9},   {"alert p50", 10}, {"alert p90", 10}, {"ack p50", 9},
      {"ack p90", 9},  {"scene p50", 10}, {"scene p90", 10}, {"incidents", 10}, {"in target", 10}};
  std::vector<std::string> heads;
  for (const auto& c : columns) heads.push_back(c.first);
  out += table_row(heads, columns);
  for (const kpi::dispatch_split& s : splits) {
    const kpi::dispatch_figures& f = s.values;
    out += table_row({s.category, std::to_string(f.assignments), seconds_text(f.to_alert_median),
                      seconds_text(f.to_alert_p90), seconds_text(f.to_acknowledged_median),
                      seconds_text(f.to_acknowledged_p90), seconds_text(f.to_on_scene_median),
                      seconds_text(f.to_on_scene_p90), std::to_string(f.incidents_with_target),
                      pct(f.on_scene_within_target_share)},
                     columns);
  }
  return out +
         "Times run from the unit's assignment, over assignments made in the window that reached\n"
         "the step (skipped steps left out). In target: incidents raised in the window whose "
         "first\n"
         "unit was on scene within the category target, counted from the raise.\n";
}

}  // namespace

std::string render_text(const kpi::report& r, const report_source& src) {
  std::string out;
  out += "KPI report, " + iso8601(r.span.from) + " to " + iso8601(r.span.to) + " (UTC)\n";
  out += "Source: " + src.description;
  if (src.as_of) out += ", as of " + iso8601(*src.as_of);
  out += "\n";
  if (src.shift) {
    const core::shift_record& s = src.shift->shift;
    out += "Shift " + std::to_string(s.id) + ", nurse " + s.nurse.value() + ", started " +
           iso8601(s.started) +
           (s.ended ? ", ended " + iso8601(*s.ended) : std::string{", still on shift"}) +
           (s.handover_id ? ", handover " + std::to_string(*s.handover_id) : std::string{}) + "\n";
    out += "Answered by " + s.nurse.value() +
           " on this shift: " + std::to_string(src.shift->answered_by_nurse) + "\n";
  }
  out += "Contacts count in the window in which they were offered, with their outcome so far.\n\n";

  const kpi::split* all = r.find(kpi::dimension::all, "all");
  if (all) {
    const kpi::figures& f = all->values;
    out += "All contacts (calls and texts)\n";
    out += line("Offered", std::to_string(f.offered));
    out += line("Answered", std::to_string(f.answered));
    out += line("Answered within 20 s", std::to_string(f.answered_within_20s),
                pct(f.answered_within_20s_share) + " of answered (= SL, N = 20 s)");
    out += line("Answered within 60 s", std::to_string(f.answered_within_60s),
                pct(f.answered_within_60s_share) + " of answered (NHS 111 standard: 95% or more)");
    out += line("Average speed to answer", seconds_text(f.average_speed_to_answer),
                "(111 mental-health option target: 20 s)");
    out += line("95th percentile answer time", seconds_text(f.answer_time_p95));
    out += line("Abandoned before answer", std::to_string(f.abandoned));
    out += line("  within 30 s (likely misdial)", std::to_string(f.abandoned_within_30s));
    out += line("  after 30 s", std::to_string(f.abandoned_after_30s),
                pct(f.abandoned_after_30s_share) + " of offered (NHS 111 standard: under 5%)");
    out += line("Lost by the telephony platform", std::to_string(f.lost));
    out += line("Not answered (waiting, or closed by staff)", std::to_string(f.unanswered));
    out += line("SL2 (answered or abandoned within 20 s)", pct(f.sl2));
    out += line("Callbacks offered", std::to_string(f.callbacks_offered));
    out += line("Callbacks made", std::to_string(f.callbacks_made));
    out += line("Callbacks made within 10 min", std::to_string(f.callbacks_within_10min),
                pct(f.callbacks_within_10min_share) + " of callbacks offered");
  }

  const std::vector<std::pair<std::string, std::size_t>> columns{
      {"group", 20}, {"offered", 8},    {"answered", 9},  {"<=20s", 7},
      {"<=60s", 7},  {"ASA", 8},        {"p95", 8},       {"aband>30s", 10},
      {"SL2", 7},    {"callbacks", 10}, {"cb<=10min", 10}};
  std::optional<kpi::dimension> current;
  for (const kpi::split& s : r.splits) {
    if (s.by == kpi::dimension::all) continue;
    if (s.by != current) {
      current = s.by;
      out += "\n" + dimension_title(s.by) + "\n ";
      for (std::size_t i = 0; i < columns.size(); ++i) {
        out += ' ';
        out += i == 0 ? pad_right(columns[i].first, columns[i].second)
                      : pad_left(columns[i].first, columns[i].second);
      }
      out += '\n';
    }
    const kpi::figures& f = s.values;
    const std::vector<std::string> cells{s.group,
                                         std::to_string(f.offered),
                                         std::to_string(f.answered),
                                         pct(f.answered_within_20s_share),
                                         pct(f.answered_within_60s_share),
                                         seconds_text(f.average_speed_to_answer),
                                         seconds_text(f.answer_time_p95),
                                         pct(f.abandoned_after_30s_share),
                                         pct(f.sl2),
                                         std::to_string(f.callbacks_offered),
                                         pct(f.callbacks_within_10min_share)};
    out += table_row(cells, columns);
  }
  out +=
      "\n<=20s and <=60s are shares of answered; aband>30s is a share of offered (abandoning at\n"
      "exactly 30 s counts as a likely misdial); cb<=10min is a share of callbacks offered.\n";
  out += dispatch_text(r.dispatch);
  return out;
}

std::string render_csv(const kpi::report& r) {
  std::string out = "from,to,dimension,group,measure,value\n";
  const std::string prefix = iso8601(r.span.from) + "," + iso8601(r.span.to) + ",";
  for (const kpi::split& s : r.splits) {
    const std::string head =
        prefix + std::string{kpi::to_string(s.by)} + "," + csv_field(s.group) + ",";
    for (const measure& m : measures_of(s.values)) {
      out += head;
      out += m.name;
      out += ',';
      out += csv_value(m.value);
      out += '\n';
    }
  }
  for (const kpi::dispatch_split& s : r.dispatch) {
    const std::string head =
        prefix + std::string{dispatch_dimension} + "," + csv_field(s.category) + ",";
    for (const measure& m : measures_of(s.values)) {
      out += head;
      out += m.name;
      out += ',';
      out += csv_value(m.value);
      out += '\n';
    }
  }
  return out;
}

std::string render_json(const kpi::report& r, const report_source& src) {
  json::array splits;
  for (const kpi::split& s : r.splits) {
    json::object o{{"dimension", kpi::to_string(s.by)}, {"group", s.group}};
    add_measures(o, measures_of(s.values));
    splits.push_back(std::move(o));
  }
  json::array dispatch;
  for (const kpi::dispatch_split& s : r.dispatch) {
    json::object o{{"category", s.category}};
    add_measures(o, measures_of(s.values));
    dispatch.push_back(std::move(o));
  }
  json::object top{{"from", iso8601(r.span.from)},
                   {"to", iso8601(r.span.to)},
                   {"source", src.description},
                   {"as_of", src.as_of ? json::value(iso8601(*src.as_of)) : json::value(nullptr)},
                   {"splits", std::move(splits)},
                   {"dispatch", std::move(dispatch)}};
  if (src.shift) {
    const core::shift_record& s = src.shift->shift;
    top["shift"] = json::object{
        {"id", s.id},
        {"nurse", s.nurse.value()},
        {"started", iso8601(s.started)},
        {"ended", s.ended ? json::value(iso8601(*s.ended)) : json::value(nullptr)},
        {"handover_id", s.handover_id ? json::value(*s.handover_id) : json::value(nullptr)},
        {"answered_by_nurse", src.shift->answered_by_nurse}};
  }
  return json::serialize(top) + "\n";
}

std::string render(const kpi::report& r, const report_source& src, report_format f) {
  switch (f) {
    case report_format::text:
      return render_text(r, src);
    case report_format::csv: {
      std::string out = render_csv(r);
      if (src.shift) {
        out += iso8601(r.span.from) + "," + iso8601(r.span.to) + ",shift," +
               csv_field(src.shift->shift.nurse.value()) + ",answered_by_nurse," +
               std::to_string(src.shift->answered_by_nurse) + "\n";
      }
      return out;
    }
    case report_format::json:
      return render_json(r, src);
  }
  return render_text(r, src);
}

}  // namespace crisisline::app
