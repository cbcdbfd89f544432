#include "store/audit.hpp"

#include <openssl/sha.h>

#include <array>

namespace crisisline::store {
namespace {

void put(std::string& out, std::string_view v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
  out += '\n';
}

std::optional<std::array<unsigned char, 32>> from_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::array<unsigned char, 32> out{};
  for (std::size_t i = 0; i < 64; ++i) {
    const char c = hex[i];
    int v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    out[i / 2] = static_cast<unsigned char>(out[i / 2] * 16 + v);
  }
  return out;
}

}  // namespace

std::string audit_canonical(std::int64_t seq, const audit_fields& f,
                            std::optional<std::int64_t> event_seq) {
  std::string out = "crisisline.audit.v1\n";
  put(out, std::to_string(seq));
  put(out, std::to_string(f.at_us));
  put(out, f.username);
  put(out, f.role);
  put(out, f.organisation);
  put(out, f.session);
  put(out, f.record);
  put(out, f.action);
  put(out, f.outcome);
  put(out, f.reason);
  put(out, event_seq ? std::to_string(*event_seq) : std::string());
  return out;
}

std::string audit_hash(std::string_view prev_hash_hex, std::string_view canonical) {
  // A malformed previous hash (only possible in a tampered table) still
  // yields a hash, which then cannot match: the checker reports the row.
  const auto prev = from_hex(prev_hash_hex).value_or(std::array<unsigned char, 32>{});
  std::string input(reinterpret_cast<const char*>(prev.data()), prev.size());
  input += canonical;
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), d);
  static constexpr char digits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(64);
  for (const auto b : d) {
    hex.push_back(digits[b >> 4]);
    hex.push_back(digits[b & 15]);
  }
  return hex;
}

std::string append_audit(connection& c, std::int64_t seq, const audit_fields& f,
                         std::optional<std::int64_t> event_seq, const std::string& prev_hash) {
  auto hash = audit_hash(prev_hash, audit_canonical(seq, f, event_seq));
  statement s(c,
              "INSERT INTO audit(seq, at, username, role, organisation, session, record, action, "
              "outcome, reason, event_seq, prev_hash, hash) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
  s.bind(1, seq);
  s.bind(2, f.at_us);
  s.bind(3, f.username);
  s.bind(4, f.role);
  s.bind(5, f.organisation);
  s.bind(6, f.session);
  s.bind(7, f.record);
  s.bind(8, f.action);
  s.bind(9, f.outcome);
  s.bind(10, f.reason);
  if (event_seq) {
    s.bind(11, *event_seq);
  } else {
    s.bind_null(11);
  }
  s.bind(12, prev_hash);
  s.bind(13, hash);
  (void)s.step();
  return hash;
}

std::pair<std::int64_t, std::string> audit_head(connection& c) {
  statement s(c, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
  if (!s.step()) return {0, std::string(audit_genesis_hash)};
  return {s.column_int(0), std::string(s.column_text(1))};
}

std::uint64_t for_each_audit(connection& c, const std::function<void(const stored_audit&)>& fn) {
  statement s(c,
              "SELECT seq, at, username, role, organisation, session, record, action, outcome, "
              "reason, event_seq, prev_hash, hash FROM audit ORDER BY seq");
  std::uint64_t n = 0;
  stored_audit row;
  while (s.step()) {
    row.seq = s.column_int(0);
    row.fields = audit_fields{.at_us = s.column_int(1),
                              .username = std::string(s.column_text(2)),
                              .role = std::string(s.column_text(3)),
                              .organisation = std::string(s.column_text(4)),
                              .session = std::string(s.column_text(5)),
                              .record = std::string(s.column_text(6)),
                              .action = std::string(s.column_text(7)),
                              .outcome = std::string(s.column_text(8)),
                              .reason = std::string(s.column_text(9))};
    row.event_seq = s.column_is_null(10) ? std::nullopt : std::optional(s.column_int(10));
    row.prev_hash = std::string(s.column_text(11));
    row.hash = std::string(s.column_text(12));
    fn(row);
    ++n;
  }
  return n;
}

std::optional<std::string> audit_chain_check::next(const stored_audit& row) {
  std::optional<std::string> problem;
  if (row.seq != last_seq_ + 1) {
    problem = "row " + std::to_string(row.seq) + " follows row " + std::to_string(last_seq_) +
              ": rows are missing";
  } else if (row.prev_hash != last_hash_) {
    problem = "row " + std::to_string(row.seq) +
              ": prev_hash does not match the previous row's hash (a row before it was altered "
              "or removed)";
  } else if (audit_hash(row.prev_hash, audit_canonical(row.seq, row.fields, row.event_seq)) !=
             row.hash) {
    problem = "row " + std::to_string(row.seq) + ": its contents do not match its hash (altered)";
  }
  last_seq_ = row.seq;
  last_hash_ = row.hash;
  return problem;
}

}  // namespace crisisline::store
