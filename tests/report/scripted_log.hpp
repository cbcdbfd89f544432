#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>
#include <string>
#include <vector>

#include "app/report_format.hpp"
#include "codec/event_codec.hpp"
#include "crisisline/v1/event.pb.h"
#include "store/writer.hpp"

// Writes a scripted event log straight into SQLite with chosen recorded times,
// as the server would have committed it, and runs the real binary on it.
namespace crisisline::report_test {

class scripted_log {
 public:
  explicit scripted_log(std::filesystem::path db) : db_(std::move(db)) {}

  // Sets the recorded time of the events that follow.
  void at(std::string_view iso) { now_ = app::parse_utc(iso).value(); }

  std::uint64_t call(const std::string& call_id, v1::CallStatus status,
                     v1::RouteOfAccess route = v1::ROUTE_OF_ACCESS_UNSPECIFIED,
                     const std::string& area = "", const std::string& from = "") {
    v1::Event e = envelope("pbx");
    auto* c = e.mutable_call();
    c->set_call_id(call_id);
    c->set_status(status);
    c->set_route(route);
    c->set_area(area);
    c->set_from(from);
    c->set_to("+448000000111");
    return add(std::move(e));
  }
  std::uint64_t keyword_text(const std::string& message_id, const std::string& from,
                             const std::string& body, const std::string& area) {
    v1::Event e = envelope("sms");
    auto* k = e.mutable_keyword_text();
    k->mutable_text()->set_message_id(message_id);
    k->mutable_text()->set_from(from);
    k->mutable_text()->set_to("85258");
    k->mutable_text()->set_body(body);
    k->set_keyword("NORTH");
    k->set_area(area);
    return add(std::move(e));
  }
  // `fill` sets the command on the ConsoleCommand.
  template <typename Fill>
  std::uint64_t console(const std::string& nurse, Fill fill) {
    v1::Event e = envelope("console");
    e.mutable_console()->set_nurse_id(nurse);
    fill(*e.mutable_console());
    return add(std::move(e));
  }
  std::uint64_t sign_on(const std::string& nurse) {
    return console(nurse, [](v1::ConsoleCommand& c) { c.mutable_sign_on(); });
  }
  std::uint64_t sign_off(const std::string& nurse) {
    return console(nurse, [](v1::ConsoleCommand& c) { c.mutable_sign_off(); });
  }
  std::uint64_t accept(const std::string& nurse, std::uint64_t contact) {
    return console(nurse,
                   [&](v1::ConsoleCommand& c) { c.mutable_accept()->set_contact_id(contact); });
  }
  std::uint64_t close(const std::string& nurse, std::uint64_t contact, const std::string& outcome) {
    return console(nurse, [&](v1::ConsoleCommand& c) {
      c.mutable_close()->set_contact_id(contact);
      c.mutable_close()->set_outcome_code(outcome);
    });
  }
  // Any event: `fill` sets its payload (and may change the envelope).
  template <typename Fill>
  std::uint64_t custom(const std::string& source, Fill fill) {
    v1::Event e = envelope(source);
    fill(e);
    return add(std::move(e));
  }
  // An event built elsewhere (e.g. a planned retention purge), recorded now.
  std::uint64_t prepared(v1::Event e) {
    *e.mutable_recorded_time() = codec::to_proto_time(now_);
    return add(std::move(e));
  }
  [[nodiscard]] const v1::Event& event(std::uint64_t seq) const { return events_.at(seq - 1); }
  std::uint64_t timer() {
    v1::Event e = envelope("system");
    e.clear_source_event_id();
    e.mutable_timer()->set_reason("deadline");
    return add(std::move(e));
  }

  // Commits every event added since the last commit in one transaction, as a
  // group commit would, feeding `projection` if given.
  void commit(store::projection* projection = nullptr) {
    std::promise<std::vector<store::commit_result>> done;
    {
      store::writer w(
          db_, store::writer_options{}, [](std::function<void()> fn) { fn(); },
          [](const std::string& what) {
            std::fprintf(stderr, "commit failed: %s\n", what.c_str());
          },
          projection);
      std::vector<store::event_record> records;
      for (std::size_t i = committed_; i < events_.size(); ++i) {
        const v1::Event& e = events_[i];
        records.push_back(store::event_record{
            .recorded_at_us = core::to_micros(codec::from_proto_time(e.recorded_time())),
            .kind = std::string(codec::payload_kind(e)),
            .source = e.source(),
            .source_event_id = e.source_event_id(),
            .actor = codec::actor_label(e.actor()),
            .payload = e.SerializeAsString()});
      }
      if (w.submit(std::move(records), [&](std::vector<store::commit_result> r) {
            done.set_value(std::move(r));
          }) != store::writer::submit_status::accepted) {
        throw std::runtime_error("submit refused");
      }
      w.stop();
    }
    const auto results = done.get_future().get();
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].seq != committed_ + i + 1 || results[i].duplicate)
        throw std::runtime_error("unexpected seq");
    }
    committed_ += results.size();
  }

 private:
  v1::Event envelope(const std::string& source) {
    v1::Event e;
    e.set_source(source);
    e.set_source_event_id(source + "-" + std::to_string(events_.size() + 1));
    *e.mutable_recorded_time() = codec::to_proto_time(now_);
    e.mutable_actor()->set_kind(v1::Actor::INTEGRATION);
    e.mutable_actor()->set_id("test");
    return e;
  }
  std::uint64_t add(v1::Event e) {
    events_.push_back(std::move(e));
    return events_.size();
  }

  std::filesystem::path db_;
  core::timestamp now_{};
  std::vector<v1::Event> events_;
  std::size_t committed_ = 0;
};

struct run_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the crisisline binary with `args` (no shell metacharacters expected).
inline run_result run_binary(const std::vector<std::string>& args,
                             const std::filesystem::path& scratch) {
  std::string cmd = CRISISLINE_BINARY;
  for (const std::string& a : args) cmd += " '" + a + "'";
  const auto err_file = scratch / "stderr.txt";
  cmd += " 2>'" + err_file.string() + "'";
  run_result r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) throw std::runtime_error("popen failed");
  char buf[65536];
  while (const auto n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}

}  // namespace crisisline::report_test
