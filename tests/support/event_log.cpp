#include "event_log.hpp"

#include <sqlite3.h>

#include <memory>
#include <stdexcept>

namespace crisisline::test {
namespace {

struct close_db {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
struct finalize_stmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using db_ptr = std::unique_ptr<sqlite3, close_db>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, finalize_stmt>;

db_ptr open_read_only(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  db_ptr db(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error("cannot open " + path.string() + ": " +
                             (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  }
  // The server may hold the write lock for a moment (a checkpoint, a commit).
  sqlite3_busy_timeout(db.get(), 5'000);
  return db;
}

stmt_ptr prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    throw std::runtime_error(std::string("cannot prepare ") + sql + ": " + sqlite3_errmsg(db));
  }
  return stmt_ptr(raw);
}

}  // namespace

stored_events read_stored_events(const std::filesystem::path& db_path, std::string_view source) {
  auto db = open_read_only(db_path);
  auto stmt = prepare(db.get(), "SELECT seq, source_event_id FROM events WHERE source = ?1");
  sqlite3_bind_text(stmt.get(), 1, source.data(), static_cast<int>(source.size()),
                    SQLITE_TRANSIENT);
  stored_events stored;
  int rc;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(stmt.get(), 0));
    const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 1));
    stored[id != nullptr ? id : ""].push_back(seq);
  }
  if (rc != SQLITE_DONE) {
    throw std::runtime_error("reading events from " + db_path.string() + ": " +
                             sqlite3_errmsg(db.get()));
  }
  return stored;
}

std::string integrity_check(const std::filesystem::path& db_path) {
  try {
    auto db = open_read_only(db_path);
    auto stmt = prepare(db.get(), "PRAGMA integrity_check");
    std::string out;
    int rc;
    while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
      const auto* line = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
      if (!out.empty()) out += '\n';
      out += line != nullptr ? line : "";
    }
    if (rc != SQLITE_DONE)
      return std::string("integrity_check failed: ") + sqlite3_errmsg(db.get());
    return out;
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string ledger_report::summary() const {
  std::string out = "acked " + std::to_string(acked) + ", stored " + std::to_string(stored) +
                    ", lost " + std::to_string(lost) + ", duplicated " +
                    std::to_string(duplicated) + ", wrong seq " + std::to_string(wrong_seq) +
                    ", unknown " + std::to_string(unknown) + ", conflicting acks " +
                    std::to_string(conflicting_acks);
  for (const auto& e : examples) out += "\n  " + e;
  return out;
}

void ack_ledger::sent(const std::vector<std::string>& ids) {
  std::lock_guard lock(mutex_);
  sent_.insert(ids.begin(), ids.end());
}

void ack_ledger::acked(const std::string& id, std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = acked_.emplace(id, seq);
  if (!inserted && it->second != seq) ++conflicting_acks_;
}

std::size_t ack_ledger::acked_count() const {
  std::lock_guard lock(mutex_);
  return acked_.size();
}

std::size_t ack_ledger::sent_count() const {
  std::lock_guard lock(mutex_);
  return sent_.size();
}

ledger_report ack_ledger::check(const stored_events& stored) const {
  std::lock_guard lock(mutex_);
  ledger_report r;
  r.acked = acked_.size();
  r.stored = stored.size();
  r.conflicting_acks = conflicting_acks_;
  auto example = [&r](std::string what) {
    if (r.examples.size() < 10) r.examples.push_back(std::move(what));
  };
  for (const auto& [id, seq] : acked_) {
    const auto it = stored.find(id);
    if (it == stored.end()) {
      ++r.lost;
      example("lost " + id + " acked at seq " + std::to_string(seq));
    } else if (it->second.front() != seq) {
      ++r.wrong_seq;
      example(id + " acked at seq " + std::to_string(seq) + ", stored at " +
              std::to_string(it->second.front()));
    }
  }
  for (const auto& [id, seqs] : stored) {
    if (seqs.size() > 1) {
      ++r.duplicated;
      example("stored " + std::to_string(seqs.size()) + " times: " + id);
    }
    if (!sent_.contains(id)) {
      ++r.unknown;
      example("stored but never sent: " + id);
    }
  }
  return r;
}

}  // namespace crisisline::test
