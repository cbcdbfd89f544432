#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "adapters/twiml.hpp"
#include "app/event_pipeline.hpp"
#include "net/http_client.hpp"
#include "net/io_loop.hpp"

namespace crisisline::app {

struct call_connect_settings {
  std::string api_base_url;
  std::string account_sid;
  std::string auth_token;
  // Our public base URL: the provider posts the dial result there.
  std::string public_base_url;
  std::map<std::string, adapters::twiml::dial_endpoint> nurse_endpoints;
  int dial_timeout_seconds = 20;
  std::chrono::milliseconds timeout{15'000};
  std::uint32_t max_attempts = 3;
};

// When a nurse accepts a call that came through the provider, tells the
// provider to connect it: POST {base}/2010-04-01/Accounts/{sid}/Calls/{CallSid}.json
// with TwiML <Dial> to the nurse's configured endpoint, whose action posts
// the result to /v1/webhooks/twilio/voice/dial. If the request fails (after
// retries) or the nurse has no endpoint, a CALL_CONNECT_FAILED event puts the
// caller back in their place and pauses the nurse.
//
// io thread only.
class call_connector {
 public:
  call_connector(net::io_loop& loop, net::http_client& client, event_pipeline& pipeline,
                 const core::engine& engine, call_connect_settings settings);
  ~call_connector();

  // The contact_assigned effect.
  void on_assigned(core::contact_id contact, const core::nurse_id& nurse);
  // After recovery: asks again for every accepted provider call whose connect
  // request was never recorded as accepted (the crash came in between).
  void resume();
  void stop();

 private:
  void attempt(std::uint64_t contact, std::string call_sid, std::string nurse, std::uint32_t n);
  void failed(std::uint64_t contact, const std::string& call_sid, const std::string& nurse,
              const std::string& why);
  void record(v1::Event e, std::uint64_t contact);

  net::io_loop& loop_;
  net::http_client& client_;
  event_pipeline& pipeline_;
  const core::engine& engine_;
  call_connect_settings settings_;
  std::map<std::uint64_t, std::unique_ptr<net::timer>> retries_;
  bool stopped_ = false;
};

}  // namespace crisisline::app
