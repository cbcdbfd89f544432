#include "store/staff.hpp"

namespace crisisline::store {
namespace {

staff_account account_from(const statement& s) {
  return staff_account{.username = std::string(s.column_text(0)),
                       .display_name = std::string(s.column_text(1)),
                       .role = std::string(s.column_text(2)),
                       .password_hash = std::string(s.column_text(3)),
                       .disabled = s.column_int(4) != 0,
                       .created_at_us = s.column_int(5),
                       .changed_at_us = s.column_int(6)};
}

constexpr const char* account_columns =
    "SELECT username, display_name, role, password_hash, disabled, created_at, changed_at "
    "FROM staff";

void revoke_sessions_of(connection& c, const std::string& username, std::int64_t now_us) {
  statement s(c, "UPDATE sessions SET revoked_at = ?2 WHERE username = ?1 AND revoked_at IS NULL");
  s.bind(1, username);
  s.bind(2, now_us);
  (void)s.step();
}

// Sets one column (and changed_at) of an account; with `revoke`, also ends
// its sessions, in the same transaction. False if there is no such user.
template <typename V>
bool update_account(connection& c, const std::string& username, std::string_view column,
                    const V& value, std::int64_t now_us, bool revoke) {
  transaction tx(c);
  statement s(c, "UPDATE staff SET " + std::string(column) +
                     " = ?2, changed_at = ?3 WHERE username = ?1 RETURNING username");
  s.bind(1, username);
  s.bind(2, value);
  s.bind(3, now_us);
  if (!s.step()) return false;
  s.reset();
  if (revoke) revoke_sessions_of(c, username, now_us);
  tx.commit();
  return true;
}

}  // namespace

bool add_staff(connection& c, const staff_account& a) {
  statement s(c,
              "INSERT INTO staff(username, display_name, role, password_hash, disabled, "
              "created_at, changed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
              "ON CONFLICT(username) DO NOTHING RETURNING username");
  s.bind(1, a.username);
  s.bind(2, a.display_name);
  s.bind(3, a.role);
  s.bind(4, a.password_hash);
  s.bind(5, std::int64_t{a.disabled ? 1 : 0});
  s.bind(6, a.created_at_us);
  s.bind(7, a.changed_at_us);
  return s.step();
}

std::optional<staff_account> find_staff(connection& c, const std::string& username) {
  statement s(c, std::string(account_columns) + " WHERE username = ?1");
  s.bind(1, username);
  if (!s.step()) return std::nullopt;
  return account_from(s);
}

std::vector<staff_account> list_staff(connection& c) {
  statement s(c, std::string(account_columns) + " ORDER BY username");
  std::vector<staff_account> out;
  while (s.step()) out.push_back(account_from(s));
  return out;
}

bool set_staff_disabled(connection& c, const std::string& username, bool disabled,
                        std::int64_t now_us) {
  return update_account(c, username, "disabled", std::int64_t{disabled ? 1 : 0}, now_us, disabled);
}

bool set_staff_password(connection& c, const std::string& username,
                        const std::string& password_hash, std::int64_t now_us) {
  return update_account(c, username, "password_hash", std::string_view(password_hash), now_us,
                        true);
}

std::int64_t insert_session(connection& c, const std::string& token_hash,
                            const std::string& username, std::int64_t created_at_us,
                            std::int64_t expires_at_us) {
  statement s(c,
              "INSERT INTO sessions(token_hash, username, created_at, expires_at) "
              "VALUES(?1, ?2, ?3, ?4) RETURNING id");
  s.bind_blob(1, token_hash);
  s.bind(2, username);
  s.bind(3, created_at_us);
  s.bind(4, expires_at_us);
  if (!s.step()) throw error(0, "session insert returned no id");
  return s.column_int(0);
}

void revoke_session(connection& c, std::int64_t id, std::int64_t now_us) {
  statement s(c, "UPDATE sessions SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL");
  s.bind(1, id);
  s.bind(2, now_us);
  (void)s.step();
}

std::vector<live_session> live_sessions(connection& c, std::int64_t now_us) {
  statement s(c,
              "SELECT s.id, s.token_hash, s.username, a.display_name, a.role, s.expires_at "
              "FROM sessions s JOIN staff a ON a.username = s.username "
              "WHERE s.revoked_at IS NULL AND s.expires_at > ?1 AND a.disabled = 0");
  s.bind(1, now_us);
  std::vector<live_session> out;
  while (s.step()) {
    out.push_back(live_session{.id = s.column_int(0),
                               .token_hash = std::string(s.column_blob(1)),
                               .username = std::string(s.column_text(2)),
                               .display_name = std::string(s.column_text(3)),
                               .role = std::string(s.column_text(4)),
                               .expires_at_us = s.column_int(5)});
  }
  return out;
}

}  // namespace crisisline::store
