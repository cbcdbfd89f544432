#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

// The crisisline subcommands. Each returns the process exit code.
namespace crisisline::app {

struct serve_options {
  std::optional<std::string> config_path;
  std::optional<std::string> listen;
  std::optional<std::string> db_path;
};

// Runs the server until SIGINT/SIGTERM. 0 on a clean stop, 2 for bad
// configuration, 70 if the event log could not be committed (fail-stop).
int serve(const serve_options& opts);

// Prints the log as JSON lines ({"seq":N,"event":{...}}) with seq > since.
int export_events(const std::string& db_path, std::uint64_t since);

// Prints the audit table (jsonl or csv) and verifies its hash chain. 0 when
// the chain is intact, 3 when a row was altered or removed (stderr names the
// first bad row), 1 if the database cannot be read, 2 for a bad format.
int export_audit(const std::string& db_path, const std::string& format);

struct report_options {
  std::string db_path;
  // Clinical settings for the replay; the embedded default when unset.
  std::optional<std::string> config_path;
  // A shift id: the KPIs of its window, [started, ended or now), and its
  // nurse's own answered count; an unknown shift exits 2.
  std::optional<std::string> shift;
  // ISO 8601 UTC, [from, to).
  std::optional<std::string> from;
  std::optional<std::string> to;
  // YYYY-MM: the whole calendar month (UTC).
  std::optional<std::string> monthly;
  // text, csv or json.
  std::string format = "text";
};

// Replays the log read-only and prints the NHS KPIs for the window. 0 on
// success, 2 for bad arguments or configuration, 1 if the log cannot be read.
int report(const report_options& opts);

struct explain_options {
  std::string db_path;
  std::optional<std::string> config_path;
  std::uint64_t contact = 0;
  // text or json.
  std::string format = "text";
};

// Replays the log read-only and prints one contact's timeline. 0 on success,
// 2 for bad arguments or configuration, 1 if the log cannot be read or has no
// such contact.
int explain_contact(const explain_options& opts);

struct purge_options {
  std::string db_path;
  // Needs sender_key_secret (or its environment variable); the embedded
  // default configuration has none.
  std::optional<std::string> config_path;
  std::uint32_t older_than_days = 0;
};

// Retention run by hand on a stopped server's database: purges the message
// bodies and numbers of contacts closed more than `older_than_days` ago (one
// RetentionPurge event, tombstones in the same commit) and prints what it
// did. 0 on success (also when nothing was old enough), 2 for bad arguments or
// configuration, 1 if the log cannot be read or written.
int purge(const purge_options& opts);

struct staff_options {
  // add, disable, enable, reset-password or list.
  std::string action;
  std::string db_path;
  std::string username;
  std::string role;
  std::string display_name;
  // Read the password from stdin (one line) instead of prompting.
  bool password_stdin = false;
  std::size_t min_password_length = 12;
};

// Manages staff accounts in the database, also while the server runs. 0 on
// success, 1 if the user exists (add) or does not (others), 2 for bad
// arguments or a password that breaks the rules.
int staff(const staff_options& opts);

}  // namespace crisisline::app
