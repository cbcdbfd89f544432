#include "app/credentials.hpp"

#include <sodium.h>

#include <cctype>
#include <stdexcept>

namespace crisisline::app {
namespace {

const std::string& dummy_hash() {
  static const std::string h = hash_password("not a password anybody has");
  return h;
}

}  // namespace

void init_credentials() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hash_password(std::string_view password) {
  init_credentials();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return out;
}

bool verify_password(std::string_view password, const std::string& hash) {
  init_credentials();
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void verify_against_dummy(std::string_view password) {
  (void)verify_password(password, dummy_hash());
}

void prepare_dummy_hash() {
  (void)dummy_hash();
}

std::string new_token() {
  init_credentials();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char out[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return out;
}

std::string token_digest(std::string_view token) {
  unsigned char d[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(d, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return {reinterpret_cast<const char*>(d), sizeof d};
}

void wipe_secret(std::string& s) {
  sodium_memzero(s.data(), s.size());
}

std::optional<std::string> normalize_username(std::string_view name) {
  if (name.empty() || name.size() > 64) return std::nullopt;
  std::string out;
  out.reserve(name.size());
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!(std::isalnum(c) || c == '.' || c == '_' || c == '-') || c > 127) return std::nullopt;
    out.push_back(static_cast<char>(c));
  }
  return out;
}

}  // namespace crisisline::app
