#pragma once

#include <functional>

#include "app/area_routing.hpp"
#include "app/event_pipeline.hpp"
#include "app/twilio_request.hpp"
#include "net/router.hpp"

namespace crisisline::app {

struct sms_limits {
  // Longer bodies are cut at a character boundary and flagged, never refused.
  std::size_t max_body_bytes = 16 << 10;
};

// POST /v1/webhooks/twilio/sms         inbound texts (TwiML answer)
// POST /v1/webhooks/twilio/sms/status  delivery status callbacks
//
// Each is signature-checked, committed, applied, and only then answered.
// Idempotent on MessageSid (and MessageSid + status for callbacks), so a
// provider retry gets the same answer and changes nothing. The first text of
// a conversation is answered with the area's auto-reply.
void add_sms_routes(net::router& r, event_pipeline& pipeline, const core::engine& engine,
                    const area_routing& routing, const twilio_settings& twilio, sms_limits limits,
                    std::function<core::timestamp()> now);

}  // namespace crisisline::app
