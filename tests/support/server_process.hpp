#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crisisline::test {

// The few settings integration tests need, rendered as a crisisline.v1.Config
// in protobuf text format.
struct server_config {
  std::filesystem::path db_path;
  std::string token_name = "test";
  std::string token = "test-token";
  // Appended verbatim, e.g. "server { max_body_bytes: 1024 }".
  std::string extra;
};

std::string to_textproto(const server_config& config);

// Writes to_textproto(config) to `file`. Throws std::system_error on failure.
void write_config(const std::filesystem::path& file, const server_config& config);

// How a server process ended.
struct exit_status {
  // True for a normal exit (then `code` is valid), false if a signal ended it.
  bool exited = false;
  int code = -1;
  int signal = 0;
  // stop() gave up waiting after SIGTERM and fell back to SIGKILL.
  bool timed_out = false;

  bool clean() const { return exited && code == 0 && !timed_out; }
};

std::string to_string(const exit_status& status);

struct server_options {
  std::filesystem::path binary;
  // Arguments after argv[0], e.g. {"serve", "--config", cfg, "--listen", "127.0.0.1:0"}.
  std::vector<std::string> args;
  // The child's stdout and stderr are appended here; each start remembers where
  // its own output begins, so one file can hold the logs of many restarts.
  std::filesystem::path log_file;
  std::chrono::milliseconds ready_timeout{20'000};
  // Variables set in the child on top of this process's environment (an entry
  // replaces an inherited one of the same name), e.g. {"LD_PRELOAD", shim}.
  std::vector<std::pair<std::string, std::string>> env;
};

// One run of the real server binary: fork/exec in its own process group with
// stdin from /dev/null and stdout/stderr appended to options.log_file.
//
// The destructor always SIGKILLs the process group and reaps the child, so a
// failing test leaves no orphan. The child also gets PR_SET_PDEATHSIG=SIGKILL,
// which Linux ties to the *thread* that forked: spawn from a thread that
// outlives the server (normally the test's main thread).
//
// Not thread-safe: one thread owns each server_process.
class server_process {
 public:
  // Forks and execs without waiting for readiness. Throws std::system_error if
  // the log file cannot be opened or fork fails; an exec failure shows up as
  // exit code 127 in wait_ready().
  static server_process spawn(server_options options);

  // spawn() then wait_ready().
  static server_process start(server_options options);

  server_process(server_process&& other) noexcept;
  server_process& operator=(server_process&& other) noexcept;
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process();

  // Waits up to options.ready_timeout for this run's log line containing
  // "msg":"listening" and returns its "port". Throws std::runtime_error, with
  // the tail of the log, if the process exits first or the time runs out.
  std::uint16_t wait_ready();

  // SIGTERM, then wait up to `timeout` for the exit; after that SIGKILL (and
  // timed_out is set). Returns the earlier status if the process already ended.
  exit_status stop(std::chrono::milliseconds timeout = std::chrono::seconds(15));

  // SIGKILL to the whole process group, then reap. Idempotent.
  exit_status kill_hard();

  // Reaps the child if it has exited on its own; nullopt while it runs.
  std::optional<exit_status> try_wait();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // 0 until wait_ready() succeeded.
  std::uint16_t port() const { return port_; }

  // This run's output (from its start offset in the log file).
  std::string log() const;
  std::string log_tail(std::size_t max_bytes = 4096) const;
  const std::filesystem::path& log_file() const { return options_.log_file; }

 private:
  explicit server_process(server_options options) : options_(std::move(options)) {}
  void reaped(int wait_status);

  server_options options_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uintmax_t log_offset_ = 0;
  std::optional<exit_status> status_;
};

}  // namespace crisisline::test
