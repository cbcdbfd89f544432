// Kills the real server with SIGKILL at random moments while clients ingest,
// restarts it on the same database, and checks that nothing it acknowledged
// was lost or duplicated.

#include <sqlite3.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "crisisline/v1/event.pb.h"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using crisisline::test::http_client;
using crisisline::test::http_response;
using crisisline::test::server_process;
using clock_type = std::chrono::steady_clock;

constexpr int kill_count = 24;
// One kill in this many lands during startup and recovery instead of under load.
constexpr int startup_kill_every = 6;
constexpr int client_count = 4;
constexpr std::uint32_t batch_size = 16;
constexpr int max_attempts_per_batch = 500;
constexpr auto max_uptime_before_kill = 250ms;
constexpr auto max_startup_kill_delay = 40ms;
constexpr auto final_load = 300ms;
constexpr std::string_view event_source = "crashtest";
constexpr std::uint32_t default_seed = 20240611;

// The port of the server that is currently up, handed from the killer (test
// thread) to the client threads. Generation counts restarts, so a client whose
// request failed can wait for the *next* server rather than retry a dead port.
class endpoint {
 public:
  void up(std::uint16_t port) {
    {
      std::lock_guard lock(mutex_);
      port_ = port;
      ++generation_;
    }
    changed_.notify_all();
  }

  void down() {
    std::lock_guard lock(mutex_);
    port_ = 0;
  }

  // Unblocks every waiter for good; used when the test is giving up.
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      port_ = 0;
    }
    changed_.notify_all();
  }

  // The port of a running server (0 if closed or none came up before the
  // deadline) and its generation.
  std::uint16_t current(std::uint64_t& generation, clock_type::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return port_ != 0 || closed_; });
    generation = generation_;
    return port_;
  }

  // After a request to `generation` failed: waits a little for a newer server.
  void wait_newer(std::uint64_t generation, std::chrono::milliseconds at_most) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, at_most, [&] { return generation_ != generation || closed_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint16_t port_ = 0;
  std::uint64_t generation_ = 0;
  bool closed_ = false;
};

struct ack {
  std::string id;
  std::uint64_t seq = 0;
  bool duplicate = false;
};

// What one client thread saw; read by the test thread only after join.
struct client_record {
  std::vector<ack> acked;
  // Sent at least once without a response and never acknowledged afterwards.
  std::vector<std::string> unresolved;
  std::set<std::string> sent;
  std::uint64_t retried_batches = 0;
  std::uint64_t retried_events = 0;
  std::uint64_t retries_503 = 0;
  // DUPLICATE for an event never sent before: a server bug, ids are unique.
  std::uint64_t unexpected_duplicates = 0;
  std::vector<std::string> errors;
};

std::string make_body(int client, std::uint64_t batch, std::vector<std::string>& ids) {
  crisisline::v1::EventBatch events;
  ids.clear();
  for (std::uint32_t j = 0; j < batch_size; ++j) {
    std::string id =
        "c" + std::to_string(client) + "-b" + std::to_string(batch) + "-e" + std::to_string(j);
    auto* event = events.add_events();
    event->set_source(std::string(event_source));
    event->set_source_event_id(id);
    auto* text = event->mutable_text();
    text->set_message_id("SM" + id);
    // A few dozen people, some writing words the risk rules raise, so the
    // shift-log rows change as they are projected.
    text->set_from("+4477009001" + std::to_string(10 + (batch * batch_size + j) % 48));
    text->set_to("+447700900000");
    text->set_body((j % 5 == 0 ? "took 800mg paracetamol " : "crash test ") + id);
    ids.push_back(std::move(id));
  }
  return events.SerializeAsString();
}

void run_client(int client_index, endpoint& server, const std::atomic<bool>& stop,
                clock_type::time_point deadline, const std::string& token, client_record& record) {
  http_client client(0, {.connect_timeout = 2s, .request_timeout = 10s});
  const crisisline::test::http_headers headers{{"Content-Type", "application/x-protobuf"},
                                               {"Authorization", "Bearer " + token}};
  std::vector<std::string> ids;
  bool giving_up = false;
  // Bounded by count as well as by `stop` and the deadline.
  for (std::uint64_t batch = 0; batch < 1'000'000 && !stop.load() && !giving_up; ++batch) {
    const std::string body = make_body(client_index, batch, ids);
    record.sent.insert(ids.begin(), ids.end());
    bool in_doubt = false;
    bool acknowledged = false;
    for (int attempt = 0; attempt < max_attempts_per_batch && !acknowledged; ++attempt) {
      std::uint64_t generation = 0;
      const std::uint16_t port = server.current(generation, deadline);
      if (port == 0) {
        giving_up = true;
        break;
      }
      client.set_port(port);
      http_response response;
      if (client.try_request("POST", "/v1/events", body, headers, response)) {
        // No response: the batch may or may not have been committed.
        in_doubt = true;
        server.wait_newer(generation, 200ms);
        continue;
      }
      if (response.status == 503) {
        ++record.retries_503;
        std::this_thread::sleep_for(10ms);
        continue;
      }
      if (response.status != 200) {
        record.errors.push_back("HTTP " + std::to_string(response.status) + ": " + response.body);
        giving_up = true;
        break;
      }
      crisisline::v1::IngestResponse parsed;
      if (!parsed.ParseFromString(response.body) ||
          parsed.results_size() != static_cast<int>(ids.size())) {
        record.errors.push_back("bad IngestResponse (" + std::to_string(response.body.size()) +
                                " bytes)");
        giving_up = true;
        break;
      }
      for (int i = 0; i < parsed.results_size(); ++i) {
        const auto& result = parsed.results(i);
        const bool duplicate = result.status() == crisisline::v1::IngestResult::DUPLICATE;
        if (!duplicate && result.status() != crisisline::v1::IngestResult::COMMITTED) {
          record.errors.push_back("status " + std::to_string(result.status()) + " for " +
                                  ids[static_cast<std::size_t>(i)]);
          continue;
        }
        if (duplicate && !in_doubt) ++record.unexpected_duplicates;
        record.acked.push_back({ids[static_cast<std::size_t>(i)], result.seq(), duplicate});
      }
      acknowledged = true;
    }
    if (in_doubt) {
      ++record.retried_batches;
      record.retried_events += ids.size();
    }
    if (!acknowledged && in_doubt) {
      record.unresolved.insert(record.unresolved.end(), ids.begin(), ids.end());
    }
  }
}

// source_event_id -> every seq it is stored at, for this test's source.
std::map<std::string, std::vector<std::uint64_t>> read_log(const std::filesystem::path& db_path) {
  std::map<std::string, std::vector<std::uint64_t>> stored;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    std::string error = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    FAIL("cannot open " << db_path << ": " << error);
  }
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT seq, source_event_id FROM events WHERE source = ?1", -1,
                          &stmt, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_bind_text(stmt, 1, event_source.data(), static_cast<int>(event_source.size()),
                           SQLITE_STATIC);
  }
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW) break;
    const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(stmt, 0));
    const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
    stored[id != nullptr ? id : ""].push_back(seq);
  }
  const std::string error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) FAIL("reading events: " << error);
  return stored;
}

// The same log as `crisisline export events` prints it: (seq, source_event_id)
// of this test's events.
std::set<std::pair<std::uint64_t, std::string>> read_export(const std::filesystem::path& out_file) {
  std::set<std::pair<std::uint64_t, std::string>> rows;
  std::string all = crisisline::test::read_file(out_file);
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto eol = all.find('\n', pos);
    if (eol == std::string::npos) eol = all.size();
    const std::string line = all.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.find("\"source\":\"" + std::string(event_source) + "\"") == std::string::npos)
      continue;
    const auto seq_at = line.find("\"seq\":");
    const auto id_at = line.find("\"sourceEventId\":\"");
    if (seq_at == std::string::npos || id_at == std::string::npos) {
      FAIL("unexpected export line: " << line);
    }
    const auto id_start = id_at + 17;
    rows.emplace(std::strtoull(line.c_str() + seq_at + 6, nullptr, 10),
                 line.substr(id_start, line.find('"', id_start) - id_start));
  }
  return rows;
}

// Every contact_timings row as text, in contact order.
std::string shift_log_dump(const std::filesystem::path& db_path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    FAIL("cannot open " << db_path);
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "SELECT * FROM contact_timings ORDER BY contact_id", -1, &stmt, nullptr);
  std::string out;
  int rc = SQLITE_ERROR;
  while (stmt != nullptr && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
      const auto* v = sqlite3_column_text(stmt, i);
      out += v != nullptr ? reinterpret_cast<const char*>(v) : "NULL";
      out += '|';
    }
    out += '\n';
  }
  const std::string error = sqlite3_errmsg(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (rc != SQLITE_DONE) FAIL("reading contact_timings: " << error);
  return out;
}

void exec_sql(const std::filesystem::path& db_path, const char* sql) {
  sqlite3* db = nullptr;
  const int rc_open = sqlite3_open(db_path.c_str(), &db);
  const int rc = rc_open == SQLITE_OK ? sqlite3_exec(db, sql, nullptr, nullptr, nullptr) : rc_open;
  const std::string error = sqlite3_errmsg(db);
  sqlite3_close(db);
  if (rc != SQLITE_OK) FAIL(sql << ": " << error);
}

// How many events each start's shift-log catch-up had to project: 0 when the
// tables were committed with the events, as they must be.
std::vector<std::uint64_t> caught_up_counts(const std::string& server_log) {
  std::vector<std::uint64_t> counts;
  std::size_t pos = 0;
  while ((pos = server_log.find("shift log up to date", pos)) != std::string::npos) {
    const auto at = server_log.find("\"events_projected\":", pos);
    if (at == std::string::npos) break;
    counts.push_back(std::strtoull(server_log.c_str() + at + 19, nullptr, 10));
    pos = at;
  }
  return counts;
}

}  // namespace

TEST_CASE("acknowledged events survive SIGKILL at random moments", "[crash]") {
  std::uint32_t seed = default_seed;
  if (const char* env = std::getenv("CRISISLINE_CRASH_SEED")) {
    seed = static_cast<std::uint32_t>(std::strtoul(env, nullptr, 10));
  }
  std::mt19937 random(seed);

  crisisline::test::temp_dir dir("crisisline-crash");
  const auto db_path = dir / "crisisline.db";
  const auto config_path = dir / "crisisline.textproto";
  const std::string token = "crash-token";
  crisisline::test::write_config(config_path,
                                 {.db_path = db_path, .token_name = "crash", .token = token});
  const crisisline::test::server_options options{
      .binary = CRISISLINE_BINARY,
      .args = {"serve", "--config", config_path.string(), "--listen", "127.0.0.1:0"},
      .log_file = dir / "server.log",
      .ready_timeout = 20s};

  endpoint current;
  std::atomic<bool> stop{false};
  // Clients give up on a batch after this; the test's own CTest timeout is the backstop.
  const auto client_deadline = clock_type::now() + 100s;
  std::vector<client_record> records(client_count);
  std::vector<std::thread> clients;

  int kills = 0;
  int startup_kills = 0;
  std::string failure;
  server_process server = server_process::start(options);
  current.up(server.port());
  for (int c = 0; c < client_count; ++c) {
    clients.emplace_back(run_client, c, std::ref(current), std::cref(stop), client_deadline,
                         std::cref(token), std::ref(records[static_cast<std::size_t>(c)]));
  }
  try {
    std::uniform_int_distribution<int> uptime_ms(0,
                                                 static_cast<int>(max_uptime_before_kill.count()));
    std::uniform_int_distribution<int> startup_ms(0,
                                                  static_cast<int>(max_startup_kill_delay.count()));
    for (int k = 1; k <= kill_count; ++k) {
      std::this_thread::sleep_for(std::chrono::milliseconds(uptime_ms(random)));
      current.down();
      server.kill_hard();
      ++kills;
      if (k % startup_kill_every == 0) {
        // Crash during recovery too: restart, then kill before (or just after) it listens.
        server = server_process::spawn(options);
        std::this_thread::sleep_for(std::chrono::milliseconds(startup_ms(random)));
        server.kill_hard();
        ++kills;
        ++startup_kills;
      }
      server = server_process::start(options);
      current.up(server.port());
    }
    std::this_thread::sleep_for(final_load);
  } catch (const std::exception& e) {
    failure = e.what();
    current.close();
  }
  stop = true;
  for (auto& t : clients) t.join();
  if (!failure.empty()) {
    dir.keep();
    FAIL("after " << kills << " kills: " << failure << "\n(logs in " << dir.path() << ")");
  }
  const auto exit = server.stop();
  INFO("server log tail:\n" << server.log_tail());
  CHECK(exit.clean());

  std::map<std::string, std::uint64_t> acked;
  std::set<std::string> sent;
  std::vector<std::string> unresolved;
  std::uint64_t retried_batches = 0, retried_events = 0, retries_503 = 0;
  std::uint64_t unexpected_duplicates = 0, acked_twice = 0, duplicate_acks = 0;
  std::vector<std::string> errors;
  for (const auto& r : records) {
    for (const auto& a : r.acked) {
      if (!acked.emplace(a.id, a.seq).second) ++acked_twice;
      if (a.duplicate) ++duplicate_acks;
    }
    sent.insert(r.sent.begin(), r.sent.end());
    unresolved.insert(unresolved.end(), r.unresolved.begin(), r.unresolved.end());
    retried_batches += r.retried_batches;
    retried_events += r.retried_events;
    retries_503 += r.retries_503;
    unexpected_duplicates += r.unexpected_duplicates;
    errors.insert(errors.end(), r.errors.begin(), r.errors.end());
  }

  const auto stored = read_log(db_path);
  std::uint64_t lost = 0, duplicated = 0, wrong_seq = 0, unknown = 0, unresolved_twice = 0;
  std::vector<std::string> examples;
  auto example = [&](std::string what) {
    if (examples.size() < 10) examples.push_back(std::move(what));
  };
  for (const auto& [id, seq] : acked) {
    auto it = stored.find(id);
    if (it == stored.end()) {
      ++lost;
      example("lost " + id + " acked at seq " + std::to_string(seq));
    } else if (it->second.size() != 1) {
      ++duplicated;
      example("duplicated " + id);
    } else if (it->second.front() != seq) {
      ++wrong_seq;
      example(id + " acked at seq " + std::to_string(seq) + ", stored at " +
              std::to_string(it->second.front()));
    }
  }
  for (const auto& [id, seqs] : stored) {
    if (seqs.size() > 1 && !acked.contains(id)) ++duplicated;
    if (!sent.contains(id)) {
      ++unknown;
      example("stored but never sent: " + id);
    }
  }
  for (const auto& id : unresolved) {
    auto it = stored.find(id);
    if (it != stored.end() && it->second.size() > 1) ++unresolved_twice;
  }

  // The export command must print exactly what is in the table.
  const auto export_file = dir / "export.jsonl";
  const std::string export_command = std::string(CRISISLINE_BINARY) + " export events --db '" +
                                     db_path.string() + "' > '" + export_file.string() + "'";
  const int export_rc = std::system(export_command.c_str());
  std::set<std::pair<std::uint64_t, std::string>> from_table;
  for (const auto& [id, seqs] : stored) {
    for (auto seq : seqs) from_table.emplace(seq, id);
  }
  const auto exported = read_export(export_file);

  std::cout << "crash test (seed " << seed << "): kills " << kills << " (" << startup_kills
            << " during startup), events acked " << acked.size() << " (" << duplicate_acks
            << " as DUPLICATE after a retry), batches retried after no response " << retried_batches
            << " (" << retried_events << " events), 503 retries " << retries_503 << ", unresolved "
            << unresolved.size() << ", stored " << stored.size() << ", lost " << lost
            << ", duplicated " << duplicated << ", wrong seq " << wrong_seq << "\n";
  for (const auto& e : examples) std::cout << "  " << e << "\n";

  const bool ok = errors.empty() && lost == 0 && duplicated == 0 && wrong_seq == 0 &&
                  unknown == 0 && unresolved_twice == 0 && unexpected_duplicates == 0 &&
                  acked_twice == 0 && export_rc == 0 && exported == from_table;
  if (!ok) {
    dir.keep();
    std::cout << "  kept " << dir.path() << " (server.log, crisisline.db)\n";
  }
  INFO("first client error: " << (errors.empty() ? std::string("none") : errors.front()));
  CHECK(errors.empty());
  CHECK(kills >= 20);
  CHECK(acked.size() > 0);
  CHECK(lost == 0);
  CHECK(duplicated == 0);
  CHECK(wrong_seq == 0);
  CHECK(unknown == 0);
  CHECK(unresolved_twice == 0);
  CHECK(unexpected_duplicates == 0);
  CHECK(acked_twice == 0);
  CHECK(export_rc == 0);
  CHECK(exported.size() == from_table.size());
  CHECK(exported == from_table);

  // The shift log was committed with the events: no start after a SIGKILL
  // found the tables behind the log.
  const auto caught_up = caught_up_counts(crisisline::test::read_file(dir / "server.log"));
  CHECK(caught_up.size() >= static_cast<std::size_t>(kill_count - startup_kills));
  for (std::size_t i = 1; i < caught_up.size(); ++i) {
    INFO("start " << i);
    CHECK(caught_up[i] == 0);
  }
  // And the tables equal a projection rebuilt from the log alone: clear them
  // in a copy and let a server start on it rebuild them.
  const std::string crashed_tables = shift_log_dump(db_path);
  CHECK_FALSE(crashed_tables.empty());
  const auto rebuilt_db = dir / "rebuilt.db";
  std::filesystem::copy_file(db_path, rebuilt_db);
  exec_sql(rebuilt_db,
           "DELETE FROM contact_timings; UPDATE shift_log_progress SET projected_seq = 0;");
  REQUIRE(shift_log_dump(rebuilt_db).empty());
  auto rebuild_options = options;
  rebuild_options.args.push_back("--db");
  rebuild_options.args.push_back(rebuilt_db.string());
  rebuild_options.log_file = dir / "rebuild.log";
  auto rebuilder = server_process::start(rebuild_options);
  const auto rebuilt = rebuilder.stop();
  INFO("rebuilding server: " << to_string(rebuilt) << "\n" << rebuilder.log_tail(1024));
  CHECK(rebuilt.clean());
  CHECK(shift_log_dump(rebuilt_db) == crashed_tables);
}
