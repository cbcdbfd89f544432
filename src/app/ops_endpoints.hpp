#pragma once

#include <functional>

#include "app/event_pipeline.hpp"
#include "net/http_server.hpp"
#include "net/router.hpp"
#include "store/writer.hpp"

namespace crisisline::app {

class shift_log_projection;

// What /readyz and /metrics read. All on the io thread except the writer's
// metrics, which are atomics.
struct ops_sources {
  const store::writer& writer;
  const event_pipeline& pipeline;
  std::function<const net::http_server*()> server;
  std::function<bool()> draining;
  // The shift-log projection, whose counters are read from another thread.
  const shift_log_projection* shift_log = nullptr;
};

// GET /healthz (process alive), GET /readyz (recovered, writer healthy, not
// shutting down), GET /metrics (Prometheus text format).
void add_ops_routes(net::router& r, ops_sources sources);

// The /metrics body; exposed for tests.
[[nodiscard]] std::string render_metrics(const ops_sources& s);

}  // namespace crisisline::app
