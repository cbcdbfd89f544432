#pragma once

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace crisisline::test {

// The real server on 127.0.0.1:<ephemeral> with a temp database, and a client
// that talks to it as an integration would.
class server_fixture {
 public:
  explicit server_fixture(std::string extra_config = {}) : extra_(std::move(extra_config)) {
    start();
  }

  void start() {
    // The database comes from --db so `extra` may carry its own store { }.
    write_file(dir_ / "crisisline.textproto",
               "integration_tokens { name: \"test\" token: \"test-token\" }\n" + extra_);
    server_ = server_process::start(
        server_options{.binary = CRISISLINE_BINARY,
                       .args = {"serve", "--config", (dir_ / "crisisline.textproto").string(),
                                "--listen", "127.0.0.1:0", "--db", db().string()},
                       .log_file = dir_ / "server.log"});
    client_.set_port(server_->port());
  }

  exit_status stop() { return server_->stop(); }
  exit_status restart() {
    auto s = stop();
    start();
    return s;
  }

  http_response post_json(std::string_view target, std::string_view body,
                          std::string token = "test-token") {
    http_headers h{{"Content-Type", "application/json"}};
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return client_.request("POST", target, body, h);
  }
  http_response get(std::string_view target) { return client_.request("GET", target); }

  [[nodiscard]] std::filesystem::path db() const { return dir_ / "crisisline.db"; }
  server_process& process() { return *server_; }
  http_client& client() { return client_; }
  const temp_dir& dir() const { return dir_; }

  // Runs `crisisline export <what> --db <db> <args>`, which must exit 0, and
  // returns one parsed object per line of its output.
  std::vector<boost::json::object> export_lines(const std::string& what,
                                                const std::string& args = {}) {
    const std::string cmd = std::string(CRISISLINE_BINARY) + " export " + what + " --db " +
                            db().string() + " " + args + " 2>/dev/null";
    std::vector<boost::json::object> out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string text;
    char buf[65536];
    while (auto n = std::fread(buf, 1, sizeof buf, p)) text.append(buf, n);
    REQUIRE(pclose(p) == 0);
    std::size_t start = 0;
    while (start < text.size()) {
      const auto nl = text.find('\n', start);
      out.push_back(boost::json::parse(text.substr(start, nl - start)).as_object());
      start = nl + 1;
    }
    return out;
  }
  std::vector<boost::json::object> export_events(std::uint64_t since = 0) {
    return export_lines("events", "--since " + std::to_string(since));
  }
  // The audit trail, its chain verified (export audit exits 0 only then).
  std::vector<boost::json::object> export_audit() { return export_lines("audit"); }

  // One inbound text, as an integration delivers it to POST /v1/events.
  void post_text(const std::string& id, const std::string& from, const std::string& body) {
    const boost::json::object batch{
        {"events",
         boost::json::array{boost::json::object{
             {"source", "itest"},
             {"sourceEventId", id},
             {"text",
              boost::json::object{
                  {"messageId", id}, {"from", from}, {"to", "+447700900000"}, {"body", body}}}}}}};
    REQUIRE(post_json("/v1/events", boost::json::serialize(batch)).status == 200);
  }

 private:
  temp_dir dir_;
  std::string extra_;
  std::optional<server_process> server_;
  http_client client_{0};
};

inline boost::json::object json_of(const http_response& r) {
  INFO(r.body);
  return boost::json::parse(r.body).as_object();
}

// A JSON EventBatch of text events with the given source_event_ids.
inline std::string text_batch(const std::vector<std::string>& ids) {
  boost::json::array events;
  for (const auto& id : ids) {
    events.push_back(boost::json::object{{"source", "itest"},
                                         {"sourceEventId", id},
                                         {"text", boost::json::object{{"messageId", id},
                                                                      {"from", "+447700900123"},
                                                                      {"to", "+447700900000"},
                                                                      {"body", "hello"}}}});
  }
  return boost::json::serialize(boost::json::object{{"events", events}});
}

}  // namespace crisisline::test
