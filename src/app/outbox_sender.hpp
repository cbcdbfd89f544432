#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "app/event_pipeline.hpp"
#include "net/http_client.hpp"
#include "net/io_loop.hpp"

namespace crisisline::app {

struct sms_rest_settings {
  // Twilio-compatible REST API base, e.g. https://api.twilio.com
  std::string api_base_url;
  std::string account_sid;
  std::string auth_token;
  // Where the provider sends delivery statuses (our public status webhook).
  std::string status_callback_url;
  std::chrono::milliseconds timeout{15'000};
  std::uint32_t max_attempts = 8;
};

// Hands outbound texts to the provider:
//   POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json  (basic auth)
// Every attempt's result becomes an OutboundTextResult event, so what was
// accepted survives a restart and only what never was is resent (resume()).
// Network errors, timeouts, 429 and 5xx are retried with exponential backoff
// (1 s doubling to 60 s) up to max_attempts; other 4xx fail at once, and the
// nurse is told.
//
// io thread only. A crash after the provider accepted a text but before the
// result commits resends it once on restart: the provider API has no
// idempotency key, so at-least-once is the best on offer.
class outbox_sender {
 public:
  outbox_sender(net::io_loop& loop, net::http_client& client, event_pipeline& pipeline,
                const core::engine& engine, sms_rest_settings settings);
  ~outbox_sender();

  // An outbound text may go now (the send_text effect).
  void send(std::uint64_t outbound_id);
  // After recovery: everything still pending.
  void resume();
  void stop();

 private:
  void attempt(std::uint64_t id);
  void finish(std::uint64_t id, std::uint32_t attempt, v1::OutboundTextResult::Outcome outcome,
              std::string provider_id, std::string error);
  void retry_later(std::uint64_t id, std::chrono::milliseconds after);

  net::io_loop& loop_;
  net::http_client& client_;
  event_pipeline& pipeline_;
  const core::engine& engine_;
  sms_rest_settings settings_;
  std::set<std::uint64_t> in_flight_;
  std::map<std::uint64_t, std::unique_ptr<net::timer>> retries_;
  bool stopped_ = false;
};

}  // namespace crisisline::app
