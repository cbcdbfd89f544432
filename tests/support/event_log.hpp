#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crisisline::test {

// source_event_id -> every seq it is stored at (more than one is a bug).
using stored_events = std::map<std::string, std::vector<std::uint64_t>>;

// Reads the events of one `source` from the server's SQLite file, opened
// read-only (safe while the server runs: WAL). Throws std::runtime_error.
stored_events read_stored_events(const std::filesystem::path& db, std::string_view source);

// The result of PRAGMA integrity_check on `db` opened read-only: "ok" when
// healthy, otherwise SQLite's list of problems or the open error.
std::string integrity_check(const std::filesystem::path& db);

// The outcome of comparing what clients were told with what the log holds.
struct ledger_report {
  std::uint64_t acked = 0;
  std::uint64_t stored = 0;
  // Acknowledged but not in the log.
  std::uint64_t lost = 0;
  // Stored at more than one seq.
  std::uint64_t duplicated = 0;
  // Stored at another seq than the acknowledgement said.
  std::uint64_t wrong_seq = 0;
  // In the log but never sent by this client.
  std::uint64_t unknown = 0;
  // Acknowledged twice (a retry after no response) with different seqs.
  std::uint64_t conflicting_acks = 0;
  // Up to ten concrete cases, for the failure message.
  std::vector<std::string> examples;

  bool ok() const {
    return lost == 0 && duplicated == 0 && wrong_seq == 0 && unknown == 0 && conflicting_acks == 0;
  }
  std::string summary() const;
};

// What the server acknowledged to one or more client threads, to check against
// the log afterwards: every acknowledged event must be stored exactly once at
// the acknowledged seq, and nothing this client never sent may appear.
// Thread-safe.
class ack_ledger {
 public:
  // Before a request is sent (a retry too): the source_event_ids it carries.
  void sent(const std::vector<std::string>& ids);
  // A 2xx said `id` is stored at `seq` (COMMITTED, or DUPLICATE after a retry).
  void acked(const std::string& id, std::uint64_t seq);

  std::size_t acked_count() const;
  std::size_t sent_count() const;
  ledger_report check(const stored_events& stored) const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::uint64_t> acked_;
  std::set<std::string> sent_;
  std::uint64_t conflicting_acks_ = 0;
};

}  // namespace crisisline::test
