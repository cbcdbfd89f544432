#include "app/voice_webhook.hpp"

#include "app/submit_refused.hpp"

#include "adapters/twiml.hpp"
#include "adapters/webhook_fields.hpp"
#include "codec/event_codec.hpp"

namespace crisisline::app {
namespace {

constexpr const char* platform = "twilio";

v1::Event call_event(const adapters::voice_webhook& call, std::string source_event_id) {
  v1::Event e;
  e.set_source("twilio-voice");
  e.set_source_event_id(std::move(source_event_id));
  e.mutable_actor()->set_kind(v1::Actor::PROVIDER);
  e.mutable_actor()->set_id("twilio");
  auto* c = e.mutable_call();
  c->set_call_id(call.call_sid);
  c->set_from(call.from);
  c->set_to(call.to);
  c->set_forwarded_from(call.forwarded_from);
  c->set_platform(platform);
  return e;
}

// Commits one event, then answers with what `answer` makes of the outcome.
void commit_then(event_pipeline& pipeline, v1::Event e, net::responder respond,
                 std::function<net::http_response(const event_pipeline::outcome&)> answer) {
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  const auto status = pipeline.submit(std::move(events),
                                      [respond, answer = std::move(answer)](const auto& outcomes) {
                                        respond(answer(outcomes.at(0)));
                                      });
  if (status != store::writer::submit_status::accepted) respond(submit_refused(status, 1));
}

using handler_body =
    std::function<void(const adapters::voice_webhook&, const net::http_request&, net::responder)>;

net::handler voice_handler(const twilio_settings& twilio, handler_body body) {
  return [&twilio, body = std::move(body)](net::http_request&& req, net::responder respond) {
    auto checked = verified_twilio_form(req, twilio);
    if (auto* err = std::get_if<net::http_response>(&checked)) return respond(std::move(*err));
    auto fields = adapters::parse_voice_webhook(std::get<adapters::form_body>(checked));
    if (auto* e = std::get_if<adapters::field_error>(&fields)) {
      return respond(net::http_response::error(400, "invalid_webhook", e->describe()));
    }
    body(std::get<adapters::voice_webhook>(fields), req, std::move(respond));
  };
}

}  // namespace

void add_voice_routes(net::router& r, event_pipeline& pipeline, const core::engine& engine,
                      const area_routing& routing, const twilio_settings& twilio,
                      voice_settings voice, std::function<core::timestamp()> now) {
  const std::string gather_action = twilio.public_base_url + "/v1/webhooks/twilio/voice/gather";
  const auto hold =
      adapters::twiml::hold_in_queue(voice.hold_message, voice.queue_name, voice.wait_url);
  const auto first_answer = voice.danger_digits.empty()
                                ? hold
                                : adapters::twiml::danger_menu_then_queue(
                                      voice.danger_prompt, gather_action, voice.hold_message,
                                      voice.queue_name, voice.wait_url);

  r.add("POST", "/v1/webhooks/twilio/voice",
        voice_handler(twilio, [&pipeline, &routing, now, first_answer](
                                  const adapters::voice_webhook& call, const net::http_request&,
                                  net::responder respond) {
          const auto d = routing.route_call(call.to, now());
          auto e = call_event(call, call.call_sid + ":offered");
          auto* c = e.mutable_call();
          c->set_status(v1::CALL_OFFERED);
          c->set_route(codec::to_proto(d.route));
          c->set_area(d.area);
          c->set_sequence_number(static_cast<std::uint32_t>(call.sequence_number.value_or(0)));
          // A retry gets the same TwiML: the provider never got the first.
          commit_then(pipeline, std::move(e), std::move(respond),
                      [first_answer](const auto&) { return twiml(first_answer); });
        }));

  r.add("POST", "/v1/webhooks/twilio/voice/gather",
        voice_handler(twilio, [&pipeline, hold](const adapters::voice_webhook& call,
                                                const net::http_request&, net::responder respond) {
          if (call.digits.empty()) return respond(twiml(hold));
          auto e = call_event(call, call.call_sid + ":digits:" + call.digits);
          e.mutable_call()->set_status(v1::CALL_DIGITS);
          e.mutable_call()->set_digits(call.digits);
          commit_then(pipeline, std::move(e), std::move(respond),
                      [hold](const auto&) { return twiml(hold); });
        }));

  r.add(
      "POST", "/v1/webhooks/twilio/voice/status",
      voice_handler(twilio, [&pipeline, &engine](const adapters::voice_webhook& call,
                                                 const net::http_request&, net::responder respond) {
        // What the provider's status means here depends on whether a nurse
        // had the call; decided now and recorded, so replay agrees.
        const auto* c = engine.find_call(call.call_sid);
        const bool with_nurse = c && c->state == core::contact_state::active;
        v1::CallStatus status = v1::CALL_STATUS_UNSPECIFIED;
        switch (call.status) {
          case adapters::call_status::completed:
          case adapters::call_status::canceled:
            status = with_nurse ? v1::CALL_COMPLETED : v1::CALL_ABANDONED;
            break;
          case adapters::call_status::busy:
          case adapters::call_status::failed:
          case adapters::call_status::no_answer:
            status = with_nurse ? v1::CALL_COMPLETED : v1::CALL_FAILED;
            break;
          case adapters::call_status::queued:
          case adapters::call_status::ringing:
          case adapters::call_status::in_progress:
          case adapters::call_status::unknown:
            // Kept in the log; nothing to decide.
            break;
        }
        const std::string order =
            call.sequence_number ? std::to_string(*call.sequence_number) : call.status_text;
        auto e = call_event(call, call.call_sid + ":" + order);
        e.mutable_call()->set_status(status);
        e.mutable_call()->set_sequence_number(
            static_cast<std::uint32_t>(call.sequence_number.value_or(0)));
        e.mutable_call()->set_duration_seconds(
            static_cast<std::uint32_t>(call.call_duration_seconds.value_or(0)));
        commit_then(pipeline, std::move(e), std::move(respond), [](const auto&) {
          return net::http_response{204, "text/plain", {}, {}};
        });
      }));

  r.add("POST", "/v1/webhooks/twilio/voice/dial",
        voice_handler(twilio, [&pipeline, hold](const adapters::voice_webhook& call,
                                                const net::http_request& req,
                                                net::responder respond) {
          const std::string nurse(req.query_param("nurse"));
          // The form was checked above; DialCallStatus is not a field of voice_webhook.
          const auto form = adapters::parse_form(req.body, {1 << 16, 256});
          std::string dial_status;
          if (const auto* f = std::get_if<adapters::form_body>(&form)) {
            if (auto v = f->find("DialCallStatus")) dial_status = std::string(*v);
          }
          const bool talked = dial_status == "completed" || dial_status == "answered";
          auto e = call_event(call, call.call_sid + ":dial:" + nurse + ":" + dial_status);
          e.mutable_call()->set_status(talked ? v1::CALL_COMPLETED : v1::CALL_CONNECT_FAILED);
          e.mutable_call()->set_nurse_id(nurse);
          commit_then(pipeline, std::move(e), std::move(respond), [hold, talked](const auto&) {
            // Not put through: back to the provider queue while the caller is
            // re-offered. Talked: the nurse has hung up, so the call ends.
            return twiml(
                talked
                    ? std::string(
                          R"(<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>)")
                    : hold);
          });
        }));
}

}  // namespace crisisline::app
