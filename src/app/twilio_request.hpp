#pragma once

#include <string>
#include <variant>

#include "adapters/form_body.hpp"
#include "adapters/twilio_signature.hpp"
#include "net/http_message.hpp"

namespace crisisline::app {

struct twilio_settings {
  // As configured (server.public_base_url): signatures are computed against
  // the URL the provider called, not the one seen behind a proxy.
  std::string public_base_url;
  adapters::twilio_tokens tokens;
  // When set, webhooks from another account are refused.
  std::string account_sid;
  std::size_t max_form_bytes = 64 << 10;
  std::size_t max_form_params = 256;
};

// The checked form of a Twilio-compatible webhook, or the error response to
// send: 415 for another content type, 400 for a malformed form, 403 for a
// missing or wrong X-Twilio-Signature or another account. Nothing has been
// written when an error comes back.
[[nodiscard]] std::variant<adapters::form_body, net::http_response> verified_twilio_form(
    const net::http_request& req, const twilio_settings& settings);

[[nodiscard]] net::http_response twiml(std::string body);

}  // namespace crisisline::app
