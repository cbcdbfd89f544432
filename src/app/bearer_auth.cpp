#include "app/bearer_auth.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace crisisline::app {
namespace {

std::array<unsigned char, 32> digest(std::string_view s) {
  std::array<unsigned char, 32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
  return out;
}

}  // namespace

void bearer_auth::add(std::string name, std::string_view token) {
  entries_.push_back({std::move(name), digest(token)});
}

std::optional<std::string> bearer_auth::check(std::string_view header) const {
  constexpr std::string_view scheme = "Bearer ";
  if (header.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return std::nullopt;
    }
  }
  const auto presented = digest(header.substr(scheme.size()));
  std::optional<std::string> found;
  // Check every entry so the time taken doesn't depend on which one matched.
  for (const auto& e : entries_) {
    if (CRYPTO_memcmp(presented.data(), e.digest.data(), presented.size()) == 0) found = e.name;
  }
  return found;
}

}  // namespace crisisline::app
