#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/histogram.hpp"
#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/projection.hpp"

namespace crisisline::store {

// One row for the events table. payload is a serialized crisisline.v1.Event.
struct event_record {
  std::int64_t recorded_at_us = 0;
  std::string kind;
  std::string source;
  // Empty means no external id: never a duplicate.
  std::string source_event_id;
  std::string actor;
  std::string payload;
};

struct commit_result {
  std::uint64_t seq = 0;
  // (source, source_event_id) was already in the log at `seq`.
  bool duplicate = false;
};

struct writer_options {
  std::size_t max_backlog_events = 50'000;
  std::size_t max_commit_events = 5'000;
  std::uint32_t checkpoint_wal_pages = 4'000;
};

struct writer_metrics {
  std::atomic<std::uint64_t> events_committed{0};
  std::atomic<std::uint64_t> duplicates{0};
  std::atomic<std::uint64_t> commits{0};
  std::atomic<std::uint64_t> checkpoints{0};
  std::atomic<std::uint64_t> checkpoint_failures{0};
  // Failures since the last checkpoint that succeeded.
  std::atomic<std::uint64_t> checkpoint_failure_streak{0};
  // WAL frames at the last checkpoint, and how many of them it copied back.
  std::atomic<std::uint64_t> wal_frames{0};
  std::atomic<std::uint64_t> wal_frames_checkpointed{0};
  std::atomic<std::uint64_t> backlog_events{0};
  std::atomic<std::uint64_t> rejected_backlog_full{0};
  metrics::histogram commit_seconds{
      {0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
  metrics::histogram commit_batch_events{{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}};
};

// The only connection that writes the database. A dedicated thread takes
// everything queued, commits it in one transaction (group commit, WAL,
// synchronous=FULL) and hands each submission's results to `deliver` in commit
// order. WAL checkpoints run on a second connection and thread so they stay off
// the commit path.
//
// A failed commit is fail-stop: `on_fatal` is called on the writer thread with
// the error and no completion for that batch is ever delivered.
class writer {
 public:
  using completion = std::function<void(std::vector<commit_result>)>;
  // Runs a completion where its submitter wants it (the io thread).
  using deliver_fn = std::function<void(std::function<void()>)>;
  using fatal_fn = std::function<void(const std::string& what)>;

  enum class submit_status { accepted, backlog_full, stopped };

  // Opens (creating and migrating) the database and starts the threads.
  // `projection`, if given, must outlive the writer; the writer thread first
  // catches it up with the log (before any commit, while the caller may
  // recover) and then feeds it every new event inside its commit. Read its
  // state only after stop().
  writer(const std::filesystem::path& path, writer_options opts, deliver_fn deliver,
         fatal_fn on_fatal, projection* projection = nullptr);
  ~writer();
  writer(const writer&) = delete;
  writer& operator=(const writer&) = delete;

  // Any thread. Queues records for the next group commit; `done` receives one
  // result per record, in order. A submission is never split across commits.
  [[nodiscard]] submit_status submit(std::vector<event_record> records, completion done);
  // The same, with audit rows appended to the hash chain in the same
  // transaction (after the records). Audit rows count towards the backlog.
  [[nodiscard]] submit_status submit(std::vector<event_record> records,
                                     std::vector<audit_record> audits, completion done);

  // Commits everything already queued, delivers its completions, then stops
  // the threads. Later submits return `stopped`. Idempotent.
  void stop();

  [[nodiscard]] const writer_metrics& metrics() const { return metrics_; }
  [[nodiscard]] bool healthy() const { return healthy_.load(); }
  // Checkpoints keep failing: commits still work (the WAL is fsynced), but
  // the WAL and recovery time grow until the disk is fixed.
  [[nodiscard]] bool checkpoints_failing() const {
    return metrics_.checkpoint_failure_streak.load() >= failing_checkpoint_streak;
  }
  static constexpr std::uint64_t failing_checkpoint_streak = 10;

 private:
  struct submission {
    std::vector<event_record> records;
    std::vector<audit_record> audits;
    completion done;
  };

  void run_with(connection& db);
  void checkpoint_with(connection& db);
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int pages);
  void wal_grew(int pages);

  std::filesystem::path path_;
  writer_options opts_;
  deliver_fn deliver_;
  fatal_fn on_fatal_;
  projection* projection_ = nullptr;
  writer_metrics metrics_;
  std::atomic<bool> healthy_{true};

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<submission> queue_;
  std::size_t queued_events_ = 0;
  bool stopping_ = false;

  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool checkpoint_wanted_ = false;
  bool checkpoint_stopping_ = false;

  std::thread thread_;
  std::thread checkpoint_thread_;
};

}  // namespace crisisline::store
