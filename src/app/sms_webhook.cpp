#include "app/sms_webhook.hpp"

#include "app/submit_refused.hpp"

#include "adapters/phone_number.hpp"
#include "adapters/sms_segments.hpp"
#include "adapters/twiml.hpp"
#include "adapters/utf8.hpp"
#include "adapters/webhook_fields.hpp"
#include "codec/event_codec.hpp"

namespace crisisline::app {
namespace {

v1::OptKeyword to_proto(adapters::opt_keyword k) {
  switch (k) {
    case adapters::opt_keyword::opt_out:
      return v1::OPT_OUT;
    case adapters::opt_keyword::opt_in:
      return v1::OPT_IN;
    case adapters::opt_keyword::help:
      return v1::OPT_HELP;
    case adapters::opt_keyword::none:
      return v1::OPT_KEYWORD_NONE;
  }
  return v1::OPT_KEYWORD_NONE;
}

std::string wait_phrase(const core::engine& engine) {
  for (const auto& n : engine.nurses()) {
    if (n.status == core::nurse_status::available && n.state == core::nurse_state::idle) {
      return "within a few minutes";
    }
  }
  return "as soon as a nurse is free";
}

}  // namespace

void add_sms_routes(net::router& r, event_pipeline& pipeline, const core::engine& engine,
                    const area_routing& routing, const twilio_settings& twilio, sms_limits limits,
                    std::function<core::timestamp()> now) {
  const auto opt_words = adapters::default_opt_words();
  r.add("POST", "/v1/webhooks/twilio/sms",
        [&pipeline, &engine, &routing, &twilio, limits, now, opt_words](net::http_request&& req,
                                                                        net::responder respond) {
          auto checked = verified_twilio_form(req, twilio);
          if (auto* err = std::get_if<net::http_response>(&checked))
            return respond(std::move(*err));
          auto fields = adapters::parse_inbound_sms(std::get<adapters::form_body>(checked));
          if (auto* e = std::get_if<adapters::field_error>(&fields)) {
            return respond(net::http_response::error(400, "invalid_webhook", e->describe()));
          }
          const auto& sms = std::get<adapters::inbound_sms>(fields);

          auto repaired = adapters::repair_utf8(sms.body);
          bool flagged_body = repaired.replaced();
          if (repaired.text.size() > limits.max_body_bytes) {
            repaired.text =
                std::string(adapters::truncate_utf8(repaired.text, limits.max_body_bytes));
            flagged_body = true;
          }
          const auto sender = adapters::classify_sender(sms.from);
          const auto opt = adapters::classify_opt_keyword(repaired.text, opt_words);
          const auto decision = routing.route(repaired.text, sms.to, now());

          v1::Event e;
          e.set_source("twilio");
          e.set_source_event_id(sms.message_sid);
          e.mutable_actor()->set_kind(v1::Actor::PROVIDER);
          e.mutable_actor()->set_id("twilio");
          v1::TextEvent* t = decision.keyword.empty() ? e.mutable_text()
                                                      : e.mutable_keyword_text()->mutable_text();
          if (!decision.keyword.empty()) {
            e.mutable_keyword_text()->set_keyword(decision.keyword);
            e.mutable_keyword_text()->set_area(decision.area);
          }
          t->set_message_id(sms.message_sid);
          t->set_from(sms.from);
          t->set_to(sms.to);
          t->set_body(repaired.text);
          t->set_num_segments(static_cast<std::uint32_t>(
              sms.num_segments.value_or(adapters::count_sms_segments(repaired.text).segments)));
          t->set_num_media(static_cast<std::uint32_t>(sms.num_media.value_or(0)));
          t->set_sender_flagged(sender.kind != adapters::sender_kind::e164);
          t->set_body_repaired(flagged_body);
          t->set_area(decision.area);
          t->set_routing_reason(decision.reason);
          t->set_route(codec::to_proto(decision.route));
          t->set_opt_keyword(to_proto(opt.kind));
          t->set_opt_ambiguous(opt.ambiguous_in_crisis);
          t->set_sender_blocked(routing.blocked(sms.from));
          const bool blocked = t->sender_blocked();
          const auto area = decision.area;

          std::vector<v1::Event> events;
          events.push_back(std::move(e));
          const auto status = pipeline.submit(
              std::move(events), [&engine, &routing, respond, blocked,
                                  area](const std::vector<event_pipeline::outcome>& outcomes) {
                // A text that opened a conversation has the contact id of its
                // own seq; that is the one answered with the auto-reply, on a
                // retry too, since the provider never got the first answer.
                const auto* c = engine.find_contact(core::contact_id{outcomes.at(0).seq});
                if (blocked || !c || c->kind != core::channel::text) {
                  return respond(twiml(adapters::twiml::empty_response()));
                }
                respond(twiml(
                    adapters::twiml::message_reply(routing.auto_reply(area, wait_phrase(engine)))));
              });
          if (status != store::writer::submit_status::accepted) respond(submit_refused(status, 1));
        });

  r.add("POST", "/v1/webhooks/twilio/sms/status",
        [&pipeline, &twilio](net::http_request&& req, net::responder respond) {
          auto checked = verified_twilio_form(req, twilio);
          if (auto* err = std::get_if<net::http_response>(&checked))
            return respond(std::move(*err));
          auto fields = adapters::parse_sms_status(std::get<adapters::form_body>(checked));
          if (auto* e = std::get_if<adapters::field_error>(&fields)) {
            return respond(net::http_response::error(400, "invalid_webhook", e->describe()));
          }
          const auto& st = std::get<adapters::sms_status_callback>(fields);
          v1::Event e;
          e.set_source("twilio-status");
          // Each status of a message is recorded once; a repeat is a duplicate.
          e.set_source_event_id(st.message_sid + ":" + st.status_text);
          e.mutable_actor()->set_kind(v1::Actor::PROVIDER);
          e.mutable_actor()->set_id("twilio");
          auto* s = e.mutable_text_status();
          s->set_message_id(st.message_sid);
          s->set_status(st.status_text);
          s->set_error_code(static_cast<std::uint32_t>(st.error_code.value_or(0)));
          std::vector<v1::Event> events;
          events.push_back(std::move(e));
          const auto status = pipeline.submit(std::move(events), [respond](const auto&) {
            respond(net::http_response{204, "text/plain", {}, {}});
          });
          if (status != store::writer::submit_status::accepted) respond(submit_refused(status, 1));
        });
}

}  // namespace crisisline::app
