// An LD_PRELOAD library that injects storage faults into the real server
// without touching production code. It wraps write, pwrite, pwrite64, fsync
// and fdatasync (what SQLite's unix VFS calls on Linux: pwrite64 for WAL
// frames and fdatasync for syncs, as `strace -f` shows) and acts only on files
// whose path, resolved through /proc/self/fd, ends with a configured suffix.
//
// Environment:
//   CRISISLINE_FAULT_SUFFIX  path suffix of the files to fault; default "-wal".
//   CRISISLINE_FAULT         comma-separated faults, each "name:N":
//     enospc_after_bytes:N          the first N bytes written succeed (the write
//                                   that crosses N is short), then ENOSPC.
//     eio_on_fsync_after:N          the first N syncs succeed, then EIO.
//     slow_fsync_ms:M               every sync sleeps M ms first.
//     torn_write_then_exit_after:N  the N-th write (1-based) writes only its
//                                   first half, then the process _exit(137)s:
//                                   power lost in the middle of a WAL frame.
// The first time a fault fires, one JSON line goes to stderr
// ({"level":"warn","msg":"fault injected",...}) so tests can see it happened.
// An unknown fault name is refused loudly (exit 3), never ignored.
//
// Only async-signal-safe libc calls are made on the faulting path: no
// allocation, no stdio, no locks (counters are atomics).

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

using write_fn = ssize_t (*)(int, const void*, size_t);
using pwrite_fn = ssize_t (*)(int, const void*, size_t, off_t);
using pwrite64_fn = ssize_t (*)(int, const void*, size_t, off64_t);
using sync_fn = int (*)(int);

constexpr std::uint64_t unset = UINT64_MAX;
constexpr int torn_exit_status = 137;
constexpr std::size_t max_suffix = 256;

struct settings {
  char suffix[max_suffix] = "-wal";
  std::size_t suffix_len = 4;
  std::uint64_t enospc_after_bytes = unset;
  std::uint64_t eio_on_fsync_after = unset;
  std::uint64_t slow_fsync_ms = 0;
  std::uint64_t torn_write_after = unset;
  bool active = false;
};

settings config;
std::atomic<bool> configured{false};
std::atomic<std::uint64_t> bytes_written{0};
std::atomic<std::uint64_t> syncs{0};
std::atomic<std::uint64_t> writes{0};
std::atomic<bool> reported_enospc{false};
std::atomic<bool> reported_eio{false};
std::atomic<bool> reported_slow{false};

template <typename Fn>
Fn next(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_NEXT, name));
}

write_fn real_write() {
  static const write_fn fn = next<write_fn>("write");
  return fn;
}

void say(const char* text) {
  const std::size_t len = std::strlen(text);
  if (auto fn = real_write()) (void)fn(STDERR_FILENO, text, len);
}

// Appends `s` to buf (of size cap) at *at; truncates silently.
void append(char* buf, std::size_t cap, std::size_t* at, const char* s) {
  while (*s != '\0' && *at + 1 < cap) buf[(*at)++] = *s++;
  buf[*at] = '\0';
}

void append_number(char* buf, std::size_t cap, std::size_t* at, std::uint64_t n) {
  char digits[24];
  int i = 0;
  do {
    digits[i++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  char out[24];
  int j = 0;
  while (i > 0) out[j++] = digits[--i];
  out[j] = '\0';
  append(buf, cap, at, out);
}

// One JSON line on stderr, written with a single write(2) so it is not
// interleaved with the server's own log lines.
void report(const char* fault, const char* path, std::uint64_t count, std::uint64_t bytes) {
  char line[768];
  std::size_t at = 0;
  append(line, sizeof line, &at, "{\"level\":\"warn\",\"msg\":\"fault injected\",\"fault\":\"");
  append(line, sizeof line, &at, fault);
  append(line, sizeof line, &at, "\",\"path\":\"");
  append(line, sizeof line, &at, path);
  append(line, sizeof line, &at, "\",\"count\":");
  append_number(line, sizeof line, &at, count);
  append(line, sizeof line, &at, ",\"bytes\":");
  append_number(line, sizeof line, &at, bytes);
  append(line, sizeof line, &at, "}\n");
  say(line);
}

bool parse_number(const char* s, std::uint64_t* out) {
  if (*s < '0' || *s > '9') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || (*end != '\0' && *end != ',')) return false;
  *out = v;
  return true;
}

[[noreturn]] void refuse(const char* what) {
  say("{\"level\":\"error\",\"msg\":\"fault shim: bad CRISISLINE_FAULT\",\"detail\":\"");
  say(what);
  say("\"}\n");
  ::_exit(3);
}

void configure() {
  if (configured.load(std::memory_order_acquire)) return;
  if (const char* suffix = std::getenv("CRISISLINE_FAULT_SUFFIX")) {
    const std::size_t len = std::strlen(suffix);
    if (len == 0 || len >= max_suffix) refuse("CRISISLINE_FAULT_SUFFIX is empty or too long");
    std::memcpy(config.suffix, suffix, len + 1);
    config.suffix_len = len;
  }
  if (const char* faults = std::getenv("CRISISLINE_FAULT")) {
    for (const char* item = faults; *item != '\0';) {
      const char* colon = std::strchr(item, ':');
      if (colon == nullptr) refuse(item);
      const auto name_len = static_cast<std::size_t>(colon - item);
      auto is = [&](const char* name) {
        return std::strlen(name) == name_len && std::strncmp(item, name, name_len) == 0;
      };
      std::uint64_t value = 0;
      if (!parse_number(colon + 1, &value)) refuse(item);
      if (is("enospc_after_bytes")) {
        config.enospc_after_bytes = value;
      } else if (is("eio_on_fsync_after")) {
        config.eio_on_fsync_after = value;
      } else if (is("slow_fsync_ms")) {
        config.slow_fsync_ms = value;
      } else if (is("torn_write_then_exit_after")) {
        if (value == 0) refuse(item);
        config.torn_write_after = value;
      } else {
        refuse(item);
      }
      config.active = true;
      const char* comma = std::strchr(colon, ',');
      item = comma == nullptr ? colon + std::strlen(colon) : comma + 1;
    }
  }
  configured.store(true, std::memory_order_release);
}

// Runs before main, while the process is still single-threaded.
__attribute__((constructor)) void init_shim() {
  configure();
}

// Fills `path` with the file behind `fd` and says whether faults apply to it.
bool targeted(int fd, char* path, std::size_t cap) {
  configure();
  path[0] = '\0';
  if (!config.active || fd < 0) return false;
  char link[64] = "/proc/self/fd/";
  std::size_t at = std::strlen(link);
  append_number(link, sizeof link, &at, static_cast<std::uint64_t>(fd));
  const ssize_t n = ::readlink(link, path, cap - 1);
  if (n <= 0) {
    path[0] = '\0';
    return false;
  }
  const auto len = static_cast<std::size_t>(n);
  path[len] = '\0';
  return len >= config.suffix_len &&
         std::memcmp(path + len - config.suffix_len, config.suffix, config.suffix_len) == 0;
}

void sleep_ms(std::uint64_t ms) {
  timespec t{static_cast<time_t>(ms / 1000), static_cast<long>((ms % 1000) * 1'000'000)};
  while (::nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
}

// Decides what happens to a write of `count` bytes to a targeted file.
// Returns how many bytes may really be written; 0 with *fail set means fail
// with ENOSPC. A torn write writes its allowed half and never returns.
template <typename Write>
ssize_t faulted_write(const char* path, size_t count, Write&& do_write) {
  const std::uint64_t nth = writes.fetch_add(1) + 1;
  if (nth == config.torn_write_after) {
    const size_t half = count / 2;
    report("torn_write", path, nth, half);
    if (half > 0) (void)do_write(half);
    ::_exit(torn_exit_status);
  }
  if (config.enospc_after_bytes != unset) {
    const std::uint64_t before = bytes_written.fetch_add(count);
    if (before >= config.enospc_after_bytes || before + count > config.enospc_after_bytes) {
      const std::uint64_t allowed =
          before >= config.enospc_after_bytes ? 0 : config.enospc_after_bytes - before;
      if (!reported_enospc.exchange(true)) report("enospc", path, nth, allowed);
      if (allowed == 0) {
        errno = ENOSPC;
        return -1;
      }
      return do_write(static_cast<size_t>(allowed));
    }
  }
  return do_write(count);
}

int faulted_sync(int fd, sync_fn real) {
  char path[512];
  if (!targeted(fd, path, sizeof path)) return real(fd);
  const std::uint64_t nth = syncs.fetch_add(1) + 1;
  if (config.slow_fsync_ms > 0) {
    if (!reported_slow.exchange(true)) report("slow_fsync", path, nth, 0);
    sleep_ms(config.slow_fsync_ms);
  }
  if (config.eio_on_fsync_after != unset && nth > config.eio_on_fsync_after) {
    if (!reported_eio.exchange(true)) report("eio_on_fsync", path, nth, 0);
    errno = EIO;
    return -1;
  }
  return real(fd);
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t count) {
  const write_fn real = real_write();
  char path[512];
  if (!targeted(fd, path, sizeof path)) return real(fd, buf, count);
  return faulted_write(path, count, [&](size_t n) { return real(fd, buf, n); });
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static const pwrite_fn real = next<pwrite_fn>("pwrite");
  char path[512];
  if (!targeted(fd, path, sizeof path)) return real(fd, buf, count, offset);
  return faulted_write(path, count, [&](size_t n) { return real(fd, buf, n, offset); });
}

ssize_t pwrite64(int fd, const void* buf, size_t count, off64_t offset) {
  static const pwrite64_fn real = next<pwrite64_fn>("pwrite64");
  char path[512];
  if (!targeted(fd, path, sizeof path)) return real(fd, buf, count, offset);
  return faulted_write(path, count, [&](size_t n) { return real(fd, buf, n, offset); });
}

int fsync(int fd) {
  static const sync_fn real = next<sync_fn>("fsync");
  return faulted_sync(fd, real);
}

int fdatasync(int fd) {
  static const sync_fn real = next<sync_fn>("fdatasync");
  return faulted_sync(fd, real);
}

}  // extern "C"
