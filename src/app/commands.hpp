#pragma once

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

}  // namespace crisisline::app
