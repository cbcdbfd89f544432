#include <termios.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>

#include "app/access.hpp"
#include "app/commands.hpp"
#include "app/credentials.hpp"
#include "codec/config_loader.hpp"
#include "log/log.hpp"
#include "store/schema.hpp"
#include "store/staff.hpp"

namespace crisisline::app {
namespace {

constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr std::size_t max_password_bytes = 1024;

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One line from stdin without its line ending, echo off when it is a terminal.
std::optional<std::string> read_line(std::string_view prompt) {
  const bool tty = isatty(STDIN_FILENO) != 0;
  termios saved{};
  if (tty) {
    std::cerr << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  const bool got = static_cast<bool>(std::getline(std::cin, line));
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!got) return std::nullopt;
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

// The new password from stdin (--password-stdin) or a terminal prompt (asked
// twice), checked against the length rules.
std::optional<std::string> new_password(const staff_options& o) {
  if (!o.password_stdin && isatty(STDIN_FILENO) == 0) {
    std::cerr << "crisisline staff: give the password on stdin with --password-stdin, or run "
                 "from a terminal to be prompted (it is never taken from the command line)\n";
    return std::nullopt;
  }
  auto first = read_line("New password: ");
  if (!first) {
    std::cerr << "crisisline staff: no password on stdin\n";
    return std::nullopt;
  }
  if (!o.password_stdin) {
    auto again = read_line("Repeat the password: ");
    if (!again || *again != *first) {
      std::cerr << "crisisline staff: the passwords differ\n";
      return std::nullopt;
    }
    wipe_secret(*again);
  }
  if (first->size() < o.min_password_length || first->size() > max_password_bytes) {
    std::cerr << "crisisline staff: a password must have " << o.min_password_length << " to "
              << max_password_bytes << " characters\n";
    wipe_secret(*first);
    return std::nullopt;
  }
  return first;
}

std::string iso(std::int64_t us) {
  std::string out;
  log::append_utc(out,
                  std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(us)));
  return out;
}

}  // namespace

int staff(const staff_options& o) {
  const auto user = normalize_username(o.username);
  if (o.action != "list" && !user) {
    std::cerr << "crisisline staff: user names have 1 to 64 characters from a-z, 0-9, '.', '_' "
                 "and '-'\n";
    return exit_usage;
  }
  if (o.action != "add" && !std::filesystem::exists(o.db_path)) {
    std::cerr << "crisisline staff: no database at " << o.db_path << "\n";
    return exit_failed;
  }
  store::connection db(o.db_path);
  store::configure_connection(db);
  store::migrate(db);

  if (o.action == "add") {
    if (!parse_role(o.role)) {
      std::cerr << "crisisline staff: --role must be nurse, supervisor, crew, admin or "
                   "integration\n";
      return exit_usage;
    }
    if (o.display_name.empty() || o.display_name.size() > 200) {
      std::cerr << "crisisline staff: --display-name must have 1 to 200 characters\n";
      return exit_usage;
    }
    if (store::find_staff(db, *user)) {
      std::cerr << "crisisline staff: " << *user << " already exists\n";
      return exit_failed;
    }
    auto password = new_password(o);
    if (!password) return exit_usage;
    const auto hash = hash_password(*password);
    wipe_secret(*password);
    const auto t = now_us();
    if (!store::add_staff(db, store::staff_account{.username = *user,
                                                   .display_name = o.display_name,
                                                   .role = o.role,
                                                   .password_hash = hash,
                                                   .disabled = false,
                                                   .created_at_us = t,
                                                   .changed_at_us = t})) {
      std::cerr << "crisisline staff: " << *user << " already exists\n";
      return exit_failed;
    }
    std::cout << "added " << *user << " (" << o.role << ")\n";
    return 0;
  }
  if (o.action == "disable" || o.action == "enable") {
    const bool disable = o.action == "disable";
    if (!store::set_staff_disabled(db, *user, disable, now_us())) {
      std::cerr << "crisisline staff: no user " << *user << "\n";
      return exit_failed;
    }
    std::cout << (disable ? "disabled " : "enabled ") << *user
              << (disable ? "; its sessions are revoked\n" : "\n");
    return 0;
  }
  if (o.action == "reset-password") {
    if (!store::find_staff(db, *user)) {
      std::cerr << "crisisline staff: no user " << *user << "\n";
      return exit_failed;
    }
    auto password = new_password(o);
    if (!password) return exit_usage;
    const auto hash = hash_password(*password);
    wipe_secret(*password);
    if (!store::set_staff_password(db, *user, hash, now_us())) {
      std::cerr << "crisisline staff: no user " << *user << "\n";
      return exit_failed;
    }
    std::cout << "password reset for " << *user << "; its sessions are revoked\n";
    return 0;
  }
  if (o.action == "list") {
    for (const auto& a : store::list_staff(db)) {
      std::cout << boost::json::serialize(boost::json::object{{"username", a.username},
                                                              {"display_name", a.display_name},
                                                              {"role", a.role},
                                                              {"disabled", a.disabled},
                                                              {"created", iso(a.created_at_us)},
                                                              {"changed", iso(a.changed_at_us)}})
                << "\n";
    }
    return 0;
  }
  std::cerr << "crisisline staff: unknown action " << o.action << "\n";
  return exit_usage;
}

}  // namespace crisisline::app
