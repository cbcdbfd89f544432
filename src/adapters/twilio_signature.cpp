#include "adapters/twilio_signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace crisisline::adapters {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string base64(const unsigned char* data, std::size_t size) {
  // EVP_EncodeBlock writes a terminating NUL after the output.
  std::string buf(4 * ((size + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(buf.data()), data, static_cast<int>(size));
  buf.resize(static_cast<std::size_t>(n));
  return buf;
}

}  // namespace

std::string twilio_public_url(std::string_view public_base, std::string_view path,
                              std::string_view query) {
  while (!public_base.empty() && public_base.back() == '/') public_base.remove_suffix(1);
  std::string url(public_base);
  if (path.empty() || path.front() != '/') url.push_back('/');
  url.append(path);
  if (!query.empty()) {
    url.push_back('?');
    url.append(query);
  }
  return url;
}

std::vector<std::string> url_port_variants(std::string_view url) {
  std::vector<std::string> out{std::string(url)};
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return out;
  const std::string_view scheme = url.substr(0, scheme_end);
  std::string_view default_port;
  if (iequals(scheme, "https")) default_port = "443";
  if (iequals(scheme, "http")) default_port = "80";
  if (default_port.empty()) return out;

  const std::size_t host_begin = scheme_end + 3;
  const std::size_t host_end = std::min(url.find_first_of("/?#", host_begin), url.size());
  const std::string_view authority = url.substr(host_begin, host_end - host_begin);
  // A port follows the last ':' after any userinfo, unless it is inside an
  // IPv6 literal ("[::1]").
  const std::size_t at = authority.rfind('@');
  const std::size_t host_start = at == std::string_view::npos ? 0 : at + 1;
  const std::size_t colon = authority.rfind(':');
  const std::size_t bracket = authority.rfind(']');
  const bool has_port = colon != std::string_view::npos && colon >= host_start &&
                        (bracket == std::string_view::npos || colon > bracket);

  std::string variant;
  if (!has_port) {
    variant.append(url.substr(0, host_end)).append(":").append(default_port);
    variant.append(url.substr(host_end));
  } else if (authority.substr(colon + 1) == default_port) {
    variant.append(url.substr(0, host_begin + colon));
    variant.append(url.substr(host_end));
  } else {
    return out;
  }
  out.push_back(std::move(variant));
  return out;
}

std::string twilio_signature(std::string_view auth_token, std::string_view url,
                             const form_body& params) {
  std::vector<const form_body::param*> sorted;
  sorted.reserve(params.size());
  for (const auto& p : params) sorted.push_back(&p);
  // std::string compares as unsigned bytes, which is the order Twilio uses.
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });

  std::string data(url);
  for (const auto* p : sorted) data.append(p->first).append(p->second);

  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  HMAC(EVP_sha1(), auth_token.data(), static_cast<int>(auth_token.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &mac_size);
  return base64(mac.data(), mac_size);
}

signature_verdict check_twilio_signature(std::string_view header, std::string_view url,
                                         const form_body& params, const twilio_tokens& tokens) {
  header = trim(header);
  if (header.empty()) return signature_verdict::missing;
  bool matched = false;
  const auto urls = url_port_variants(url);
  for (const std::string* token : {&tokens.primary, &tokens.secondary}) {
    if (token->empty()) continue;
    for (const auto& u : urls) {
      const std::string expected = twilio_signature(*token, u, params);
      // The length of a SHA-1 signature is public; only the bytes must not
      // leak through timing.
      if (expected.size() == header.size() &&
          CRYPTO_memcmp(expected.data(), header.data(), expected.size()) == 0) {
        matched = true;
      }
    }
  }
  return matched ? signature_verdict::ok : signature_verdict::mismatch;
}

}  // namespace crisisline::adapters
