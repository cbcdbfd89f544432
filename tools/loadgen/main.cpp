// crisisline_loadgen: drives POST /v1/events on a local server and reports
// durable-ingest throughput, acknowledgement latency and server CPU per event.
//
// Open loop (default): request i is planned at start + i * batch / rate, and
// its latency is measured from that planned time, not from when a connection
// became free to send it. A server that stalls therefore shows the stall in the
// latency of every request planned during it (no coordinated omission).
// Closed loop (--max): every connection sends its next request as soon as the
// previous one is acknowledged, to find the peak durable throughput.

#include <sys/resource.h>
#include <unistd.h>

#include <boost/program_options.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "ingest_body.hpp"

namespace crisisline::loadgen {
namespace {

using clock = std::chrono::steady_clock;

// Bounds on every input, so a typo cannot start an unbounded run.
constexpr double max_rate = 1'000'000;
constexpr std::uint32_t max_batch = 10'000;
constexpr std::uint32_t max_connections = 256;
constexpr double max_duration_s = 3600;
constexpr std::uint64_t max_count = 100'000'000;

struct options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string token = "test-token";
  std::string source = "loadgen";
  double rate = 2000;
  std::uint32_t batch = 1;
  std::uint32_t connections = 4;
  std::optional<double> duration_s;
  std::optional<std::uint64_t> count;
  body_format format = body_format::proto;
  bool closed_loop = false;
  bool json = false;
  bool retry_503 = true;
  std::uint32_t timeout_ms = 30'000;
  double drain_s = 10;
};

struct plan {
  clock::time_point start;
  // No request is started after this; in-flight ones may finish until `deadline`.
  clock::time_point stop_issuing;
  clock::time_point deadline;
  std::uint64_t total_requests = 0;
  std::uint64_t total_events = 0;
  // Open loop: time between planned request starts.
  double interval_ns = 0;
};

struct worker_stats {
  std::uint64_t requests_sent = 0;
  std::uint64_t requests_acked = 0;
  std::uint64_t requests_failed = 0;
  std::uint64_t events_sent = 0;
  std::uint64_t events_committed = 0;
  std::uint64_t events_duplicate = 0;
  std::uint64_t events_failed = 0;
  std::uint64_t retries_503 = 0;
  std::uint64_t transport_errors = 0;
  std::uint64_t http_errors = 0;
  std::vector<std::int64_t> latencies_ns;
  clock::time_point last_ack{};
  std::string first_error;

  void fail(std::string error) {
    if (first_error.empty()) first_error = std::move(error);
  }
};

struct shared_state {
  const options& opts;
  const plan& p;
  std::string run_id;
  std::atomic<std::uint64_t> next{0};
};

std::uint64_t events_in_request(const plan& p, std::uint32_t batch, std::uint64_t i) {
  const std::uint64_t first = i * batch;
  return std::min<std::uint64_t>(batch, p.total_events - first);
}

int retry_after_seconds(const test::http_response& response) {
  const std::string value = response.header("retry-after");
  const int seconds = std::atoi(value.c_str());
  return std::clamp(seconds, 0, 30);
}

// Sends one request, retrying 503s (nothing was written) after Retry-After.
// Returns true when acknowledged.
bool send_one(shared_state& state, test::http_client& client, std::uint64_t index,
              clock::time_point measured_from, worker_stats& stats) {
  const auto& opts = state.opts;
  const auto count = static_cast<std::uint32_t>(events_in_request(state.p, opts.batch, index));
  const std::string body =
      make_batch(opts.format, opts.source, state.run_id, index * opts.batch, count);
  const test::http_headers headers{{"Content-Type", std::string(content_type(opts.format))},
                                   {"Authorization", "Bearer " + opts.token}};
  ++stats.requests_sent;
  stats.events_sent += count;

  for (;;) {
    test::http_response response;
    if (auto ec = client.try_request("POST", "/v1/events", body, headers, response)) {
      ++stats.transport_errors;
      stats.fail("transport: " + ec.message());
      break;
    }
    if (response.status == 503 && opts.retry_503) {
      // Retry-After: 0 must not turn into a busy loop.
      const auto wake = clock::now() + std::max<clock::duration>(
                                           std::chrono::seconds(retry_after_seconds(response)),
                                           std::chrono::milliseconds(10));
      if (wake >= state.p.deadline) {
        stats.fail("503 until the drain deadline");
        ++stats.http_errors;
        break;
      }
      ++stats.retries_503;
      std::this_thread::sleep_until(wake);
      continue;
    }
    if (response.status != 200) {
      ++stats.http_errors;
      stats.fail("HTTP " + std::to_string(response.status) + ": " + response.body.substr(0, 200));
      break;
    }
    const auto outcome = parse_response(opts.format, response.body, count);
    if (!outcome.ok) {
      ++stats.http_errors;
      stats.fail(outcome.error);
      break;
    }
    const auto now = clock::now();
    stats.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - measured_from).count());
    stats.last_ack = now;
    ++stats.requests_acked;
    stats.events_committed += outcome.committed;
    stats.events_duplicate += outcome.duplicate;
    return true;
  }
  ++stats.requests_failed;
  stats.events_failed += count;
  return false;
}

void run_worker(shared_state& state, worker_stats& stats) {
  const auto& opts = state.opts;
  const auto& p = state.p;
  test::http_client client(
      opts.port,
      {.ipv6 = opts.host == "::1", .request_timeout = std::chrono::milliseconds(opts.timeout_ms)});
  stats.latencies_ns.reserve(static_cast<std::size_t>(
      std::min<std::uint64_t>(p.total_requests / opts.connections + 16, 1u << 20)));
  for (;;) {
    const auto now = clock::now();
    if (now >= p.stop_issuing) break;
    const std::uint64_t i = state.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= p.total_requests) break;
    if (opts.closed_loop) {
      send_one(state, client, i, clock::now(), stats);
      continue;
    }
    const auto planned = p.start + std::chrono::nanoseconds(static_cast<std::int64_t>(
                                       std::llround(static_cast<double>(i) * p.interval_ns)));
    if (planned > now) std::this_thread::sleep_until(planned);
    send_one(state, client, i, planned, stats);
  }
}

double cpu_seconds_self() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Reads one unlabelled sample from Prometheus text, e.g. "process_cpu_seconds_total 1.25".
std::optional<double> metric_value(const std::string& text, std::string_view name) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    if (line.size() > name.size() && line.substr(0, name.size()) == name &&
        (line[name.size()] == ' ' || line[name.size()] == '{')) {
      auto space = line.rfind(' ');
      // A trailing timestamp would make the value the second-to-last field; the server sends none.
      std::string value(line.substr(space + 1));
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (end != value.c_str()) return v;
    }
  }
  return std::nullopt;
}

struct server_sample {
  std::optional<double> cpu_seconds;
  std::optional<double> events_committed;
};

server_sample sample_server(const options& opts) {
  test::http_client client(
      opts.port, {.ipv6 = opts.host == "::1", .request_timeout = std::chrono::seconds(10)});
  test::http_response response;
  if (client.try_request("GET", "/metrics", {}, {}, response) || response.status != 200) return {};
  return {metric_value(response.body, "process_cpu_seconds_total"),
          metric_value(response.body, "crisisline_events_committed_total")};
}

double percentile_ms(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1e6;
}

std::string make_run_id() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  char buf[48];
  std::snprintf(buf, sizeof buf, "lg-%llx-%x", static_cast<unsigned long long>(ns),
                static_cast<unsigned>(::getpid()));
  return buf;
}

std::optional<options> parse_options(int argc, char** argv) {
  namespace po = boost::program_options;
  options opts;
  std::string format = "proto";
  double duration = 0;
  std::uint64_t count = 0;
  unsigned port = 0;
  po::options_description desc(
      "crisisline_loadgen: load generator for POST /v1/events (loopback only)\n"
      "Runs until --duration seconds and/or --count events, whichever ends first");
  auto add = desc.add_options();
  add("help,h", "this text");
  add("host", po::value(&opts.host)->default_value(opts.host),
      "127.0.0.1, localhost or ::1; nothing else");
  add("port", po::value(&port)->required(), "server port");
  add("token", po::value(&opts.token)->default_value(opts.token), "integration bearer token");
  add("source", po::value(&opts.source)->default_value(opts.source), "event source");
  add("rate", po::value(&opts.rate)->default_value(opts.rate),
      "offered load in events/s (open loop)");
  add("batch", po::value(&opts.batch)->default_value(opts.batch), "events per request");
  add("connections", po::value(&opts.connections)->default_value(opts.connections),
      "concurrent keep-alive connections");
  add("duration", po::value(&duration), "seconds to offer load (default 10 without --count)");
  add("count", po::value(&count), "events to send");
  add("format", po::value(&format)->default_value(format), "proto or json");
  add("max", po::bool_switch(&opts.closed_loop),
      "closed loop: each connection sends as fast as acknowledgements come back");
  add("no-retry-503", "count 503 as a failure instead of retrying after Retry-After");
  add("timeout-ms", po::value(&opts.timeout_ms)->default_value(opts.timeout_ms),
      "per-request timeout");
  add("drain", po::value(&opts.drain_s)->default_value(opts.drain_s),
      "seconds after the last planned request to wait for late ones");
  add("json", po::bool_switch(&opts.json), "also print the summary as one JSON line");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help") != 0) {
      std::cout << desc << "\n";
      std::exit(0);
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "crisisline_loadgen: " << e.what() << "\n\n" << desc << "\n";
    return std::nullopt;
  }
  auto refuse = [](const std::string& why) -> std::optional<options> {
    std::cerr << "crisisline_loadgen: " << why << "\n";
    return std::nullopt;
  };
  if (opts.host == "localhost") opts.host = "127.0.0.1";
  if (opts.host != "127.0.0.1" && opts.host != "::1") {
    return refuse("refusing host '" + opts.host + "': loopback only (127.0.0.1, localhost, ::1)");
  }
  if (port == 0 || port > 65535) return refuse("--port must be 1..65535");
  opts.port = static_cast<std::uint16_t>(port);
  if (format == "proto") {
    opts.format = body_format::proto;
  } else if (format == "json") {
    opts.format = body_format::json;
  } else {
    return refuse("--format must be proto or json");
  }
  opts.retry_503 = vm.count("no-retry-503") == 0;
  if (!(opts.rate > 0 && opts.rate <= max_rate)) return refuse("--rate must be in (0, 1e6]");
  if (opts.batch < 1 || opts.batch > max_batch) return refuse("--batch must be 1..10000");
  if (opts.connections < 1 || opts.connections > max_connections) {
    return refuse("--connections must be 1..256");
  }
  if (vm.count("duration") != 0) {
    if (!(duration > 0 && duration <= max_duration_s))
      return refuse("--duration must be in (0, 3600]");
    opts.duration_s = duration;
  }
  if (vm.count("count") != 0) {
    if (count < 1 || count > max_count) return refuse("--count must be 1..100000000");
    opts.count = count;
  }
  if (!opts.duration_s && !opts.count) opts.duration_s = 10;
  if (!(opts.drain_s >= 0 && opts.drain_s <= 600)) return refuse("--drain must be in [0, 600]");
  if (opts.timeout_ms < 1 || opts.timeout_ms > 600'000)
    return refuse("--timeout-ms must be 1..600000");
  return opts;
}

plan make_plan(const options& opts) {
  plan p;
  const double events_by_duration = opts.closed_loop || !opts.duration_s
                                        ? static_cast<double>(max_count)
                                        : std::ceil(*opts.duration_s * opts.rate);
  p.total_events = static_cast<std::uint64_t>(
      std::min(events_by_duration, static_cast<double>(opts.count.value_or(max_count))));
  p.total_events = std::max<std::uint64_t>(p.total_events, 1);
  p.total_requests = (p.total_events + opts.batch - 1) / opts.batch;
  p.interval_ns = 1e9 * opts.batch / opts.rate;
  double window_s;
  if (opts.closed_loop) {
    window_s = opts.duration_s.value_or(max_duration_s);
  } else {
    window_s = static_cast<double>(p.total_requests) * p.interval_ns / 1e9;
  }
  p.start = clock::now() + std::chrono::milliseconds(20);
  p.stop_issuing = p.start + std::chrono::nanoseconds(static_cast<std::int64_t>(window_s * 1e9));
  p.deadline = p.stop_issuing +
               std::chrono::nanoseconds(static_cast<std::int64_t>(opts.drain_s * 1e9)) +
               std::chrono::milliseconds(opts.timeout_ms);
  return p;
}

int run(const options& opts) {
  {
    test::http_client probe(
        opts.port, {.ipv6 = opts.host == "::1", .request_timeout = std::chrono::seconds(10)});
    test::http_response response;
    if (auto ec = probe.try_request("GET", "/healthz", {}, {}, response)) {
      std::cerr << "crisisline_loadgen: cannot reach " << opts.host << ":" << opts.port << ": "
                << ec.message() << "\n";
      return 2;
    }
  }
  const server_sample before = sample_server(opts);
  const double self_cpu_before = cpu_seconds_self();

  plan p = make_plan(opts);
  if (!opts.closed_loop) {
    // Requests not started by the end of the window plus the drain are never sent.
    p.stop_issuing = p.deadline - std::chrono::milliseconds(opts.timeout_ms);
  }
  shared_state state{opts, p, make_run_id()};
  std::vector<worker_stats> stats(opts.connections);
  {
    std::vector<std::jthread> workers;
    for (std::uint32_t c = 0; c < opts.connections; ++c) {
      workers.emplace_back([&state, &s = stats[c]] { run_worker(state, s); });
    }
  }
  const auto end = clock::now();
  const server_sample after = sample_server(opts);
  const double self_cpu = cpu_seconds_self() - self_cpu_before;

  worker_stats total;
  std::vector<std::int64_t> latencies;
  for (auto& s : stats) {
    total.requests_sent += s.requests_sent;
    total.requests_acked += s.requests_acked;
    total.requests_failed += s.requests_failed;
    total.events_sent += s.events_sent;
    total.events_committed += s.events_committed;
    total.events_duplicate += s.events_duplicate;
    total.events_failed += s.events_failed;
    total.retries_503 += s.retries_503;
    total.transport_errors += s.transport_errors;
    total.http_errors += s.http_errors;
    total.last_ack = std::max(total.last_ack, s.last_ack);
    if (total.first_error.empty()) total.first_error = s.first_error;
    latencies.insert(latencies.end(), s.latencies_ns.begin(), s.latencies_ns.end());
  }
  std::sort(latencies.begin(), latencies.end());
  // Closed loop plans no schedule, so nothing can be late.
  const std::uint64_t not_sent =
      opts.closed_loop ? 0 : p.total_requests - std::min(p.total_requests, total.requests_sent);
  const std::uint64_t events_acked = total.events_committed + total.events_duplicate;
  const auto active_end = total.requests_acked > 0 ? total.last_ack : end;
  const double elapsed_s = std::chrono::duration<double>(active_end - p.start).count();
  const double throughput = elapsed_s > 0 ? static_cast<double>(events_acked) / elapsed_s : 0;
  const double p50 = percentile_ms(latencies, 0.50), p90 = percentile_ms(latencies, 0.90),
               p99 = percentile_ms(latencies, 0.99), p999 = percentile_ms(latencies, 0.999),
               pmax = latencies.empty() ? 0 : static_cast<double>(latencies.back()) / 1e6;
  std::optional<double> server_cpu;
  if (before.cpu_seconds && after.cpu_seconds)
    server_cpu = *after.cpu_seconds - *before.cpu_seconds;
  std::optional<double> server_committed;
  if (before.events_committed && after.events_committed) {
    server_committed = *after.events_committed - *before.events_committed;
  }
  const double cpu_us_per_event =
      server_cpu && events_acked > 0 ? *server_cpu * 1e6 / static_cast<double>(events_acked) : 0;

  std::printf("crisisline_loadgen run %s: %s, ", state.run_id.c_str(),
              opts.closed_loop ? "closed loop (--max)" : "open loop");
  if (!opts.closed_loop) std::printf("%.0f events/s offered, ", opts.rate);
  std::printf("batch %u, %u connections, %s\n", opts.batch, opts.connections,
              opts.format == body_format::proto ? "protobuf" : "JSON");
  std::printf(
      "  requests  sent %llu  acked %llu  failed %llu  (503 retries %llu, never sent %llu)\n",
      static_cast<unsigned long long>(total.requests_sent),
      static_cast<unsigned long long>(total.requests_acked),
      static_cast<unsigned long long>(total.requests_failed),
      static_cast<unsigned long long>(total.retries_503),
      static_cast<unsigned long long>(not_sent));
  std::printf("  events    sent %llu  committed %llu  duplicate %llu  failed %llu\n",
              static_cast<unsigned long long>(total.events_sent),
              static_cast<unsigned long long>(total.events_committed),
              static_cast<unsigned long long>(total.events_duplicate),
              static_cast<unsigned long long>(total.events_failed));
  std::printf("  throughput %.0f events/s acknowledged over %.2f s\n", throughput, elapsed_s);
  std::printf("  ack latency (ms, from %s): p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f\n",
              opts.closed_loop ? "send" : "planned send time", p50, p90, p99, p999, pmax);
  if (server_cpu) {
    std::printf("  server CPU %.3f s = %.1f us/event (%.2f cores)", *server_cpu, cpu_us_per_event,
                elapsed_s > 0 ? *server_cpu / elapsed_s : 0);
  } else {
    std::printf("  server CPU unknown (no process_cpu_seconds_total in /metrics)");
  }
  std::printf("; loadgen CPU %.3f s\n", self_cpu);
  if (server_committed) {
    std::printf("  server crisisline_events_committed_total +%.0f\n", *server_committed);
  }
  if (!total.first_error.empty()) std::printf("  first error: %s\n", total.first_error.c_str());
  if (total.events_duplicate > 0) {
    std::printf("  WARNING: DUPLICATE results for source_event_ids that are unique to this run\n");
  }
  if (not_sent > 0) {
    std::printf(
        "  WARNING: the client fell behind; %llu planned requests were never sent, so the\n"
        "  latency figures are a lower bound. Use more --connections.\n",
        static_cast<unsigned long long>(not_sent));
  }
  if (opts.json) {
    std::printf(
        "{\"run\":\"%s\",\"mode\":\"%s\",\"rate\":%.1f,\"batch\":%u,\"connections\":%u,"
        "\"format\":\"%s\",\"requests_sent\":%llu,\"requests_acked\":%llu,\"requests_failed\":%llu,"
        "\"requests_not_sent\":%llu,\"retries_503\":%llu,\"events_sent\":%llu,"
        "\"events_committed\":%llu,\"events_duplicate\":%llu,\"events_failed\":%llu,"
        "\"elapsed_s\":%.3f,\"throughput_eps\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,"
        "\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},\"server_cpu_s\":%.4f,"
        "\"server_cpu_us_per_event\":%.2f,\"loadgen_cpu_s\":%.4f}\n",
        state.run_id.c_str(), opts.closed_loop ? "max" : "open", opts.closed_loop ? 0.0 : opts.rate,
        opts.batch, opts.connections, opts.format == body_format::proto ? "proto" : "json",
        static_cast<unsigned long long>(total.requests_sent),
        static_cast<unsigned long long>(total.requests_acked),
        static_cast<unsigned long long>(total.requests_failed),
        static_cast<unsigned long long>(not_sent),
        static_cast<unsigned long long>(total.retries_503),
        static_cast<unsigned long long>(total.events_sent),
        static_cast<unsigned long long>(total.events_committed),
        static_cast<unsigned long long>(total.events_duplicate),
        static_cast<unsigned long long>(total.events_failed), elapsed_s, throughput, p50, p90, p99,
        p999, pmax, server_cpu.value_or(-1), server_cpu ? cpu_us_per_event : -1.0, self_cpu);
  }
  return total.requests_failed == 0 && not_sent == 0 && total.events_duplicate == 0 ? 0 : 1;
}

}  // namespace
}  // namespace crisisline::loadgen

int main(int argc, char** argv) {
  auto opts = crisisline::loadgen::parse_options(argc, argv);
  if (!opts) return 2;
  return crisisline::loadgen::run(*opts);
}
