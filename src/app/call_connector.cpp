#include "app/call_connector.hpp"

#include "adapters/form_body.hpp"
#include "log/log.hpp"

namespace crisisline::app {
call_connector::call_connector(net::io_loop& loop, net::http_client& client,
                               event_pipeline& pipeline, const core::engine& engine,
                               call_connect_settings settings)
    : loop_(loop),
      client_(client),
      pipeline_(pipeline),
      engine_(engine),
      settings_(std::move(settings)) {}

call_connector::~call_connector() {
  stop();
}

void call_connector::stop() {
  stopped_ = true;
  for (auto& [id, t] : retries_) t->cancel();
}

void call_connector::on_assigned(core::contact_id contact, const core::nurse_id& nurse) {
  const auto* c = engine_.find_contact(contact);
  if (stopped_ || !c || c->kind != core::channel::call || c->call_platform != "twilio" ||
      c->call_id.empty()) {
    return;
  }
  attempt(contact.value(), c->call_id, nurse.value(), 1);
}

void call_connector::resume() {
  for (const auto& [id, c] : engine_.contacts()) {
    if (c.state == core::contact_state::active && c.kind == core::channel::call &&
        c.call_platform == "twilio" && !c.call_id.empty() && c.nurse && !c.connect_requested) {
      attempt(id, c.call_id, c.nurse->value(), 1);
    }
  }
}

void call_connector::attempt(std::uint64_t contact, std::string call_sid, std::string nurse,
                             std::uint32_t n) {
  const auto endpoint = settings_.nurse_endpoints.find(nurse);
  if (endpoint == settings_.nurse_endpoints.end()) {
    return failed(contact, call_sid, nurse, "nurse has no call endpoint configured");
  }
  if (settings_.account_sid.empty() || settings_.auth_token.empty()) {
    return failed(contact, call_sid, nurse, "no telephony provider account is configured");
  }
  const std::string action = settings_.public_base_url + "/v1/webhooks/twilio/voice/dial?nurse=" +
                             adapters::form_encode_component(nurse);
  adapters::form_body form;
  form.add("Twiml",
           adapters::twiml::dial_nurse(endpoint->second, settings_.dial_timeout_seconds, action));
  net::client_request req;
  req.url = settings_.api_base_url + "/2010-04-01/Accounts/" + settings_.account_sid + "/Calls/" +
            call_sid + ".json";
  req.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Authorization", net::basic_authorization(settings_.account_sid, settings_.auth_token)}};
  req.body = adapters::encode_form(form);
  req.timeout = settings_.timeout;
  client_.send(std::move(req), [this, contact, call_sid, nurse, n](net::client_response res) {
    if (stopped_) return;
    if (res.status >= 200 && res.status < 300) {
      log::info("call connect requested",
                {{"contact_id", contact}, {"nurse_id", std::string_view(nurse)}});
      v1::Event e;
      e.set_source("call-connector");
      e.set_source_event_id(std::to_string(contact) + ":" + nurse + ":requested");
      auto* c = e.mutable_call();
      c->set_call_id(call_sid);
      c->set_status(v1::CALL_CONNECT_REQUESTED);
      c->set_nurse_id(nurse);
      c->set_platform("twilio");
      return record(std::move(e), contact);
    }
    const bool retryable = res.status == 0 || res.status == 429 || res.status >= 500;
    const std::string why = res.status == 0 ? res.error : "HTTP " + std::to_string(res.status);
    if (retryable && n < settings_.max_attempts) {
      auto t = std::make_unique<net::timer>(loop_);
      t->arm(std::chrono::seconds(1), [this, contact, call_sid, nurse, n] {
        retries_.erase(contact);
        attempt(contact, call_sid, nurse, n + 1);
      });
      retries_[contact] = std::move(t);
      return;
    }
    failed(contact, call_sid, nurse, why);
  });
}

void call_connector::failed(std::uint64_t contact, const std::string& call_sid,
                            const std::string& nurse, const std::string& why) {
  log::warn("call connect failed", {{"contact_id", contact},
                                    {"nurse_id", std::string_view(nurse)},
                                    {"reason", std::string_view(why)}});
  v1::Event e;
  e.set_source("call-connector");
  e.set_source_event_id(std::to_string(contact) + ":" + nurse +
                        ":connect-failed:" + std::to_string(engine_.stats().last_seq));
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  e.mutable_actor()->set_id("call-connector");
  auto* c = e.mutable_call();
  c->set_call_id(call_sid);
  c->set_status(v1::CALL_CONNECT_FAILED);
  c->set_nurse_id(nurse);
  c->set_platform("twilio");
  record(std::move(e), contact);
}

void call_connector::record(v1::Event e, std::uint64_t contact) {
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  e.mutable_actor()->set_id("call-connector");
  std::vector<v1::Event> events;
  events.push_back(e);
  if (pipeline_.submit(std::move(events), [](const auto&) {}) !=
      store::writer::submit_status::accepted) {
    // The log is busy: keep the fact and record it shortly.
    auto t = std::make_unique<net::timer>(loop_);
    t->arm(std::chrono::milliseconds(200), [this, e = std::move(e), contact]() mutable {
      retries_.erase(contact);
      if (!stopped_) record(std::move(e), contact);
    });
    retries_[contact] = std::move(t);
  }
}

}  // namespace crisisline::app
