#pragma once

#include <cstdint>
#include <string>

#include "net/http_message.hpp"
#include "store/writer.hpp"

namespace crisisline::app {

// The answer when the event log did not take a submission: 503 with
// Retry-After, "overloaded" for a full writer backlog, "unavailable" while
// shutting down. Nothing was written, so the client's retry is safe.
[[nodiscard]] inline net::http_response submit_refused(store::writer::submit_status status,
                                                       std::uint32_t retry_after_seconds) {
  auto r = status == store::writer::submit_status::backlog_full
               ? net::http_response::error(503, "overloaded",
                                           "the event log is busy; retry after the given delay")
               : net::http_response::error(503, "unavailable", "the server is shutting down");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
  return r;
}

}  // namespace crisisline::app
