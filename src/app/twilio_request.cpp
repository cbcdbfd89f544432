#include "app/twilio_request.hpp"

namespace crisisline::app {

std::variant<adapters::form_body, net::http_response> verified_twilio_form(
    const net::http_request& req, const twilio_settings& settings) {
  const auto type = req.header("content-type");
  if (!type.starts_with("application/x-www-form-urlencoded")) {
    return net::http_response::error(415, "unsupported_media_type",
                                     "webhooks must be application/x-www-form-urlencoded");
  }
  auto parsed = adapters::parse_form(req.body, {settings.max_form_bytes, settings.max_form_params});
  if (auto* e = std::get_if<adapters::form_error>(&parsed)) {
    return net::http_response::error(400, "invalid_form", e->message);
  }
  auto form = std::get<adapters::form_body>(std::move(parsed));
  const auto url = adapters::twilio_public_url(settings.public_base_url, req.path, req.query);
  switch (adapters::check_twilio_signature(req.header("x-twilio-signature"), url, form,
                                           settings.tokens)) {
    case adapters::signature_verdict::ok:
      break;
    case adapters::signature_verdict::missing:
      return net::http_response::error(403, "forbidden", "X-Twilio-Signature is missing");
    case adapters::signature_verdict::mismatch:
      return net::http_response::error(403, "forbidden",
                                       "X-Twilio-Signature does not match " + url);
  }
  if (!settings.account_sid.empty()) {
    const auto account = form.find("AccountSid");
    if (!account || *account != settings.account_sid) {
      return net::http_response::error(403, "forbidden",
                                       "AccountSid is not this service's account");
    }
  }
  return form;
}

net::http_response twiml(std::string body) {
  return net::http_response{200, "text/xml; charset=utf-8", {}, std::move(body)};
}

}  // namespace crisisline::app
