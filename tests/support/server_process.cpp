#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "temp_dir.hpp"

namespace crisisline::test {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(2);

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// Finds the port in a line like {"msg":"listening",...,"port":41234}.
std::optional<std::uint16_t> listening_port(std::string_view line) {
  if (line.find("\"msg\":\"listening\"") == std::string_view::npos) return std::nullopt;
  constexpr std::string_view key = "\"port\":";
  auto at = line.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view rest = line.substr(at + key.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  unsigned value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

int open_or_throw(const char* path, int flags) {
  int fd = ::open(path, flags, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), std::string("open ") + path);
  return fd;
}

}  // namespace

std::string to_textproto(const server_config& config) {
  std::string out;
  out += "integration_tokens { name: " + quote(config.token_name) +
         " token: " + quote(config.token) + " }\n";
  out += "store { path: " + quote(config.db_path.string()) + " }\n";
  out += config.extra;
  if (!out.empty() && out.back() != '\n') out += '\n';
  return out;
}

void write_config(const std::filesystem::path& file, const server_config& config) {
  write_file(file, to_textproto(config));
}

std::string to_string(const exit_status& status) {
  std::string out;
  if (status.exited) {
    out = "exit code " + std::to_string(status.code);
  } else {
    out = "signal " + std::to_string(status.signal);
    const char* name = ::sigabbrev_np(status.signal);
    if (name != nullptr) out += std::string(" (SIG") + name + ")";
  }
  if (status.timed_out) out += " after SIGTERM timed out";
  return out;
}

server_process server_process::spawn(server_options options) {
  server_process process(std::move(options));
  const std::string binary = process.options_.binary.string();
  const std::string log_path = process.options_.log_file.string();

  // Everything the child needs is prepared before fork: between fork and exec
  // only async-signal-safe calls are allowed (other test threads may hold malloc locks).
  std::vector<std::string> args;
  args.push_back(binary);
  args.insert(args.end(), process.options_.args.begin(), process.options_.args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_entries;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [key, value] : process.options_.env) replaced = replaced || key == name;
    if (!replaced) env_entries.emplace_back(entry);
  }
  for (const auto& [key, value] : process.options_.env) env_entries.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_entries) envp.push_back(e.data());
  envp.push_back(nullptr);

  int log_fd = open_or_throw(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC);
  int null_fd = -1;
  try {
    null_fd = open_or_throw("/dev/null", O_RDONLY | O_CLOEXEC);
  } catch (...) {
    ::close(log_fd);
    throw;
  }
  struct stat st {};
  process.log_offset_ = ::fstat(log_fd, &st) == 0 ? static_cast<std::uintmax_t>(st.st_size) : 0;

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(log_fd);
    ::close(null_fd);
    throw std::system_error(err, std::generic_category(), "fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // Dies with the test even if the test itself is SIGKILLed.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    // Ignored signals survive exec; the server must see the defaults it would in production.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP}) ::sigaction(sig, &dfl, nullptr);
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    // Sockets other test threads opened without O_CLOEXEC must not leak into the server.
    ::close_range(3, ~0U, 0);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  // Also set here so kill(-pid) works even if the child has not run yet.
  ::setpgid(pid, pid);
  ::close(log_fd);
  ::close(null_fd);
  process.pid_ = pid;
  return process;
}

server_process server_process::start(server_options options) {
  server_process process = spawn(std::move(options));
  process.wait_ready();
  return process;
}

server_process::server_process(server_process&& other) noexcept
    : options_(std::move(other.options_)),
      pid_(other.pid_),
      port_(other.port_),
      log_offset_(other.log_offset_),
      status_(other.status_) {
  other.pid_ = -1;
}

server_process& server_process::operator=(server_process&& other) noexcept {
  if (this != &other) {
    kill_hard();
    options_ = std::move(other.options_);
    pid_ = other.pid_;
    port_ = other.port_;
    log_offset_ = other.log_offset_;
    status_ = other.status_;
    other.pid_ = -1;
  }
  return *this;
}

server_process::~server_process() {
  kill_hard();
}

std::uint16_t server_process::wait_ready() {
  if (port_ != 0) return port_;
  const auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  std::uintmax_t scanned = log_offset_;
  std::string pending;
  auto scan_new_output = [&]() -> std::optional<std::uint16_t> {
    std::ifstream in(options_.log_file, std::ios::binary);
    if (!in) return std::nullopt;
    in.seekg(static_cast<std::streamoff>(scanned));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    scanned += chunk.size();
    pending += chunk;
    std::size_t line_start = 0;
    for (auto nl = pending.find('\n'); nl != std::string::npos;
         nl = pending.find('\n', line_start)) {
      auto port = listening_port(std::string_view(pending).substr(line_start, nl - line_start));
      line_start = nl + 1;
      if (port) return port;
    }
    pending.erase(0, line_start);
    return std::nullopt;
  };

  for (;;) {
    if (auto port = scan_new_output()) {
      port_ = *port;
      return port_;
    }
    if (auto status = try_wait()) {
      // The line may have been written just before the exit.
      if (auto port = scan_new_output()) {
        port_ = *port;
        return port_;
      }
      throw std::runtime_error("server exited before listening (" + to_string(*status) +
                               "); log tail:\n" + log_tail());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("server not listening after " +
                               std::to_string(options_.ready_timeout.count()) + " ms; log tail:\n" +
                               log_tail());
    }
    std::this_thread::sleep_for(poll_interval);
  }
}

exit_status server_process::stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return status_.value_or(exit_status{});
  ::kill(pid_, SIGTERM);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + timeout;
  auto resend_at = start + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    if (auto status = try_wait()) return *status;
    // Under ThreadSanitizer a SIGTERM that lands in the server's first second
    // is sometimes never handled (seen about half the time; never in a normal
    // build, 0 of 30). Send it again, but only while the server has not said
    // it is shutting down: a second one during a slow shutdown would kill it.
    if (std::chrono::steady_clock::now() >= resend_at) {
      if (log().find(R"("msg":"shutting down")") == std::string::npos) ::kill(pid_, SIGTERM);
      resend_at += std::chrono::seconds(1);
    }
    std::this_thread::sleep_for(poll_interval);
  }
  exit_status status = kill_hard();
  status.timed_out = true;
  status_ = status;
  return status;
}

exit_status server_process::kill_hard() {
  if (pid_ <= 0) return status_.value_or(exit_status{});
  if (::kill(-pid_, SIGKILL) != 0) ::kill(pid_, SIGKILL);
  int wait_status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &wait_status, 0);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped(wait_status);
  } else {
    // ECHILD: someone else reaped it; nothing left to wait for.
    status_ = exit_status{.exited = false, .code = -1, .signal = SIGKILL};
    pid_ = -1;
  }
  return *status_;
}

std::optional<exit_status> server_process::try_wait() {
  if (pid_ <= 0) return status_;
  int wait_status = 0;
  pid_t r = ::waitpid(pid_, &wait_status, WNOHANG);
  if (r == pid_) {
    reaped(wait_status);
    return status_;
  }
  return std::nullopt;
}

void server_process::reaped(int wait_status) {
  exit_status status;
  if (WIFEXITED(wait_status)) {
    status.exited = true;
    status.code = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    status.signal = WTERMSIG(wait_status);
  }
  status_ = status;
  pid_ = -1;
}

std::string server_process::log() const {
  std::string all = read_file(options_.log_file);
  return log_offset_ < all.size() ? all.substr(log_offset_) : std::string();
}

std::string server_process::log_tail(std::size_t max_bytes) const {
  std::string all = log();
  return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
}

}  // namespace crisisline::test
