#include "app/engine_views.hpp"

#include <boost/json.hpp>
#include <charconv>

#include "app/report_format.hpp"
#include "app/state_json.hpp"

namespace crisisline::app {
namespace json = boost::json;

guarded_handler queue_view(const core::engine& engine, std::function<core::timestamp()> now) {
  return [&engine, now = std::move(now)](const principal&, net::http_request&& req,
                                         net::responder respond) {
    // Bounded: a supervisor needs the top of the queue and the totals,
    // not a response the size of the whole queue.
    std::size_t limit = 500;
    if (const auto text = req.query_param("limit"); !text.empty()) {
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
      if (ec != std::errc{} || end != text.data() + text.size() || limit == 0 || limit > 10'000) {
        return respond(net::http_response::error(400, "invalid_limit",
                                                 "limit must be a number from 1 to 10000"));
      }
    }
    const auto t = now();
    const auto snapshot = engine.queue_snapshot(t);
    json::array entries;
    json::object by_band;
    std::size_t breached = 0;
    for (const auto& q : snapshot) {
      if (entries.size() < limit) entries.push_back(queue_entry_json(q));
      auto& n = by_band[core::triage_code(q.band)];
      n = n.is_null() ? json::value(1) : json::value(n.as_int64() + 1);
      if (q.time_to_breach.count() < 0) ++breached;
    }
    respond(json_response(json::object{{"as_of", iso8601(t)},
                                       {"waiting", snapshot.size()},
                                       {"breached", breached},
                                       {"by_band", std::move(by_band)},
                                       {"entries", std::move(entries)}}));
  };
}

guarded_handler nurses_view(const core::engine& engine) {
  return [&engine](const principal&, net::http_request&&, net::responder respond) {
    json::array nurses;
    for (const auto& n : engine.nurses()) nurses.push_back(nurse_json(n));
    respond(json_response(json::object{{"nurses", std::move(nurses)}}));
  };
}

}  // namespace crisisline::app
