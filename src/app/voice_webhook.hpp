#pragma once

#include <functional>
#include <string>

#include "app/area_routing.hpp"
#include "app/event_pipeline.hpp"
#include "app/twilio_request.hpp"
#include "net/router.hpp"

namespace crisisline::app {

struct voice_settings {
  std::string hold_message;
  std::string danger_prompt;
  // Keys that mark immediate danger (queue.danger_digits); empty: no prompt.
  std::string danger_digits;
  std::string queue_name;
  std::string wait_url;
};

// Twilio-compatible voice webhooks, each signature-checked, committed,
// applied, then answered:
//   POST /v1/webhooks/twilio/voice          a call arrives: offered, routed by the
//                                           number dialled; TwiML holds the caller
//                                           in the queue (after the danger prompt)
//   POST /v1/webhooks/twilio/voice/gather   the caller pressed a key
//   POST /v1/webhooks/twilio/voice/status   call status callbacks, idempotent on
//                                           CallSid + SequenceNumber, any order
//   POST /v1/webhooks/twilio/voice/dial     result of connecting the caller to the
//                                           nurse: not picked up -> back in the queue
void add_voice_routes(net::router& r, event_pipeline& pipeline, const core::engine& engine,
                      const area_routing& routing, const twilio_settings& twilio,
                      voice_settings voice, std::function<core::timestamp()> now);

}  // namespace crisisline::app
