#include "app/ops_endpoints.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "app/shift_log_projection.hpp"

namespace crisisline::app {
namespace {

void counter(std::string& out, std::string_view name, std::string_view help, double v,
             std::string_view type = "counter") {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ");
  if (v == static_cast<double>(static_cast<std::uint64_t>(v))) {
    out.append(std::to_string(static_cast<std::uint64_t>(v)));
  } else {
    out.append(std::to_string(v));
  }
  out.append("\n");
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

std::string render_metrics(const ops_sources& s) {
  std::string out;
  out.reserve(4096);
  const auto& w = s.writer.metrics();
  counter(out, "crisisline_events_committed_total", "Events newly committed to the log.",
          static_cast<double>(w.events_committed.load()));
  counter(out, "crisisline_events_duplicate_total",
          "Events refused as repeats of a committed (source, source_event_id).",
          static_cast<double>(w.duplicates.load()));
  counter(out, "crisisline_commits_total", "Group commits.", static_cast<double>(w.commits.load()));
  if (s.shift_log != nullptr) {
    counter(out, "crisisline_shift_log_events_total",
            "Events the shift-log projection applied inside their commit.",
            static_cast<double>(s.shift_log->events_projected()));
    counter(out, "crisisline_shift_log_cpu_seconds_total",
            "Writer-thread CPU time spent projecting the shift log.",
            s.shift_log->cpu_seconds_projecting());
  }
  counter(out, "crisisline_checkpoints_total", "WAL checkpoints completed.",
          static_cast<double>(w.checkpoints.load()));
  counter(out, "crisisline_checkpoint_failures_total", "WAL checkpoints that failed (I/O error).",
          static_cast<double>(w.checkpoint_failures.load()));
  counter(out, "crisisline_wal_frames", "WAL frames at the last checkpoint.",
          static_cast<double>(w.wal_frames.load()), "gauge");
  counter(out, "crisisline_wal_frames_checkpointed",
          "WAL frames the last checkpoint copied into the database.",
          static_cast<double>(w.wal_frames_checkpointed.load()), "gauge");
  counter(out, "crisisline_writer_backlog_events",
          "Events queued for the writer, not yet committed.",
          static_cast<double>(w.backlog_events.load()), "gauge");
  counter(out, "crisisline_writer_rejected_total",
          "Submissions refused because the backlog was full.",
          static_cast<double>(w.rejected_backlog_full.load()));
  w.commit_seconds.render(out, "crisisline_commit_seconds", "Time to commit one group.");
  w.commit_batch_events.render(out, "crisisline_commit_batch_events", "Events per group commit.");
  const auto& st = s.pipeline.engine().stats();
  counter(out, "crisisline_events_applied_total", "Events applied to the in-memory state.",
          static_cast<double>(st.applied));
  counter(out, "crisisline_last_applied_seq", "Seq of the last applied event.",
          static_cast<double>(st.last_seq), "gauge");
  if (const auto* server = s.server()) {
    counter(out, "crisisline_http_connections", "Open HTTP connections.",
            static_cast<double>(server->connection_count()), "gauge");
    counter(out, "crisisline_http_requests_total", "HTTP requests read.",
            static_cast<double>(server->requests_total()));
  }
  counter(out, "process_cpu_seconds_total", "User and system CPU time of this process.",
          cpu_seconds());
  counter(out, "process_resident_memory_bytes", "Resident memory.", resident_bytes(), "gauge");
  return out;
}

void add_ops_routes(net::router& r, ops_sources sources) {
  auto shared = std::make_shared<ops_sources>(std::move(sources));
  r.add("GET", "/healthz", [](net::http_request&&, net::responder respond) {
    respond(net::http_response::text(200, R"({"status":"alive"})", "application/json"));
  });
  r.add("GET", "/readyz", [shared](net::http_request&&, net::responder respond) {
    if (!shared->writer.healthy()) {
      return respond(
          net::http_response::error(503, "not_ready", "the event log writer has failed"));
    }
    if (shared->writer.checkpoints_failing()) {
      return respond(net::http_response::error(
          503, "not_ready", "WAL checkpoints keep failing (disk error); the WAL is growing"));
    }
    if (shared->draining()) {
      return respond(net::http_response::error(503, "not_ready", "shutting down"));
    }
    respond(net::http_response::text(200, R"({"status":"ready"})", "application/json"));
  });
  r.add("GET", "/metrics", [shared](net::http_request&&, net::responder respond) {
    respond(net::http_response::text(200, render_metrics(*shared),
                                     "text/plain; version=0.0.4; charset=utf-8"));
  });
}

}  // namespace crisisline::app
