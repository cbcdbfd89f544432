// Overload: far more offered load than the writer can commit, from clients
// that ignore Retry-After. The server must stay up, refuse the excess with 503
// and Retry-After once the writer backlog is full, keep its memory bounded and
// lose nothing it acknowledged.

#include <catch2/catch.hpp>

#include <iostream>

#include "fault_harness.hpp"

namespace {

using namespace crisisline::fault_test;
using crisisline::test::ack_ledger;
using crisisline::test::http_client;
using crisisline::test::server_process;

// Generous: the server idles at a few tens of MiB. The test fails on
// unbounded growth, never on timing.
constexpr std::uint64_t rss_ceiling = 512ull * 1024 * 1024;
constexpr auto overload_duration = 8s;

}  // namespace

TEST_CASE(
    "at ten times the benchmark rate the server stays up, sheds load with 503 and keeps "
    "memory bounded",
    "[overload]") {
  rig r("store { max_backlog_events: 40 max_commit_events: 40 retry_after_seconds: 1 }");
  ack_ledger ledger;
  auto server = server_process::start(r.options());
  endpoint current(server.port());

  std::atomic<bool> done{false};
  std::uint64_t health_checks = 0;
  std::uint64_t health_failures = 0;
  std::uint64_t max_rss = 0;
  std::uint64_t first_rss = resident_bytes(server.pid());
  std::string health_error;
  // Liveness and memory sampled every 50 ms from a connection of its own.
  std::thread monitor([&] {
    http_client probe(server.port(), {.request_timeout = 10s});
    while (!done) {
      crisisline::test::http_response response;
      const auto ec = probe.try_request("GET", "/healthz", {}, {}, response);
      ++health_checks;
      if (ec || response.status != 200) {
        ++health_failures;
        if (health_error.empty()) {
          health_error = ec ? ec.message() : "HTTP " + std::to_string(response.status);
        }
      }
      max_rss = std::max(max_rss, resident_bytes(server.pid()));
      std::this_thread::sleep_for(50ms);
    }
  });

  // 64 connections x 10 events, closed loop, a 503 retried after 2 ms: the
  // README's fixed-rate benchmark is 2,000 events/s; this offers well over ten
  // times that, against a backlog limit of 40 events.
  const auto started = clock_type::now();
  load traffic(current, ledger,
               {.clients = 64, .batch = 10, .tag = "overload", .retry_503_after = 2ms});
  std::this_thread::sleep_for(overload_duration);
  traffic.stop();
  const double seconds = std::chrono::duration<double>(clock_type::now() - started).count();
  done = true;
  monitor.join();

  auto& stats = traffic.stats();
  INFO("server log tail:\n"
       << server.log_tail() << "\nfirst client error: " << stats.first_error
       << "\nfirst health error: " << health_error);
  const double offered = static_cast<double>(stats.requests) * 10 / seconds;
  const double acked = static_cast<double>(stats.acked_events) / seconds;
  std::cout << "overload: " << seconds << " s, offered " << offered << " events/s, acked " << acked
            << " events/s, 503 " << stats.responses_503 << " of " << stats.requests
            << " requests, ack latency p50 " << percentile(stats.ack_latency_us, 0.5) / 1000.0
            << " ms p99 " << percentile(stats.ack_latency_us, 0.99) / 1000.0 << " ms, healthz "
            << health_checks << " checks " << health_failures << " failed, RSS " << first_rss / 1024
            << " KiB at start, max " << max_rss / 1024 << " KiB\n";

  CHECK(health_checks > 0);
  CHECK(health_failures == 0);
  CHECK(stats.transport_errors == 0);
  CHECK(stats.other_status == 0);
  CHECK(stats.responses_503 > 0);
  CHECK(stats.missing_retry_after == 0);
  CHECK(stats.acked_events > 0);
  CHECK(max_rss > 0);
  CHECK(max_rss < rss_ceiling);

  http_client probe(server.port());
  CHECK(probe.request("GET", "/readyz").status == 200);
  const auto status = server.stop();
  CHECK(status.clean());
  const auto report = ledger.check(crisisline::test::read_stored_events(r.db(), event_source));
  std::cout << "overload: " << report.summary() << "\n";
  INFO(report.summary());
  CHECK(report.ok());
}
