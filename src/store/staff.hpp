#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.hpp"

// Staff accounts and login sessions. Plain functions over a connection: the
// `crisisline staff` command and the server's login worker each use their own
// connection (WAL and the busy timeout let them share the file with the
// writer). Times are microseconds since the Unix epoch, UTC.
namespace crisisline::store {

struct staff_account {
  std::string username;
  std::string display_name;
  // nurse, supervisor, crew, admin or integration (the table checks it).
  std::string role;
  // libsodium crypto_pwhash_str output.
  std::string password_hash;
  bool disabled = false;
  std::int64_t created_at_us = 0;
  std::int64_t changed_at_us = 0;
};

// A session that may still authenticate: not revoked, not expired, and its
// account not disabled.
struct live_session {
  std::int64_t id = 0;
  // SHA-256 of the token, 32 bytes.
  std::string token_hash;
  std::string username;
  std::string display_name;
  std::string role;
  std::int64_t expires_at_us = 0;
};

// False (and nothing written) when the user name is taken.
[[nodiscard]] bool add_staff(connection& c, const staff_account& a);
[[nodiscard]] std::optional<staff_account> find_staff(connection& c, const std::string& username);
[[nodiscard]] std::vector<staff_account> list_staff(connection& c);
// Disabling also revokes the account's sessions. False if there is no such user.
[[nodiscard]] bool set_staff_disabled(connection& c, const std::string& username, bool disabled,
                                      std::int64_t now_us);
// A new password revokes the account's sessions. False if there is no such user.
[[nodiscard]] bool set_staff_password(connection& c, const std::string& username,
                                      const std::string& password_hash, std::int64_t now_us);

// Returns the new session's id.
[[nodiscard]] std::int64_t insert_session(connection& c, const std::string& token_hash,
                                          const std::string& username, std::int64_t created_at_us,
                                          std::int64_t expires_at_us);
void revoke_session(connection& c, std::int64_t id, std::int64_t now_us);
[[nodiscard]] std::vector<live_session> live_sessions(connection& c, std::int64_t now_us);

}  // namespace crisisline::store
