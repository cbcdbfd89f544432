// crisisline_soak: a bounded soak of POST /v1/events at a fixed rate against a
// local server (already running, or started here with --binary). Every
// interval it reports the server's resident memory and the acknowledgement
// latency percentiles of the requests planned in that interval, so memory
// growth and latency drift show up as trends; at the end it reads the event
// log read-only and reports acknowledged events that are missing (losses),
// stored more than once (duplicates) or stored at another seq.
//
// Open loop: request i is planned at start + i * batch / rate and its latency
// is measured from that planned time, so a stall shows in every request
// planned during it. Loopback only; duration, rate and size are bounded.
//
// Exit status: 0 all acknowledged and intact, 1 losses, duplicates, failed
// requests or an unclean server exit, 2 bad usage or no server.

#include <signal.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crisisline/v1/event.pb.h"
#include "event_log.hpp"
#include "http_client.hpp"
#include "ingest_body.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace crisisline::soak {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr double max_duration_s = 3600;
constexpr double max_rate = 20'000;
constexpr std::uint32_t max_batch = 100;
constexpr std::uint32_t max_connections = 64;
// The acknowledged-seq table holds 8 bytes per event.
constexpr std::uint64_t max_total_events = 20'000'000;
constexpr int max_transport_retries = 3;
constexpr auto drain_time = 30s;

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string binary;
  std::string db;
  std::string token = "test-token";
  std::string source = "soak";
  double rate = 500;
  std::uint32_t batch = 1;
  std::uint32_t connections = 4;
  double duration_s = 600;
  double interval_s = 10;
  bool keep = false;
};

// One reporting interval, by planned send time.
struct interval_stats {
  std::uint64_t requests = 0;
  std::uint64_t acked_events = 0;
  std::uint64_t retries_503 = 0;
  std::uint64_t transport_retries = 0;
  std::uint64_t failed_requests = 0;
  std::vector<std::int64_t> latency_us;
};

struct run_state {
  const options& opts;
  std::string run_id;
  clock::time_point start;
  clock::time_point stop_issuing;
  clock::time_point deadline;
  std::uint64_t total_requests = 0;
  std::uint64_t total_events = 0;
  double interval_ns = 0;
  std::atomic<std::uint64_t> next{0};
  // acked_seq[n] is the seq event n was acknowledged at; 0 if it was not.
  std::vector<std::atomic<std::uint64_t>> acked_seq;
  std::atomic<std::uint64_t> conflicting_acks{0};
  std::mutex mutex;
  std::vector<interval_stats> intervals;
  std::string first_error;

  explicit run_state(const options& o) : opts(o) {}

  std::size_t interval_of(clock::time_point planned) const {
    const double s = std::chrono::duration<double>(planned - start).count();
    return static_cast<std::size_t>(std::max(0.0, s) / opts.interval_s);
  }
  void fail(const std::string& error) {
    std::lock_guard lock(mutex);
    if (first_error.empty()) first_error = error;
  }
};

int retry_after_ms(const test::http_response& response) {
  const int seconds = std::atoi(response.header("retry-after").c_str());
  return std::clamp(seconds * 1000, 10, 5000);
}

void send_one(run_state& state, test::http_client& client, std::uint64_t index,
              clock::time_point planned) {
  const auto& opts = state.opts;
  const std::uint64_t first = index * opts.batch;
  const auto count =
      static_cast<std::uint32_t>(std::min<std::uint64_t>(opts.batch, state.total_events - first));
  const std::string body =
      loadgen::make_batch(loadgen::body_format::proto, opts.source, state.run_id, first, count);
  const test::http_headers headers{{"Content-Type", "application/x-protobuf"},
                                   {"Authorization", "Bearer " + opts.token}};
  interval_stats local;
  local.requests = 1;
  int transport_failures = 0;
  bool acked = false;
  while (!acked) {
    test::http_response response;
    if (auto ec = client.try_request("POST", "/v1/events", body, headers, response)) {
      // No answer: maybe committed, maybe not. A retry is safe (idempotent).
      ++local.transport_retries;
      if (++transport_failures > max_transport_retries || clock::now() >= state.deadline) {
        state.fail("transport: " + ec.message());
        break;
      }
      std::this_thread::sleep_for(50ms);
      continue;
    }
    if (response.status == 503) {
      ++local.retries_503;
      const auto wake = clock::now() + std::chrono::milliseconds(retry_after_ms(response));
      if (wake >= state.deadline) {
        state.fail("503 until the drain deadline");
        break;
      }
      std::this_thread::sleep_until(wake);
      continue;
    }
    v1::IngestResponse parsed;
    if (response.status != 200 || !parsed.ParseFromString(response.body) ||
        parsed.results_size() != static_cast<int>(count)) {
      state.fail("HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 200));
      break;
    }
    for (int i = 0; i < parsed.results_size(); ++i) {
      const auto& result = parsed.results(i);
      if (result.status() != v1::IngestResult::COMMITTED &&
          result.status() != v1::IngestResult::DUPLICATE) {
        state.fail("result status " + std::to_string(result.status()));
        continue;
      }
      auto& slot = state.acked_seq[first + static_cast<std::uint64_t>(i)];
      std::uint64_t expected = 0;
      if (!slot.compare_exchange_strong(expected, result.seq()) && expected != result.seq()) {
        ++state.conflicting_acks;
      }
      ++local.acked_events;
    }
    local.latency_us.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(clock::now() - planned).count());
    acked = true;
  }
  if (!acked) local.failed_requests = 1;

  std::lock_guard lock(state.mutex);
  const auto at = state.interval_of(planned);
  if (at >= state.intervals.size()) state.intervals.resize(at + 1);
  auto& into = state.intervals[at];
  into.requests += local.requests;
  into.acked_events += local.acked_events;
  into.retries_503 += local.retries_503;
  into.transport_retries += local.transport_retries;
  into.failed_requests += local.failed_requests;
  into.latency_us.insert(into.latency_us.end(), local.latency_us.begin(), local.latency_us.end());
}

void run_worker(run_state& state) {
  test::http_client client(state.opts.port,
                           {.ipv6 = state.opts.host == "::1", .request_timeout = 30s});
  for (;;) {
    if (clock::now() >= state.stop_issuing) break;
    const std::uint64_t i = state.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= state.total_requests) break;
    const auto planned =
        state.start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                          std::llround(static_cast<double>(i) * state.interval_ns)));
    std::this_thread::sleep_until(planned);
    send_one(state, client, i, planned);
  }
}

double percentile_ms(std::vector<std::int64_t>& sorted_us, double p) {
  if (sorted_us.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted_us.size() - 1));
  return static_cast<double>(sorted_us[i]) / 1000.0;
}

// One sample from the server's /metrics.
struct server_sample {
  double rss_mib = 0;
  double backlog = 0;
  bool ok = false;
};

std::optional<double> metric(const std::string& text, std::string_view name) {
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

server_sample sample(test::http_client& probe) {
  test::http_response response;
  server_sample out;
  if (probe.try_request("GET", "/metrics", {}, {}, response) || response.status != 200) return out;
  out.rss_mib = metric(response.body, "process_resident_memory_bytes").value_or(0) / 1048576.0;
  out.backlog = metric(response.body, "crisisline_writer_backlog_events").value_or(0);
  out.ok = true;
  return out;
}

struct interval_line {
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
  double rss_mib = 0;
};

interval_line report_interval(std::size_t index, interval_stats stats, const server_sample& s,
                              const options& opts) {
  std::sort(stats.latency_us.begin(), stats.latency_us.end());
  interval_line line{.p50 = percentile_ms(stats.latency_us, 0.5),
                     .p99 = percentile_ms(stats.latency_us, 0.99),
                     .p999 = percentile_ms(stats.latency_us, 0.999),
                     .max = percentile_ms(stats.latency_us, 1.0),
                     .rss_mib = s.rss_mib};
  std::printf(
      "[%6.0f s] requests %llu, acked events %llu, 503 retries %llu, no-response retries %llu, "
      "failed %llu | latency ms p50 %.2f p99 %.2f p99.9 %.2f max %.2f | rss %.1f MiB, backlog "
      "%.0f%s\n",
      static_cast<double>(index + 1) * opts.interval_s,
      static_cast<unsigned long long>(stats.requests),
      static_cast<unsigned long long>(stats.acked_events),
      static_cast<unsigned long long>(stats.retries_503),
      static_cast<unsigned long long>(stats.transport_retries),
      static_cast<unsigned long long>(stats.failed_requests), line.p50, line.p99, line.p999,
      line.max, s.rss_mib, s.backlog, s.ok ? "" : " (no /metrics)");
  std::fflush(stdout);
  return line;
}

int refuse(const std::string& why) {
  std::cerr << "crisisline_soak: " << why << "\n";
  return 2;
}

int run(int argc, char** argv) {
  namespace po = boost::program_options;
  options opts;
  po::options_description desc(
      "crisisline_soak: bounded soak of POST /v1/events at a fixed rate (loopback only)\n"
      "Either --port of a running server (add --db to check losses) or --binary to start one");
  auto add = desc.add_options();
  add("help", "this text");
  add("host", po::value(&opts.host)->default_value(opts.host),
      "127.0.0.1, localhost or ::1; nothing else");
  add("port", po::value(&opts.port), "port of a running server");
  add("db", po::value(&opts.db), "its database, read read-only at the end to check for losses");
  add("token", po::value(&opts.token)->default_value(opts.token), "integration bearer token");
  add("binary", po::value(&opts.binary),
      "start this crisisline binary on 127.0.0.1:0 with a temp database instead");
  add("keep", po::bool_switch(&opts.keep), "with --binary: keep the temp directory");
  add("source", po::value(&opts.source)->default_value(opts.source), "event source");
  add("rate", po::value(&opts.rate)->default_value(opts.rate), "events per second");
  add("batch", po::value(&opts.batch)->default_value(opts.batch), "events per request");
  add("connections", po::value(&opts.connections)->default_value(opts.connections),
      "client connections");
  add("duration", po::value(&opts.duration_s)->default_value(opts.duration_s),
      "seconds of load (at most 3600)");
  add("interval", po::value(&opts.interval_s)->default_value(opts.interval_s),
      "seconds between reports");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return refuse(e.what());
  }
  if (vm.count("help") != 0) {
    std::cout << desc << "\n";
    return 0;
  }
  if (opts.host == "localhost") opts.host = "127.0.0.1";
  if (opts.host != "127.0.0.1" && opts.host != "::1") {
    return refuse("refusing host '" + opts.host + "': loopback only (127.0.0.1, localhost, ::1)");
  }
  if (opts.binary.empty() == (opts.port == 0))
    return refuse("give exactly one of --port, --binary");
  if (!opts.binary.empty() && (!opts.db.empty() || opts.host != "127.0.0.1")) {
    return refuse("--db and --host are only for --port (--binary listens on 127.0.0.1)");
  }
  if (!(opts.duration_s > 0 && opts.duration_s <= max_duration_s)) {
    return refuse("--duration must be in (0, 3600]");
  }
  if (!(opts.rate > 0 && opts.rate <= max_rate)) return refuse("--rate must be in (0, 20000]");
  if (opts.batch < 1 || opts.batch > max_batch) return refuse("--batch must be in [1, 100]");
  if (opts.connections < 1 || opts.connections > max_connections) {
    return refuse("--connections must be in [1, 64]");
  }
  if (!(opts.interval_s >= 1 && opts.interval_s <= opts.duration_s)) {
    return refuse("--interval must be in [1, duration]");
  }
  const auto total_events = static_cast<std::uint64_t>(std::llround(opts.rate * opts.duration_s));
  if (total_events == 0 || total_events > max_total_events) {
    return refuse("rate x duration must be between 1 and 20,000,000 events");
  }
  ::signal(SIGPIPE, SIG_IGN);

  std::optional<test::temp_dir> dir;
  std::optional<test::server_process> server;
  std::filesystem::path db_path = opts.db;
  if (!opts.binary.empty()) {
    dir.emplace("crisisline-soak");
    if (opts.keep) dir->keep();
    db_path = *dir / "crisisline.db";
    opts.token = "soak-token";
    test::write_config(*dir / "crisisline.textproto",
                       {.db_path = db_path, .token_name = "soak", .token = opts.token});
    try {
      server = test::server_process::start(
          {.binary = opts.binary,
           .args = {"serve", "--config", (*dir / "crisisline.textproto").string(), "--listen",
                    "127.0.0.1:0"},
           .log_file = *dir / "server.log",
           .ready_timeout = 60s});
    } catch (const std::exception& e) {
      return refuse(std::string("cannot start the server: ") + e.what());
    }
    opts.port = server->port();
    std::printf("started %s on 127.0.0.1:%u, pid %d, directory %s\n", opts.binary.c_str(),
                opts.port, static_cast<int>(server->pid()), dir->path().c_str());
  }

  test::http_client probe(opts.port, {.ipv6 = opts.host == "::1", .request_timeout = 10s});
  {
    test::http_response health;
    if (auto ec = probe.try_request("GET", "/healthz", {}, {}, health);
        ec || health.status != 200) {
      return refuse("no healthy server on port " + std::to_string(opts.port));
    }
  }

  run_state state(opts);
  std::random_device entropy;
  state.run_id = "soak" + std::to_string(entropy()) + "x" + std::to_string(entropy());
  state.total_events = total_events;
  state.total_requests = (total_events + opts.batch - 1) / opts.batch;
  state.interval_ns = 1e9 * static_cast<double>(opts.batch) / opts.rate;
  state.acked_seq = std::vector<std::atomic<std::uint64_t>>(total_events);
  state.start = clock::now() + 50ms;
  state.stop_issuing = state.start + std::chrono::duration_cast<clock::duration>(
                                         std::chrono::duration<double>(opts.duration_s));
  state.deadline = state.stop_issuing + drain_time;
  std::printf(
      "soak %s: %.0f events/s, %u per request, %u connections, %.0f s, report every %.0f s\n",
      state.run_id.c_str(), opts.rate, opts.batch, opts.connections, opts.duration_s,
      opts.interval_s);
  std::fflush(stdout);

  std::vector<std::thread> workers;
  for (std::uint32_t c = 0; c < opts.connections; ++c) {
    workers.emplace_back([&state] { run_worker(state); });
  }

  // An interval is reported once its requests have had time to be answered:
  // one interval after it ends (or at the end of the run).
  const auto interval =
      std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(opts.interval_s));
  const auto intervals_total =
      static_cast<std::size_t>(std::ceil(opts.duration_s / opts.interval_s));
  std::vector<interval_line> lines;
  std::vector<server_sample> samples;
  auto take_interval = [&](std::size_t i) {
    std::lock_guard lock(state.mutex);
    if (i >= state.intervals.size()) state.intervals.resize(i + 1);
    return std::move(state.intervals[i]);
  };
  for (std::size_t i = 0; i < intervals_total; ++i) {
    std::this_thread::sleep_until(state.start + interval * static_cast<long>(i + 1));
    samples.push_back(sample(probe));
    if (i >= 1) lines.push_back(report_interval(i - 1, take_interval(i - 1), samples[i - 1], opts));
  }
  for (auto& w : workers) w.join();
  samples.push_back(sample(probe));
  lines.push_back(report_interval(intervals_total - 1, take_interval(intervals_total - 1),
                                  samples.back(), opts));

  std::optional<test::exit_status> exit;
  if (server) exit = server->stop(60s);

  std::uint64_t acked = 0;
  for (const auto& s : state.acked_seq) acked += s.load() != 0 ? 1 : 0;
  std::uint64_t failed = 0;
  std::uint64_t retries_503 = 0;
  {
    std::lock_guard lock(state.mutex);
    for (const auto& s : state.intervals) {
      failed += s.failed_requests;
      retries_503 += s.retries_503;
    }
  }
  double rss_max = 0;
  for (const auto& s : samples) rss_max = std::max(rss_max, s.rss_mib);
  const auto& first = lines.front();
  const auto& last = lines.back();
  std::printf(
      "summary: events planned %llu, acked %llu, failed requests %llu, 503 retries %llu\n"
      "  memory: rss first %.1f MiB, last %.1f MiB, max %.1f MiB\n"
      "  latency drift: p99 first %.2f ms, last %.2f ms; p50 first %.2f ms, last %.2f ms\n",
      static_cast<unsigned long long>(total_events), static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(failed), static_cast<unsigned long long>(retries_503),
      samples.front().rss_mib, samples.back().rss_mib, rss_max, first.p99, last.p99, first.p50,
      last.p50);
  if (!state.first_error.empty()) std::printf("  first error: %s\n", state.first_error.c_str());

  bool ok = failed == 0 && state.conflicting_acks.load() == 0;
  if (exit) {
    std::printf("  server: %s\n", test::to_string(*exit).c_str());
    ok = ok && exit->clean();
  }
  if (db_path.empty()) {
    std::printf("  losses and duplicates: not checked (give --db)\n");
  } else {
    try {
      const auto stored = test::read_stored_events(db_path, opts.source);
      std::uint64_t lost = 0, duplicated = 0, wrong_seq = 0, unacked_stored = 0, unknown = 0;
      std::vector<bool> seen(total_events, false);
      const std::string prefix = state.run_id + "-";
      for (const auto& [id, seqs] : stored) {
        if (!id.starts_with(prefix)) continue;
        const auto n = std::strtoull(id.c_str() + prefix.size(), nullptr, 10);
        if (n >= total_events) {
          ++unknown;
          continue;
        }
        seen[n] = true;
        if (seqs.size() > 1) ++duplicated;
        const auto ack = state.acked_seq[n].load();
        if (ack == 0) {
          ++unacked_stored;
        } else if (seqs.front() != ack) {
          ++wrong_seq;
        }
      }
      for (std::uint64_t n = 0; n < total_events; ++n) {
        if (state.acked_seq[n].load() != 0 && !seen[n]) ++lost;
      }
      std::printf(
          "  event log: lost %llu, duplicated %llu, wrong seq %llu, unknown %llu, stored "
          "without an acknowledgement %llu\n",
          static_cast<unsigned long long>(lost), static_cast<unsigned long long>(duplicated),
          static_cast<unsigned long long>(wrong_seq), static_cast<unsigned long long>(unknown),
          static_cast<unsigned long long>(unacked_stored));
      ok = ok && lost == 0 && duplicated == 0 && wrong_seq == 0 && unknown == 0;
    } catch (const std::exception& e) {
      std::printf("  event log: cannot read: %s\n", e.what());
      ok = false;
    }
  }
  std::printf("%s\n", ok ? "OK" : "FAILED");
  if (!ok && dir) {
    dir->keep();
    std::printf("kept %s\n", dir->path().c_str());
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace crisisline::soak

int main(int argc, char** argv) {
  try {
    return crisisline::soak::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "crisisline_soak: " << e.what() << "\n";
    return 2;
  }
}
