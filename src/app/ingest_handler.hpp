#pragma once

#include <cstdint>

#include "app/access.hpp"
#include "app/audit_trail.hpp"
#include "app/event_pipeline.hpp"
#include "net/http_message.hpp"

namespace crisisline::app {

struct ingest_limits {
  std::size_t max_events_per_batch = 1000;
  std::uint32_t retry_after_seconds = 1;
};

// POST /v1/events: an EventBatch as protobuf binary or its JSON mapping,
// from an integration or an admin (see serve.cpp for the role rule). Each
// event's actor is the caller, whatever the body claims. Answers only after commit, one
// result per event (COMMITTED or DUPLICATE, with the seq). A batch with any
// invalid event is refused whole with 400 and nothing is written.
//
// A console command on a contact is audited: a "submitted" row commits with
// its event, and if the engine refuses the command a "rejected" row with the
// reason follows before the answer goes out.
class ingest_handler {
 public:
  ingest_handler(event_pipeline& pipeline, audit_trail& audit, ingest_limits limits);
  void operator()(const principal& who, net::http_request&& req, net::responder respond);

 private:
  event_pipeline& pipeline_;
  audit_trail& audit_;
  ingest_limits limits_;
};

}  // namespace crisisline::app
