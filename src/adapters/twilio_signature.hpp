#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/form_body.hpp"

// X-Twilio-Signature (DOMAIN.md §6): HMAC-SHA1 over the public URL followed by
// every POST parameter, sorted. Pure; any thread.
namespace crisisline::adapters {

// Tokens are the HMAC keys. The secondary is tried too while the account's
// auth token is being rotated; leave it empty otherwise. An empty token is
// never used: anyone could compute an HMAC keyed with nothing.
struct twilio_tokens {
  std::string primary;
  std::string secondary;
};

enum class signature_verdict {
  ok,
  // No X-Twilio-Signature header (or an empty one).
  missing,
  // Present but matching no token and URL variant, or no token configured.
  mismatch,
};

// The URL the provider was told to call: the configured public base (scheme,
// host, optional port and path prefix; a trailing '/' is dropped) + the
// request path as sent + '?' + query when there is one. Use the configured
// base, never the Host header: behind a proxy it differs, and an attacker
// controls it.
[[nodiscard]] std::string twilio_public_url(std::string_view public_base, std::string_view path,
                                            std::string_view query);

// The URL spelled with and without the default port (":443" for https, ":80"
// for http): Twilio signs whichever it was configured with. A non-default port
// is kept as is. The first element is `url` itself.
[[nodiscard]] std::vector<std::string> url_port_variants(std::string_view url);

// Base64 (standard, padded) HMAC-SHA1 keyed with `auth_token` over `url`
// followed by each name and value, sorted by name then value in byte order.
[[nodiscard]] std::string twilio_signature(std::string_view auth_token, std::string_view url,
                                           const form_body& params);

// Checks `header` against every configured token and both port spellings of
// `url`, comparing in constant time and always trying every combination.
// Call before anything from the request is written.
[[nodiscard]] signature_verdict check_twilio_signature(std::string_view header,
                                                       std::string_view url,
                                                       const form_body& params,
                                                       const twilio_tokens& tokens);

}  // namespace crisisline::adapters
