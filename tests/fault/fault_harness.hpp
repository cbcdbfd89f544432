#pragma once

// Shared by the fault and overload tests: a temp directory with a config, the
// fault shim's environment, closed-loop ingest clients that record every
// acknowledgement in an ack_ledger, and small probes (exit, metrics, RSS).

#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "crisisline/v1/event.pb.h"
#include "event_log.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace crisisline::fault_test {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using env_list = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view event_source = "faulttest";
inline constexpr std::string_view token = "fault-token";
inline constexpr std::string_view wal_suffix = "crisisline.db-wal";

// The environment that preloads the fault shim with `faults` (see fault_shim.cpp)
// on files ending in `suffix`.
inline env_list fault_env(const std::string& faults, std::string_view suffix = wal_suffix) {
  std::string asan = "verify_asan_link_order=0";
  // Under AddressSanitizer the shim is preloaded ahead of the ASan runtime.
  if (const char* existing = std::getenv("ASAN_OPTIONS")) asan = std::string(existing) + ":" + asan;
  return {{"LD_PRELOAD", CRISISLINE_FAULT_SHIM},
          {"CRISISLINE_FAULT", faults},
          {"CRISISLINE_FAULT_SUFFIX", std::string(suffix)},
          {"ASAN_OPTIONS", asan}};
}

// A temp directory holding crisisline.textproto and crisisline.db.
class rig {
 public:
  // `extra_config` may hold its own store { }: the database comes from --db.
  explicit rig(const std::string& extra_config = {}) {
    test::write_file(dir_ / "crisisline.textproto",
                     "integration_tokens { name: \"fault\" token: \"" + std::string(token) +
                         "\" }\n" + extra_config + "\n");
  }

  std::filesystem::path db() const { return dir_ / "crisisline.db"; }
  const test::temp_dir& dir() const { return dir_; }
  void keep() { dir_.keep(); }

  test::server_options options(env_list env = {}) const {
    return {.binary = CRISISLINE_BINARY,
            .args = {"serve", "--config", (dir_ / "crisisline.textproto").string(), "--listen",
                     "127.0.0.1:0", "--db", db().string()},
            .log_file = dir_ / "server.log",
            .ready_timeout = 30s,
            .env = std::move(env)};
  }

  // Starts and cleanly stops the server once, so the database and its schema
  // exist before a fault is armed (the fault then counts only event traffic).
  void create_database() const {
    auto server = test::server_process::start(options());
    const auto status = server.stop();
    INFO(server.log_tail());
    REQUIRE(status.clean());
  }

 private:
  test::temp_dir dir_{"crisisline-fault"};
};

// Waits up to `timeout` for the process to exit on its own.
inline std::optional<test::exit_status> wait_exit(test::server_process& server,
                                                  std::chrono::milliseconds timeout) {
  const auto deadline = clock_type::now() + timeout;
  for (;;) {
    if (auto status = server.try_wait()) return status;
    if (clock_type::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(5ms);
  }
}

// The value of an unlabelled sample in Prometheus text, or nullopt.
inline std::optional<double> metric(const std::string& text, std::string_view name) {
  std::size_t at = 0;
  while (at < text.size()) {
    auto eol = text.find('\n', at);
    if (eol == std::string::npos) eol = text.size();
    const std::string_view line(text.data() + at, eol - at);
    if (line.starts_with(name) && line.size() > name.size() && line[name.size()] == ' ') {
      return std::strtod(std::string(line.substr(name.size() + 1)).c_str(), nullptr);
    }
    at = eol + 1;
  }
  return std::nullopt;
}

// VmRSS of a live process in bytes; 0 if it cannot be read (it has exited).
inline std::uint64_t resident_bytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("VmRSS:")) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  }
  return 0;
}

inline std::uint64_t percentile(std::vector<std::int64_t> values_us, double p) {
  if (values_us.empty()) return 0;
  std::sort(values_us.begin(), values_us.end());
  const auto i = static_cast<std::size_t>(p * static_cast<double>(values_us.size() - 1));
  return static_cast<std::uint64_t>(values_us[i]);
}

// The port of the server that is currently up. Generation counts restarts, so
// a client whose request failed waits for the *next* server rather than
// hammering a dead port.
class endpoint {
 public:
  explicit endpoint(std::uint16_t port = 0) { up(port); }

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
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
      port_ = 0;
    }
    changed_.notify_all();
  }
  // The current port (0 once closed, or if none is up by `deadline`).
  std::uint16_t current(std::uint64_t& generation, clock_type::time_point deadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return port_ != 0 || closed_; });
    generation = generation_;
    return closed_ ? 0 : port_;
  }
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

struct load_options {
  int clients = 4;
  std::uint32_t batch = 8;
  // Each client stops after this many acknowledged (or abandoned) batches.
  std::uint64_t batches_per_client = 1'000'000;
  // Distinguishes the events of several loads against one database.
  std::string tag = "run";
  // Clients here retry a 503 after this, not after Retry-After: the worst
  // case of clients that ignore the hint.
  std::chrono::milliseconds retry_503_after = 10ms;
  int max_attempts_per_batch = 1'000;
  // Clients give up (and the endpoint waits end) at this point at the latest.
  std::chrono::seconds give_up_after = 90s;
};

// What the clients saw. Counters only grow; read after stop() or wait().
struct load_stats {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> acked_requests{0};
  std::atomic<std::uint64_t> acked_events{0};
  std::atomic<std::uint64_t> duplicate_events{0};
  std::atomic<std::uint64_t> responses_503{0};
  std::atomic<std::uint64_t> missing_retry_after{0};
  std::atomic<std::uint64_t> transport_errors{0};
  // Any status other than 200 and 503 (a 5xx would be a bug).
  std::atomic<std::uint64_t> other_status{0};
  std::atomic<std::uint64_t> abandoned_batches{0};
  std::mutex mutex;
  std::vector<std::int64_t> ack_latency_us;
  std::string first_error;
};

// `clients` threads, each sending batches of unique text events in a closed
// loop (the next batch only after the previous one was acknowledged), retrying
// a batch after 503 or after no response, and recording every
// acknowledgement in `ledger`.
class load {
 public:
  load(endpoint& server, test::ack_ledger& ledger, load_options options)
      : server_(server), ledger_(ledger), options_(std::move(options)) {
    deadline_ = clock_type::now() + options_.give_up_after;
    for (int c = 0; c < options_.clients; ++c) threads_.emplace_back([this, c] { run(c); });
  }
  ~load() { stop(); }
  load(const load&) = delete;
  load& operator=(const load&) = delete;

  // Stops sending and joins the clients.
  void stop() {
    stop_ = true;
    wait();
  }
  // Joins the clients once they have sent all their batches.
  void wait() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  load_stats& stats() { return stats_; }

 private:
  std::string make_body(int client, std::uint64_t batch, std::vector<std::string>& ids) const {
    v1::EventBatch events;
    ids.clear();
    for (std::uint32_t j = 0; j < options_.batch; ++j) {
      std::string id = options_.tag + "-c" + std::to_string(client) + "-b" + std::to_string(batch) +
                       "-e" + std::to_string(j);
      auto* event = events.add_events();
      event->set_source(std::string(event_source));
      event->set_source_event_id(id);
      auto* text = event->mutable_text();
      text->set_message_id("SM" + id);
      text->set_from("+447700900123");
      text->set_to("+447700900000");
      text->set_body("fault test " + id);
      ids.push_back(std::move(id));
    }
    return events.SerializeAsString();
  }

  void error(std::string what) {
    std::lock_guard lock(stats_.mutex);
    if (stats_.first_error.empty()) stats_.first_error = std::move(what);
  }

  void run(int client_index) {
    test::http_client client(0, {.connect_timeout = 2s, .request_timeout = 20s});
    const test::http_headers headers{{"Content-Type", "application/x-protobuf"},
                                     {"Authorization", "Bearer " + std::string(token)}};
    std::vector<std::string> ids;
    std::vector<std::int64_t> latencies;
    for (std::uint64_t batch = 0; batch < options_.batches_per_client && !stop_; ++batch) {
      const std::string body = make_body(client_index, batch, ids);
      bool acknowledged = false;
      for (int attempt = 0; attempt < options_.max_attempts_per_batch && !acknowledged && !stop_;
           ++attempt) {
        std::uint64_t generation = 0;
        const std::uint16_t port = server_.current(generation, deadline_);
        if (port == 0 || clock_type::now() >= deadline_) {
          stop_ = true;
          break;
        }
        client.set_port(port);
        ledger_.sent(ids);
        ++stats_.requests;
        const auto started = clock_type::now();
        test::http_response response;
        if (client.try_request("POST", "/v1/events", body, headers, response)) {
          // No response: the batch may or may not be committed; retry it.
          ++stats_.transport_errors;
          server_.wait_newer(generation, 200ms);
          continue;
        }
        if (response.status == 503) {
          ++stats_.responses_503;
          if (response.header("retry-after").empty()) ++stats_.missing_retry_after;
          std::this_thread::sleep_for(options_.retry_503_after);
          continue;
        }
        if (response.status != 200) {
          ++stats_.other_status;
          error("HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 200));
          stop_ = true;
          break;
        }
        v1::IngestResponse parsed;
        if (!parsed.ParseFromString(response.body) ||
            parsed.results_size() != static_cast<int>(ids.size())) {
          ++stats_.other_status;
          error("bad IngestResponse of " + std::to_string(response.body.size()) + " bytes");
          stop_ = true;
          break;
        }
        latencies.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - started)
                .count());
        for (int i = 0; i < parsed.results_size(); ++i) {
          const auto& result = parsed.results(i);
          if (result.status() == v1::IngestResult::DUPLICATE) {
            ++stats_.duplicate_events;
          } else if (result.status() != v1::IngestResult::COMMITTED) {
            ++stats_.other_status;
            error("result status " + std::to_string(result.status()));
            continue;
          }
          ledger_.acked(ids[static_cast<std::size_t>(i)], result.seq());
          ++stats_.acked_events;
        }
        ++stats_.acked_requests;
        acknowledged = true;
      }
      if (!acknowledged) ++stats_.abandoned_batches;
    }
    std::lock_guard lock(stats_.mutex);
    stats_.ack_latency_us.insert(stats_.ack_latency_us.end(), latencies.begin(), latencies.end());
  }

  endpoint& server_;
  test::ack_ledger& ledger_;
  load_options options_;
  clock_type::time_point deadline_;
  std::atomic<bool> stop_{false};
  load_stats stats_;
  std::vector<std::thread> threads_;
};

}  // namespace crisisline::fault_test
