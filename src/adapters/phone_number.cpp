#include "adapters/phone_number.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace crisisline::adapters {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool is_withheld_word(std::string_view s) {
  constexpr std::array<std::string_view, 7> words = {
      "anonymous", "restricted", "unavailable", "private", "withheld", "unknown", "blocked"};
  return std::any_of(words.begin(), words.end(), [&](std::string_view w) { return iequals(s, w); });
}

// Formatting people and some carriers add; removing it changes no digit.
// "+44 (0)7700..." marks a trunk 0 that is not dialled from abroad, so it goes
// too rather than becoming part of a different number.
std::optional<std::string> normalise_e164(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (s.substr(i, 3) == "(0)") {
      i += 2;
      continue;
    }
    if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') continue;
    out.push_back(c);
  }
  if (out.size() < 8 || out.size() > 16 || out[0] != '+' || out[1] == '0') return std::nullopt;
  const bool digits =
      std::all_of(out.begin() + 1, out.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!digits) return std::nullopt;
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &size);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * size);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[mac[i] >> 4]);
    out.push_back(hex[mac[i] & 0x0F]);
  }
  return out;
}

}  // namespace

sender_id classify_sender(std::string_view raw) {
  sender_id id;
  id.as_sent = std::string(raw);
  const std::string_view t = trim(raw);
  if (t.empty() || is_withheld_word(t)) {
    id.kind = sender_kind::withheld;
  } else if (auto n = normalise_e164(t)) {
    id.kind = sender_kind::e164;
    id.e164 = std::move(*n);
  } else {
    id.kind = sender_kind::malformed;
  }
  return id;
}

std::optional<std::string> sender_key(std::string_view secret, const sender_id& sender) {
  if (secret.empty()) return std::nullopt;
  switch (sender.kind) {
    case sender_kind::e164:
      return hmac_sha256_hex(secret, "e164:" + sender.e164);
    case sender_kind::withheld:
      return std::nullopt;
    case sender_kind::malformed:
      return hmac_sha256_hex(secret, "raw:" + std::string(trim(sender.as_sent)));
  }
  return std::nullopt;
}

}  // namespace crisisline::adapters
