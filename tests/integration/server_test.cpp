#include <google/protobuf/util/json_util.h>

#include <atomic>
#include <set>
#include <thread>

#include "crisisline/v1/event.pb.h"
#include "server_fixture.hpp"

using namespace crisisline::test;
namespace json = boost::json;

namespace {

std::vector<std::pair<std::string, std::uint64_t>> results_of(const http_response& r) {
  REQUIRE(r.status == 200);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  const auto body = json_of(r);
  for (const auto& v : body.at("results").as_array()) {
    const auto& o = v.as_object();
    out.emplace_back(std::string(o.at("status").as_string()),
                     std::stoull(std::string(o.at("seq").as_string())));
  }
  return out;
}

std::uint64_t metric(server_fixture& s, std::string_view name) {
  const auto body = s.get("/metrics").body;
  const auto pos = body.find("\n" + std::string(name) + " ");
  REQUIRE(pos != std::string::npos);
  return std::stoull(body.substr(pos + name.size() + 2));
}

}  // namespace

TEST_CASE("the server answers health, readiness and metrics once it listens") {
  server_fixture s;
  CHECK(s.get("/healthz").status == 200);
  const auto ready = s.get("/readyz");
  CHECK(ready.status == 200);
  CHECK(json_of(ready).at("status") == "ready");
  const auto m = s.get("/metrics");
  CHECK(m.status == 200);
  CHECK(m.header("content-type").starts_with("text/plain"));
  CHECK(m.body.find("# TYPE crisisline_events_committed_total counter") != std::string::npos);
  CHECK(m.body.find("crisisline_commit_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  CHECK(m.body.find("process_cpu_seconds_total") != std::string::npos);
}

TEST_CASE("every committed event is projected into the shift log inside its commit") {
  server_fixture s;
  REQUIRE(results_of(s.post_json("/v1/events", text_batch({"a", "b", "a"}))).size() == 3);
  // One scrape, so a timer event committed in between cannot split the pair.
  const std::string body = s.get("/metrics").body;
  const auto value = [&](const std::string& name) {
    const auto pos = body.find("\n" + name + " ");
    REQUIRE(pos != std::string::npos);
    return std::stoull(body.substr(pos + name.size() + 2));
  };
  CHECK(value("crisisline_events_committed_total") >= 2);
  CHECK(value("crisisline_shift_log_events_total") == value("crisisline_events_committed_total"));
  CHECK(body.find("# TYPE crisisline_shift_log_cpu_seconds_total counter") != std::string::npos);
}

TEST_CASE("the web console is served from the binary at / without a token") {
  server_fixture s;
  const auto page = s.get("/");
  REQUIRE(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("x-content-type-options") == "nosniff");
  CHECK(page.header("content-security-policy").find("script-src 'self'") != std::string::npos);
  CHECK(page.body.find("/console/app.js") != std::string::npos);

  const auto script = s.get("/console/app.js");
  CHECK(script.status == 200);
  CHECK(script.header("content-type") == "text/javascript; charset=utf-8");
  const auto again =
      s.client().request("GET", "/console/app.js", {}, {{"If-None-Match", script.header("etag")}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());

  CHECK(s.get("/console/nothing.js").status == 404);
  CHECK(s.get("/console/../README.md").status == 404);
  // The API next to it still wants a token.
  CHECK(s.get("/v1/queue").status == 401);
}

TEST_CASE("ingested events are acknowledged with their committed seq, and repeats are duplicates") {
  server_fixture s;
  auto r = results_of(s.post_json("/v1/events", text_batch({"a", "b", "a"})));
  REQUIRE(r.size() == 3);
  CHECK(r[0] == std::pair<std::string, std::uint64_t>{"COMMITTED", 1});
  CHECK(r[1] == std::pair<std::string, std::uint64_t>{"COMMITTED", 2});
  CHECK(r[2] == std::pair<std::string, std::uint64_t>{"DUPLICATE", 1});

  r = results_of(s.post_json("/v1/events", text_batch({"b", "c"})));
  CHECK(r[0] == std::pair<std::string, std::uint64_t>{"DUPLICATE", 2});
  CHECK(r[1] == std::pair<std::string, std::uint64_t>{"COMMITTED", 3});

  const auto log = s.export_events();
  REQUIRE(log.size() == 3);
  CHECK(log[2].at("seq").as_int64() == 3);
  const auto& ev = log[2].at("event").as_object();
  CHECK(ev.at("sourceEventId") == "c");
  // The actor is the integration that held the token, whatever the body said.
  CHECK(ev.at("actor").as_object().at("kind") == "INTEGRATION");
  CHECK(ev.at("actor").as_object().at("id") == "test");
  CHECK(ev.contains("recordedTime"));
}

TEST_CASE("protobuf binary ingest answers in protobuf") {
  server_fixture s;
  crisisline::v1::EventBatch batch;
  auto* e = batch.add_events();
  e->set_source("pbx");
  e->set_source_event_id("CA1:1");
  auto* call = e->mutable_call();
  call->set_call_id("CA1");
  call->set_status(crisisline::v1::CALL_OFFERED);
  call->set_to("+448001234567");
  const auto res = s.client().request(
      "POST", "/v1/events", batch.SerializeAsString(),
      {{"Content-Type", "application/x-protobuf"}, {"Authorization", "Bearer test-token"}});
  REQUIRE(res.status == 200);
  CHECK(res.header("content-type") == "application/x-protobuf");
  crisisline::v1::IngestResponse out;
  REQUIRE(out.ParseFromString(res.body));
  REQUIRE(out.results_size() == 1);
  CHECK(out.results(0).status() == crisisline::v1::IngestResult::COMMITTED);
  CHECK(out.results(0).seq() == 1);
}

TEST_CASE("bad input gets a clear 4xx and writes nothing") {
  server_fixture s(R"(server { max_body_bytes: 4096 max_events_per_batch: 3 })");
  struct bad_case {
    std::string name;
    http_response response;
    int status;
    std::string error;
  };
  std::vector<bad_case> cases;
  cases.push_back(
      {"no token", s.post_json("/v1/events", text_batch({"x"}), ""), 401, "unauthorized"});
  cases.push_back(
      {"wrong token", s.post_json("/v1/events", text_batch({"x"}), "nope"), 401, "unauthorized"});
  cases.push_back({"not json", s.post_json("/v1/events", "{not json"), 400, "invalid_body"});
  cases.push_back(
      {"unknown field",
       s.post_json("/v1/events", R"({"events":[{"source":"a","sourceEventId":"b","bogus":1}]})"),
       400, "invalid_body"});
  cases.push_back(
      {"no id",
       s.post_json("/v1/events", R"({"events":[{"source":"a","text":{"messageId":"m"}}]})"), 400,
       "invalid_event"});
  cases.push_back(
      {"one bad in batch",
       s.post_json(
           "/v1/events",
           R"({"events":[{"source":"a","sourceEventId":"ok","text":{"messageId":"m"}},{"source":"a","sourceEventId":"b"}]})"),
       400, "invalid_event"});
  cases.push_back(
      {"empty batch", s.post_json("/v1/events", R"({"events":[]})"), 400, "empty_batch"});
  cases.push_back({"too many events", s.post_json("/v1/events", text_batch({"1", "2", "3", "4"})),
                   413, "too_many_events"});
  cases.push_back({"not protobuf",
                   s.client().request("POST", "/v1/events", "\xff\xff\xff",
                                      {{"Content-Type", "application/x-protobuf"},
                                       {"Authorization", "Bearer test-token"}}),
                   400, "invalid_body"});
  cases.push_back(
      {"wrong media type",
       s.client().request("POST", "/v1/events", "x",
                          {{"Content-Type", "text/plain"}, {"Authorization", "Bearer test-token"}}),
       415, "unsupported_media_type"});
  cases.push_back({"unknown path", s.get("/v2/nothing"), 404, "not_found"});
  cases.push_back({"wrong method", s.get("/v1/events"), 405, "method_not_allowed"});
  for (const auto& c : cases) {
    INFO(c.name << ": " << c.response.body);
    CHECK(c.response.status == c.status);
    CHECK(c.response.header("content-type") == "application/json");
    const auto body = json_of(c.response);
    CHECK(body.at("error") == c.error.c_str());
    CHECK_FALSE(body.at("detail").as_string().empty());
  }
  CHECK(json_of(cases[4].response).at("detail").as_string().find("events[0]") !=
        json::string::npos);
  CHECK(json_of(cases[5].response).at("detail").as_string().find("events[1]") !=
        json::string::npos);

  SECTION("an oversized body gets 413 and the connection is closed") {
    const auto big = s.post_json("/v1/events", std::string(8192, ' '));
    CHECK(big.status == 413);
    CHECK(json_of(big).at("error") == "payload_too_large");
  }
  SECTION("the server still serves after all of that") {
    CHECK(results_of(s.post_json("/v1/events", text_batch({"fine"})))[0].second == 1);
  }
  CHECK(metric(s, "crisisline_events_committed_total") <= 1);
}

TEST_CASE("committed events survive a restart and stay duplicates") {
  server_fixture s;
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) ids.push_back("r" + std::to_string(i));
  REQUIRE(results_of(s.post_json("/v1/events", text_batch(ids))).size() == 200);
  const auto st = s.restart();
  CHECK(st.clean());
  CHECK(s.process().log().find(R"("msg":"recovered","events":200)") != std::string::npos);
  CHECK(metric(s, "crisisline_events_applied_total") == 200);
  const auto r = results_of(s.post_json("/v1/events", text_batch({"r7", "new"})));
  CHECK(r[0] == std::pair<std::string, std::uint64_t>{"DUPLICATE", 8});
  CHECK(r[1] == std::pair<std::string, std::uint64_t>{"COMMITTED", 201});
}

TEST_CASE("SIGTERM finishes in-flight work and exits 0") {
  server_fixture s;
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0};
  std::set<std::string> acked_ids;
  std::mutex m;
  std::thread client([&] {
    http_client c(s.process().port());
    for (int i = 0; !stop && i < 100000; ++i) {
      const auto id = "t" + std::to_string(i);
      http_response r;
      if (c.try_request(
              "POST", "/v1/events", text_batch({id}),
              {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-token"}}, r)) {
        break;
      }
      if (r.status == 200) {
        std::lock_guard lock(m);
        acked_ids.insert(id);
        ++acked;
      }
    }
  });
  while (acked < 20) std::this_thread::yield();
  const auto st = s.stop();
  stop = true;
  client.join();
  CHECK(st.clean());
  CHECK(s.process().log().find(R"("msg":"stopped")") != std::string::npos);
  const auto log = s.export_events();
  std::set<std::string> stored;
  for (const auto& l : log)
    stored.insert(std::string(l.at("event").as_object().at("sourceEventId").as_string()));
  for (const auto& id : acked_ids) CHECK(stored.count(id) == 1);
}

TEST_CASE("a full writer backlog answers 503 with Retry-After and never writes the refused event") {
  server_fixture s(
      R"(store { max_backlog_events: 2 max_commit_events: 1 retry_after_seconds: 3 })");
  std::mutex m;
  std::set<std::string> acked;
  std::set<std::string> refused;
  std::vector<std::thread> ts;
  for (int t = 0; t < 6; ++t) {
    ts.emplace_back([&, t] {
      http_client c(s.process().port());
      for (int i = 0; i < 60; ++i) {
        const auto id = std::to_string(t) + "-" + std::to_string(i);
        const auto r = c.request(
            "POST", "/v1/events", text_batch({id}),
            {{"Content-Type", "application/json"}, {"Authorization", "Bearer test-token"}});
        std::lock_guard lock(m);
        if (r.status == 200) {
          acked.insert(id);
        } else {
          CHECK(r.status == 503);
          CHECK(r.header("retry-after") == "3");
          refused.insert(id);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  std::set<std::string> stored;
  for (const auto& l : s.export_events())
    stored.insert(std::string(l.at("event").as_object().at("sourceEventId").as_string()));
  CHECK(stored == acked);
  CHECK(acked.size() + refused.size() == 360);
}

TEST_CASE("an invalid configuration stops start-up with the position of the problem") {
  temp_dir dir;
  write_file(dir / "bad.textproto", "server {\n  listen: 8080\n}\n");
  auto p = server_process::spawn(
      server_options{.binary = CRISISLINE_BINARY,
                     .args = {"serve", "--config", (dir / "bad.textproto").string()},
                     .log_file = dir / "log"});
  std::optional<exit_status> st;
  for (int i = 0; i < 500 && !(st = p.try_wait()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(st.has_value());
  CHECK(st->exited);
  CHECK(st->code == 2);
  CHECK(p.log().find("bad.textproto:2:") != std::string::npos);
}

TEST_CASE("a clinical configuration error stops start-up before the database is touched") {
  temp_dir dir;
  write_file(dir / "bad.textproto", "queue { danger_band: \"Z\" }\n");
  auto p = server_process::spawn(
      server_options{.binary = CRISISLINE_BINARY,
                     .args = {"serve", "--config", (dir / "bad.textproto").string(), "--db",
                              (dir / "x.db").string()},
                     .log_file = dir / "log"});
  std::optional<exit_status> st;
  for (int i = 0; i < 500 && !(st = p.try_wait()); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  REQUIRE(st.has_value());
  CHECK(st->code == 2);
  CHECK(p.log().find("danger_band") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "x.db"));
}
