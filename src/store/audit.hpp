#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.hpp"

// The audit trail: who looked at or changed which record, when, and with what
// outcome. Append-only (triggers refuse UPDATE and DELETE) and hash-chained:
// each row's hash is SHA-256 over the previous row's hash and this row's
// canonical encoding, so altering or removing a row breaks the chain at the
// next one. Rows are written only by the writer thread (store::writer), which
// keeps the chain sequential.
namespace crisisline::store {

struct audit_fields {
  std::int64_t at_us = 0;
  std::string username;
  std::string role;
  std::string organisation;
  std::string session;
  // "contact:42".
  std::string record;
  // "read", "command:accept", ...
  std::string action;
  // "allowed", "denied", "not_found", "submitted", "rejected".
  std::string outcome;
  // A break-glass reason, or why the engine refused a command; "" if none.
  std::string reason;
};

// One row to append, submitted with store::writer::submit.
struct audit_record {
  audit_fields fields;
  // The event (its index in the same submission) this row accompanies, or -1.
  // Its seq is stored in event_seq; a row for a duplicate event is not
  // written again.
  int event_index = -1;
};

struct stored_audit {
  std::int64_t seq = 0;
  audit_fields fields;
  std::optional<std::int64_t> event_seq;
  std::string prev_hash;
  std::string hash;
};

// prev_hash of the first row: 64 zeros.
inline constexpr std::string_view audit_genesis_hash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The bytes a row's hash covers: a version tag, then every column but the
// hashes as "<length>:<bytes>\n", in table order.
[[nodiscard]] std::string audit_canonical(std::int64_t seq, const audit_fields& f,
                                          std::optional<std::int64_t> event_seq);
// Lower-case hex SHA-256 over the 32 bytes of prev_hash (hex) and `canonical`.
[[nodiscard]] std::string audit_hash(std::string_view prev_hash_hex, std::string_view canonical);

// Appends one row after (seq - 1, prev_hash); returns its hash. Writer thread only.
std::string append_audit(connection& c, std::int64_t seq, const audit_fields& f,
                         std::optional<std::int64_t> event_seq, const std::string& prev_hash);

// The chain head: (last seq, its hash), or (0, genesis) for an empty table.
[[nodiscard]] std::pair<std::int64_t, std::string> audit_head(connection& c);

// Every row in seq order, one snapshot. Returns how many.
std::uint64_t for_each_audit(connection& c, const std::function<void(const stored_audit&)>& fn);

// Checks rows one by one, in seq order.
class audit_chain_check {
 public:
  // Why `row` breaks the chain, or nullopt if it continues it.
  [[nodiscard]] std::optional<std::string> next(const stored_audit& row);

 private:
  std::int64_t last_seq_ = 0;
  std::string last_hash_{audit_genesis_hash};
};

}  // namespace crisisline::store
