#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "app/commands.hpp"
#include "log/log.hpp"
#include "store/audit.hpp"

namespace crisisline::app {
namespace {

constexpr int exit_chain_broken = 3;

std::string iso(std::int64_t us) {
  std::string out;
  log::append_utc(out,
                  std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(us)));
  return out;
}

std::string csv_field(std::string_view v) {
  if (v.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(v);
  std::string out = "\"";
  for (const char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string line_of(const store::stored_audit& r, bool csv) {
  const auto& f = r.fields;
  const auto event_seq = r.event_seq ? std::to_string(*r.event_seq) : std::string();
  if (csv) {
    std::string out;
    for (const auto& v :
         {std::to_string(r.seq), iso(f.at_us), f.username, f.role, f.organisation, f.session,
          f.record, f.action, f.outcome, f.reason, event_seq, r.prev_hash, r.hash}) {
      if (!out.empty()) out += ',';
      out += csv_field(v);
    }
    return out + "\n";
  }
  return boost::json::serialize(boost::json::object{
             {"seq", r.seq},
             {"at", iso(f.at_us)},
             {"user", f.username},
             {"role", f.role},
             {"organisation", f.organisation},
             {"session", f.session},
             {"record", f.record},
             {"action", f.action},
             {"outcome", f.outcome},
             {"reason", f.reason},
             {"event_seq", r.event_seq ? boost::json::value(*r.event_seq) : nullptr},
             {"prev_hash", r.prev_hash},
             {"hash", r.hash}}) +
         "\n";
}

}  // namespace

int export_audit(const std::string& db_path, const std::string& format) {
  if (format != "jsonl" && format != "csv") {
    std::cerr << "crisisline export audit: --format must be jsonl or csv\n";
    return 2;
  }
  if (!std::filesystem::exists(db_path)) {
    std::cerr << "crisisline export audit: no database at " << db_path << "\n";
    return 1;
  }
  const bool csv = format == "csv";
  std::optional<std::string> first_problem;
  std::uint64_t rows = 0;
  std::string head(store::audit_genesis_hash);
  try {
    store::connection db(db_path, store::connection::mode::read_only);
    if (csv) {
      std::fputs(
          "seq,at,user,role,organisation,session,record,action,outcome,reason,event_seq,"
          "prev_hash,hash\n",
          stdout);
    }
    store::audit_chain_check check;
    // One read transaction: the rows and the chain are checked as of one moment.
    db.exec("BEGIN");
    rows = store::for_each_audit(db, [&](const store::stored_audit& r) {
      const auto line = line_of(r, csv);
      std::fwrite(line.data(), 1, line.size(), stdout);
      if (auto problem = check.next(r); problem && !first_problem) first_problem = problem;
      head = r.hash;
    });
    db.exec("COMMIT");
    std::fflush(stdout);
  } catch (const std::exception& e) {
    std::cerr << "crisisline export audit: " << e.what() << "\n";
    return 1;
  }
  if (first_problem) {
    std::cerr << "crisisline export audit: CHAIN BROKEN at " << *first_problem << "\n";
    return exit_chain_broken;
  }
  std::cerr << "audit chain verified: " << rows << " rows, head " << head << "\n";
  return 0;
}

}  // namespace crisisline::app
