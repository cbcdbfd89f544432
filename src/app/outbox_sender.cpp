#include "app/outbox_sender.hpp"

#include <boost/json.hpp>

#include "adapters/form_body.hpp"
#include "log/log.hpp"

namespace crisisline::app {
namespace {

std::chrono::milliseconds backoff(std::uint32_t attempt) {
  const auto secs =
      std::min<std::uint64_t>(60, std::uint64_t{1} << std::min<std::uint32_t>(attempt - 1, 6));
  return std::chrono::seconds(secs);
}

// "21211: The 'To' number is not a valid phone number." from a Twilio error body.
std::string provider_error(int status, const std::string& body) {
  std::string out = "HTTP " + std::to_string(status);
  boost::system::error_code ec;
  const auto v = boost::json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    if (const auto* code = o.if_contains("code"); code && code->is_int64()) {
      out += " error " + std::to_string(code->as_int64());
    }
    if (const auto* msg = o.if_contains("message"); msg && msg->is_string()) {
      out += ": " + std::string(msg->as_string());
    }
  }
  return out;
}

}  // namespace

outbox_sender::outbox_sender(net::io_loop& loop, net::http_client& client, event_pipeline& pipeline,
                             const core::engine& engine, sms_rest_settings settings)
    : loop_(loop),
      client_(client),
      pipeline_(pipeline),
      engine_(engine),
      settings_(std::move(settings)) {}

outbox_sender::~outbox_sender() {
  stop();
}

void outbox_sender::stop() {
  stopped_ = true;
  for (auto& [id, t] : retries_) t->cancel();
}

void outbox_sender::resume() {
  for (const auto* t : engine_.outbox().pending()) send(t->id);
}

void outbox_sender::send(std::uint64_t id) {
  if (stopped_ || in_flight_.contains(id) || retries_.contains(id)) return;
  attempt(id);
}

void outbox_sender::attempt(std::uint64_t id) {
  const auto* t = engine_.outbox().find(id);
  if (!t || t->status != core::outbound_status::pending) return;
  const std::uint32_t n = t->attempts + 1;
  if (t->from.empty()) {
    return finish(id, n, v1::OutboundTextResult::FAILED_PERMANENT, {},
                  "no service number to send from");
  }
  if (settings_.account_sid.empty() || settings_.auth_token.empty()) {
    return finish(id, n, v1::OutboundTextResult::FAILED_PERMANENT, {},
                  "no SMS provider account is configured (twilio.account_sid, auth token)");
  }
  in_flight_.insert(id);
  adapters::form_body form;
  form.add("To", t->to);
  form.add("From", t->from);
  form.add("Body", t->body);
  if (!settings_.status_callback_url.empty())
    form.add("StatusCallback", settings_.status_callback_url);
  net::client_request req;
  req.url =
      settings_.api_base_url + "/2010-04-01/Accounts/" + settings_.account_sid + "/Messages.json";
  req.headers = {
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Authorization", net::basic_authorization(settings_.account_sid, settings_.auth_token)}};
  req.body = adapters::encode_form(form);
  req.timeout = settings_.timeout;
  client_.send(std::move(req), [this, id, n](net::client_response res) {
    if (stopped_) return;
    if (res.status == 200 || res.status == 201) {
      boost::system::error_code ec;
      const auto v = boost::json::parse(res.body, ec);
      std::string sid;
      if (!ec && v.is_object()) {
        if (const auto* s = v.as_object().if_contains("sid"); s && s->is_string()) {
          sid = std::string(s->as_string());
        }
      }
      return finish(id, n, v1::OutboundTextResult::ACCEPTED, std::move(sid), {});
    }
    const bool retryable = res.status == 0 || res.status == 429 || res.status >= 500;
    std::string error = res.status == 0 ? res.error : provider_error(res.status, res.body);
    if (!retryable)
      return finish(id, n, v1::OutboundTextResult::FAILED_PERMANENT, {}, std::move(error));
    if (n >= settings_.max_attempts) {
      return finish(id, n, v1::OutboundTextResult::FAILED_PERMANENT, {},
                    "gave up after " + std::to_string(n) + " attempts: " + error);
    }
    finish(id, n, v1::OutboundTextResult::FAILED_RETRYABLE, {}, std::move(error));
  });
}

void outbox_sender::finish(std::uint64_t id, std::uint32_t attempt,
                           v1::OutboundTextResult::Outcome outcome, std::string provider_id,
                           std::string error) {
  log::info("outbound text attempt", {{"outbound_id", id},
                                      {"attempt", attempt},
                                      {"outcome", v1::OutboundTextResult::Outcome_Name(outcome)},
                                      {"error", std::string_view(error)}});
  v1::Event e;
  e.set_source("outbox");
  e.set_source_event_id(std::to_string(id) + ":" + std::to_string(attempt));
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  e.mutable_actor()->set_id("outbox");
  auto* r = e.mutable_outbound_result();
  r->set_outbound_id(id);
  r->set_outcome(outcome);
  r->set_provider_message_id(provider_id);
  r->set_attempt(attempt);
  r->set_error(error);
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  in_flight_.insert(id);
  const auto status =
      pipeline_.submit(std::move(events), [this, id, attempt, outcome](const auto&) {
        in_flight_.erase(id);
        if (outcome == v1::OutboundTextResult::FAILED_RETRYABLE) retry_later(id, backoff(attempt));
      });
  if (status != store::writer::submit_status::accepted) {
    // The log is busy: keep the result and record it shortly, rather than
    // forget an accepted text and send it twice.
    auto t = std::make_unique<net::timer>(loop_);
    t->arm(std::chrono::milliseconds(200),
           [this, id, attempt, outcome, provider_id = std::move(provider_id),
            error = std::move(error)]() mutable {
             retries_.erase(id);
             in_flight_.erase(id);
             finish(id, attempt, outcome, std::move(provider_id), std::move(error));
           });
    retries_[id] = std::move(t);
  }
}

void outbox_sender::retry_later(std::uint64_t id, std::chrono::milliseconds after) {
  if (stopped_) return;
  auto t = std::make_unique<net::timer>(loop_);
  t->arm(after, [this, id] {
    retries_.erase(id);
    attempt(id);
  });
  retries_[id] = std::move(t);
}

}  // namespace crisisline::app
