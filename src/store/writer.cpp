#include "store/writer.hpp"

#include <sqlite3.h>

#include <chrono>
#include <memory>

#include "log/log.hpp"
#include "store/database.hpp"
#include "store/schema.hpp"

namespace crisisline::store {
writer::writer(const std::filesystem::path& path, writer_options opts, deliver_fn deliver,
               fatal_fn on_fatal, projection* projection)
    : path_(path),
      opts_(opts),
      deliver_(std::move(deliver)),
      on_fatal_(std::move(on_fatal)),
      projection_(projection) {
  // Open and migrate on the caller's thread so a bad path or a newer schema
  // fails start-up with a clear error instead of killing a thread.
  auto db = std::make_shared<connection>(path);
  configure_connection(*db);
  migrate(*db);
  // Checkpoints are ours to schedule, on the second connection.
  db->exec("PRAGMA wal_autocheckpoint=0");
  db->exec("PRAGMA journal_size_limit=67108864");
  auto checkpoint_db = std::make_shared<connection>(path);
  checkpoint_db->exec("PRAGMA synchronous=FULL");
  sqlite3_wal_hook(db->handle(), &on_wal_commit, this);

  // Each connection is used by exactly one thread from here on.
  thread_ = std::thread([this, db] { run_with(*db); });
  checkpoint_thread_ = std::thread([this, checkpoint_db] { checkpoint_with(*checkpoint_db); });
}

writer::~writer() {
  stop();
}

int writer::on_wal_commit(void* self, sqlite3*, const char*, int pages) {
  static_cast<writer*>(self)->wal_grew(pages);
  return SQLITE_OK;
}

void writer::wal_grew(int pages) {
  if (pages < static_cast<int>(opts_.checkpoint_wal_pages)) return;
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_wanted_ = true;
  }
  checkpoint_wake_.notify_one();
}

writer::submit_status writer::submit(std::vector<event_record> records, completion done) {
  return submit(std::move(records), {}, std::move(done));
}

writer::submit_status writer::submit(std::vector<event_record> records,
                                     std::vector<audit_record> audits, completion done) {
  const std::size_t n = records.size() + audits.size();
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !healthy_.load()) return submit_status::stopped;
    if (queued_events_ > 0 && queued_events_ + n > opts_.max_backlog_events) {
      metrics_.rejected_backlog_full.fetch_add(1, std::memory_order_relaxed);
      return submit_status::backlog_full;
    }
    queued_events_ += n;
    metrics_.backlog_events.store(queued_events_, std::memory_order_relaxed);
    queue_.push_back(submission{std::move(records), std::move(audits), std::move(done)});
  }
  wake_.notify_one();
  return submit_status::accepted;
}

void writer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  {
    std::lock_guard lock(checkpoint_mutex_);
    checkpoint_stopping_ = true;
  }
  checkpoint_wake_.notify_one();
  if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
}

void writer::run_with(connection& db) {
  try {
    statement insert(
        db,
        "INSERT INTO events(recorded_at, kind, source, source_event_id, actor, payload) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(source, source_event_id) DO NOTHING RETURNING seq");
    statement find(db, "SELECT seq FROM events WHERE source = ?1 AND source_event_id = ?2");
    // On this thread, so the server's own recovery (on the caller's thread)
    // runs at the same time; commits queue behind it. A failure here is
    // fail-stop like a failed commit.
    if (projection_ != nullptr) {
      transaction tx(db);
      projection_->catch_up(db);
      tx.commit();
    }
    // The audit chain's head; this thread is its only writer.
    auto [chain_seq, chain_hash] = audit_head(db);
    std::vector<submission> batch;
    std::vector<std::vector<commit_result>> results;
    for (;;) {
      std::size_t batch_events = 0;
      std::size_t batch_audits = 0;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;
        while (!queue_.empty() && (batch.empty() || batch_events + queue_.front().records.size() +
                                                            queue_.front().audits.size() <=
                                                        opts_.max_commit_events)) {
          batch_events += queue_.front().records.size();
          batch_audits += queue_.front().audits.size();
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }

      const auto started = std::chrono::steady_clock::now();
      results.assign(batch.size(), {});
      std::uint64_t duplicates = 0;
      auto next_audit_seq = chain_seq;
      auto next_audit_hash = chain_hash;
      {
        transaction tx(db);
        for (std::size_t i = 0; i < batch.size(); ++i) {
          auto& out = results[i];
          out.reserve(batch[i].records.size());
          for (const auto& r : batch[i].records) {
            insert.bind(1, r.recorded_at_us);
            insert.bind(2, r.kind);
            insert.bind(3, r.source);
            if (r.source_event_id.empty()) {
              insert.bind_null(4);
            } else {
              insert.bind(4, r.source_event_id);
            }
            insert.bind(5, r.actor);
            insert.bind_blob(6, r.payload);
            if (insert.step()) {
              const auto seq = static_cast<std::uint64_t>(insert.column_int(0));
              out.push_back({seq, false});
              insert.reset();
              if (projection_ != nullptr) projection_->apply(db, seq, r);
              continue;
            }
            insert.reset();
            // ON CONFLICT swallowed it: an earlier delivery, possibly earlier
            // in this same transaction.
            find.bind(1, r.source);
            find.bind(2, r.source_event_id);
            if (!find.step()) throw error(0, "duplicate event vanished: " + r.source);
            out.push_back({static_cast<std::uint64_t>(find.column_int(0)), true});
            find.reset();
            ++duplicates;
          }
          for (const auto& a : batch[i].audits) {
            std::optional<std::int64_t> event_seq;
            if (a.event_index >= 0) {
              const auto& r = out.at(static_cast<std::size_t>(a.event_index));
              // The row went in with the first delivery.
              if (r.duplicate) continue;
              event_seq = static_cast<std::int64_t>(r.seq);
            }
            next_audit_hash =
                append_audit(db, ++next_audit_seq, a.fields, event_seq, next_audit_hash);
          }
        }
        tx.commit();
      }
      chain_seq = next_audit_seq;
      chain_hash = std::move(next_audit_hash);
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics_.commit_seconds.observe(elapsed);
      metrics_.commit_batch_events.observe(static_cast<double>(batch_events));
      metrics_.commits.fetch_add(1, std::memory_order_relaxed);
      metrics_.events_committed.fetch_add(batch_events - duplicates, std::memory_order_relaxed);
      metrics_.duplicates.fetch_add(duplicates, std::memory_order_relaxed);
      {
        std::lock_guard lock(mutex_);
        queued_events_ -= batch_events + batch_audits;
        metrics_.backlog_events.store(queued_events_, std::memory_order_relaxed);
      }
      for (std::size_t i = 0; i < batch.size(); ++i) {
        deliver_([done = std::move(batch[i].done), r = std::move(results[i])]() mutable {
          done(std::move(r));
        });
      }
      batch.clear();
    }
  } catch (const std::exception& e) {
    // Fail-stop: nothing in the failed batch was acknowledged, and nothing
    // after it will be.
    healthy_.store(false);
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    log::error("commit failed; stopping", {{"error", std::string_view(e.what())}});
    on_fatal_(e.what());
  }
}

void writer::checkpoint_with(connection& db) {
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mutex_);
      checkpoint_wake_.wait(lock, [this] { return checkpoint_stopping_ || checkpoint_wanted_; });
      if (checkpoint_stopping_) break;
      checkpoint_wanted_ = false;
    }
    int wal_pages = 0;
    int done_pages = 0;
    const int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                             &wal_pages, &done_pages);
    if (rc == SQLITE_OK) {
      metrics_.checkpoints.fetch_add(1, std::memory_order_relaxed);
      metrics_.wal_frames.store(static_cast<std::uint64_t>(std::max(wal_pages, 0)));
      metrics_.wal_frames_checkpointed.store(static_cast<std::uint64_t>(std::max(done_pages, 0)));
      if (const auto streak = metrics_.checkpoint_failure_streak.exchange(0); streak > 0) {
        log::info(
            "checkpoints work again",
            {{"failed_before", streak}, {"wal_frames", wal_pages}, {"checkpointed", done_pages}});
      }
    } else if (rc != SQLITE_BUSY) {
      metrics_.checkpoint_failures.fetch_add(1, std::memory_order_relaxed);
      const auto streak = metrics_.checkpoint_failure_streak.fetch_add(1) + 1;
      // One line per streak, then one per hundred: a failing disk must not
      // also flood the log.
      if (streak == 1 || streak % 100 == 0) {
        log::warn("checkpoint failed",
                  {{"code", rc}, {"error", sqlite3_errstr(rc)}, {"consecutive_failures", streak}});
      }
    }
  }
  // The writer has stopped: leave a short WAL behind for the next start.
  const int rc =
      sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  if (rc != SQLITE_OK) log::warn("final checkpoint failed", {{"error", sqlite3_errstr(rc)}});
}

}  // namespace crisisline::store
