// libFuzzer target for the X-Twilio-Signature check. The input is split at
// the first two NUL bytes into header, URL and form body.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/twilio_signature.hpp"

using namespace crisisline::adapters;

namespace {

std::string_view next_field(std::string_view& rest) {
  const auto nul = rest.find('\0');
  const std::string_view field = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  return field;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view header = next_field(rest);
  const std::string_view url = next_field(rest);
  const auto parsed = parse_form(rest, form_limits{1 << 16, 256});
  const auto* form = std::get_if<form_body>(&parsed);
  if (form == nullptr) return 0;

  const twilio_tokens tokens{"12345", "67890"};
  std::string_view trimmed = header;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
    trimmed.remove_prefix(1);
  }
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) {
    trimmed.remove_suffix(1);
  }
  bool expected_ok = false;
  for (const auto& u : url_port_variants(url)) {
    for (const char* token : {"12345", "67890"}) {
      const auto sig = twilio_signature(token, u, *form);
      expected_ok |= trimmed == sig;
      // A correctly signed request validates with either token and port spelling.
      if (check_twilio_signature(sig, url, *form, tokens) != signature_verdict::ok) std::abort();
    }
  }
  const auto verdict = check_twilio_signature(header, url, *form, tokens);
  if ((verdict == signature_verdict::ok) != expected_ok) std::abort();
  if ((verdict == signature_verdict::missing) != trimmed.empty()) std::abort();
  // An HMAC keyed with nothing never validates.
  if (check_twilio_signature(twilio_signature("", url, *form), url, *form, {"", ""}) ==
      signature_verdict::ok) {
    std::abort();
  }
  return 0;
}
