#pragma once

#include <optional>
#include <string>
#include <string_view>

// Password hashes and login tokens (libsodium). Any thread; the hash and
// verify calls are slow on purpose (argon2id) and must stay off the io thread.
namespace crisisline::app {

// Must be called once before any other function here (idempotent).
void init_credentials();

// argon2id with libsodium's "interactive" limits, as a self-describing
// crypto_pwhash_str string. Throws std::runtime_error when out of memory.
[[nodiscard]] std::string hash_password(std::string_view password);
// True if `password` matches `hash`; false for a malformed hash.
[[nodiscard]] bool verify_password(std::string_view password, const std::string& hash);
// Spends the time verify_password would on a real account, so a login for an
// unknown user name takes as long as one for a known user.
void verify_against_dummy(std::string_view password);
// Computes the dummy hash ahead of the first unknown-user login, so that one
// does not take longer than the rest either.
void prepare_dummy_hash();

// 256 random bits, base64url without padding (43 characters).
[[nodiscard]] std::string new_token();
// SHA-256 of the token, 32 raw bytes: what the database keeps.
[[nodiscard]] std::string token_digest(std::string_view token);

// Overwrites a secret (a password, a request body holding one) in place.
void wipe_secret(std::string& s);

// User names: 1-64 characters from [a-z0-9._-], compared in lower case.
// The lower-cased name, or nullopt if it has other characters.
[[nodiscard]] std::optional<std::string> normalize_username(std::string_view name);

}  // namespace crisisline::app
