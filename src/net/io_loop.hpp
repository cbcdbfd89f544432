#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace crisisline::net {

// The one io thread: owns sockets, timers and (by convention) all domain
// state, so nothing it runs needs a lock. Other threads reach it with post().
class io_loop {
 public:
  io_loop();
  ~io_loop();
  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;

  // Runs handlers on the calling thread until no work is left.
  void run();
  // Any thread: runs `fn` on the io thread, in post order.
  void post(std::function<void()> fn);
  // Calls `fn(signal)` on the io thread for SIGINT and SIGTERM. Once set, the
  // loop keeps running until stop_signals() is called.
  void on_shutdown_signal(std::function<void(int)> fn);
  void stop_signals();

  struct impl;
  [[nodiscard]] impl& internals() { return *impl_; }

 private:
  std::unique_ptr<impl> impl_;
};

// A one-shot timer on the io loop. Re-arming cancels the previous wait.
class timer {
 public:
  explicit timer(io_loop& loop);
  ~timer();
  timer(const timer&) = delete;
  timer& operator=(const timer&) = delete;

  // Calls `fn` on the io thread after `after`, unless cancelled or re-armed.
  void arm(std::chrono::steady_clock::duration after, std::function<void()> fn);
  void cancel();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace crisisline::net
