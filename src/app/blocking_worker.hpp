#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace crisisline::app {

// One thread for slow, blocking work (password hashing, small SQLite
// reads and writes on its own connection) that must stay off the io thread.
// Jobs run in submission order; a job posts its result back to the io loop
// itself. The queue is bounded so a flood of logins cannot grow memory.
class blocking_worker {
 public:
  explicit blocking_worker(std::size_t max_queued);
  // Runs the jobs already queued, then joins.
  ~blocking_worker();
  blocking_worker(const blocking_worker&) = delete;
  blocking_worker& operator=(const blocking_worker&) = delete;

  // Any thread. False (and `job` dropped) when the queue is full or stopped.
  [[nodiscard]] bool submit(std::function<void()> job);
  // Runs what is queued, then joins. Later submits return false. Idempotent.
  void stop();

 private:
  void run();

  std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace crisisline::app
