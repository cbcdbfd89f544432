#pragma once

#include <cstdint>

#include "app/bearer_auth.hpp"
#include "app/event_pipeline.hpp"
#include "net/http_message.hpp"

namespace crisisline::app {

struct ingest_limits {
  std::size_t max_events_per_batch = 1000;
  std::uint32_t retry_after_seconds = 1;
};

// POST /v1/events: an EventBatch as protobuf binary or its JSON mapping,
// from an integration holding a bearer token. Answers only after commit, one
// result per event (COMMITTED or DUPLICATE, with the seq). A batch with any
// invalid event is refused whole with 400 and nothing is written.
class ingest_handler {
 public:
  ingest_handler(event_pipeline& pipeline, const bearer_auth& auth, ingest_limits limits);
  void operator()(net::http_request&& req, net::responder respond);

 private:
  event_pipeline& pipeline_;
  const bearer_auth& auth_;
  ingest_limits limits_;
};

}  // namespace crisisline::app
