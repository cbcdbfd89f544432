#include "app/report_endpoints.hpp"

#include "app/report_format.hpp"
#include "core/kpi.hpp"

namespace crisisline::app {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Clients encode ':' and '+' in a query differently; accept both forms.
std::string percent_decoded(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string_view content_type(report_format f) {
  switch (f) {
    case report_format::text:
      return "text/plain; charset=utf-8";
    case report_format::csv:
      return "text/csv; charset=utf-8";
    case report_format::json:
      return "application/json";
  }
  return "application/json";
}

net::http_response kpi_response(const net::http_request& req, const core::engine& engine,
                                core::timestamp now) {
  const std::string format_name = percent_decoded(req.query_param("format"));
  const auto format =
      format_name.empty() ? std::optional{report_format::json} : parse_report_format(format_name);
  if (!format) {
    return net::http_response::error(400, "invalid_format", "format must be json, csv or text");
  }
  core::kpi::window w;
  std::optional<core::kpi::shift_figures> shift;
  const std::string month = percent_decoded(req.query_param("month"));
  if (const std::string shift_text = percent_decoded(req.query_param("shift"));
      !shift_text.empty()) {
    const auto id = parse_shift_id(shift_text);
    if (!id) return net::http_response::error(400, "invalid_shift", "shift must be a shift id");
    shift = core::kpi::shift_figures_of(engine, *id, now);
    if (!shift) {
      return net::http_response::error(404, "unknown_shift",
                                       "there is no shift " + std::to_string(*id));
    }
    w = shift->span;
  } else if (!month.empty()) {
    const auto m = month_window(month);
    if (!m) return net::http_response::error(400, "invalid_window", "month must be YYYY-MM");
    w = *m;
  } else {
    const auto from = parse_utc(percent_decoded(req.query_param("from")));
    const auto to = parse_utc(percent_decoded(req.query_param("to")));
    if (!from || !to) {
      return net::http_response::error(
          400, "invalid_window",
          "give from and to as ISO 8601 UTC times (2024-05-01T09:00:00Z), or month=YYYY-MM");
    }
    if (*to <= *from) {
      return net::http_response::error(400, "invalid_window", "to must be later than from");
    }
    w = {*from, *to};
  }
  const auto r = core::kpi::report_of(engine, w);
  const report_source src{
      .description = "live state up to seq " + std::to_string(engine.stats().last_seq),
      .as_of = now,
      .shift = std::move(shift)};
  return net::http_response{200, std::string{content_type(*format)}, {}, render(r, src, *format)};
}

}  // namespace

guarded_handler kpi_report(const core::engine& engine, std::function<core::timestamp()> now) {
  return [&engine, now = std::move(now)](const principal&, net::http_request&& req,
                                         net::responder respond) {
    respond(kpi_response(req, engine, now()));
  };
}

}  // namespace crisisline::app
