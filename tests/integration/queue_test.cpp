#include <chrono>
#include <thread>

#include "server_fixture.hpp"

using namespace crisisline::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string console(const std::string& id, const std::string& nurse, json::object command) {
  json::object ev{{"source", "console"}, {"sourceEventId", id}};
  command["nurseId"] = nurse;
  ev["console"] = std::move(command);
  return json::serialize(json::object{{"events", json::array{ev}}});
}

std::string text(const std::string& id, const std::string& from, const std::string& body) {
  return json::serialize(json::object{
      {"events", json::array{json::object{{"source", "twilio"},
                                          {"sourceEventId", id},
                                          {"text", json::object{{"messageId", id},
                                                                {"from", from},
                                                                {"to", "+447700900000"},
                                                                {"body", body}}}}}}});
}

json::object result(const http_response& r) {
  REQUIRE(r.status == 200);
  return json_of(r).at("results").as_array().at(0).as_object();
}

json::object authed_get(server_fixture& s, const std::string& target) {
  const auto r = s.client().request("GET", target, {}, {{"Authorization", "Bearer test-token"}});
  INFO(target << " -> " << r.body);
  REQUIRE(r.status == 200);
  return json_of(r);
}

}  // namespace

TEST_CASE("a risky text is raised, queued with a reason, offered to a nurse and accepted") {
  server_fixture s;
  CHECK(s.client().request("GET", "/v1/queue").status == 401);

  const auto contact_seq = std::stoull(std::string(
      result(s.post_json("/v1/events", text("SM1", "+447700900123",
                                            "I have taken 16 paracetamol and I'm scared")))
          .at("seq")
          .as_string()));
  auto queue = authed_get(s, "/v1/queue");
  REQUIRE(queue.at("waiting").as_int64() == 1);
  const auto& entry = queue.at("entries").as_array().at(0).as_object();
  CHECK(entry.at("contact_id").as_int64() == static_cast<std::int64_t>(contact_seq));
  CHECK(entry.at("rank").as_int64() == 1);
  CHECK(entry.at("channel") == "text");
  CHECK(std::string(entry.at("band").as_string()) < "C");  // raised above the default C
  CHECK_FALSE(entry.at("reason").as_string().empty());

  auto detail = authed_get(s, "/v1/contacts/" + std::to_string(contact_seq));
  CHECK_FALSE(detail.at("risk_rules").as_array().empty());
  CHECK(detail.at("band_set_by") == "risk_rule");
  CHECK(detail.at("from") == "+447700900123");

  SECTION("a nurse who signs on is offered it and accepts it") {
    result(s.post_json("/v1/events", console("c1", "nurse.ana", {{"signOn", json::object{}}})));
    auto nurses = authed_get(s, "/v1/nurses").at("nurses").as_array();
    REQUIRE(nurses.size() == 1);
    CHECK(nurses[0].as_object().at("state") == "offered");
    CHECK(nurses[0].as_object().at("offered_contact").as_int64() ==
          static_cast<std::int64_t>(contact_seq));

    const auto accepted = result(s.post_json(
        "/v1/events",
        console("c2", "nurse.ana",
                {{"accept", json::object{{"contactId", std::to_string(contact_seq)}}}})));
    CHECK_FALSE(accepted.contains("rejected"));
    CHECK(authed_get(s, "/v1/queue").at("waiting").as_int64() == 0);
    detail = authed_get(s, "/v1/contacts/" + std::to_string(contact_seq));
    CHECK(detail.at("nurse") == "nurse.ana");
    CHECK(detail.at("state") == "active");

    SECTION("the state is the same after a restart (replay)") {
      const auto before = json::serialize(detail);
      REQUIRE(s.restart().clean());
      CHECK(json::serialize(authed_get(s, "/v1/contacts/" + std::to_string(contact_seq))) ==
            before);
      CHECK(authed_get(s, "/v1/queue").at("waiting").as_int64() == 0);
    }
  }

  SECTION("a command the nurse may not give is committed for audit but rejected with a reason") {
    const auto r = result(s.post_json(
        "/v1/events",
        console("c9", "nurse.bob",
                {{"accept", json::object{{"contactId", std::to_string(contact_seq)}}}})));
    CHECK(r.at("status") == "COMMITTED");
    CHECK_FALSE(r.at("rejected").as_string().empty());
    CHECK(authed_get(s, "/v1/queue").at("waiting").as_int64() == 1);
  }

  SECTION("an unknown contact is 404 and a malformed id 400") {
    CHECK(s.client()
              .request("GET", "/v1/contacts/999", {}, {{"Authorization", "Bearer test-token"}})
              .status == 404);
    CHECK(s.client()
              .request("GET", "/v1/contacts/abc", {}, {{"Authorization", "Bearer test-token"}})
              .status == 400);
  }
}

TEST_CASE("an offer nobody accepts times out on the server's own timer and the nurse is paused") {
  server_fixture s(R"(queue { offer_timeout_seconds: 1 })");
  result(s.post_json("/v1/events", console("c1", "nurse.cy", {{"signOn", json::object{}}})));
  result(s.post_json("/v1/events", text("SM2", "+447700900124", "can someone talk to me")));
  REQUIRE(authed_get(s, "/v1/nurses").at("nurses").as_array().at(0).as_object().at("state") ==
          "offered");

  // Poll (bounded) rather than sleep a fixed time: the timer fires after ~1 s.
  json::object nurse;
  for (int i = 0; i < 100; ++i) {
    nurse = authed_get(s, "/v1/nurses").at("nurses").as_array().at(0).as_object();
    if (nurse.at("state") != "offered") break;
    std::this_thread::sleep_for(50ms);
  }
  CHECK(nurse.at("state") == "idle");
  CHECK(nurse.at("status") == "on_break");
  const auto entry = authed_get(s, "/v1/queue").at("entries").as_array().at(0).as_object();
  CHECK(entry.at("offered_to").is_null());
  // The expiry is an event in the log, so a replay reaches the same decision.
  bool timer_logged = false;
  for (const auto& e : s.export_events())
    timer_logged |= e.at("event").as_object().contains("timer");
  CHECK(timer_logged);
  REQUIRE(s.restart().clean());
  CHECK(authed_get(s, "/v1/nurses").at("nurses").as_array().at(0).as_object().at("status") ==
        "on_break");
}

TEST_CASE("the queue view is bounded by limit and still gives the totals by band") {
  server_fixture s;
  for (int i = 0; i < 5; ++i) {
    result(s.post_json(
        "/v1/events", text("SMQ" + std::to_string(i), "+4477009005" + std::to_string(i), "hello")));
  }
  const auto q = authed_get(s, "/v1/queue?limit=2");
  CHECK(q.at("waiting").as_int64() == 5);
  CHECK(q.at("entries").as_array().size() == 2);
  CHECK(q.at("by_band").as_object().at("C").as_int64() == 5);
  CHECK(s.client()
            .request("GET", "/v1/queue?limit=0", {}, {{"Authorization", "Bearer test-token"}})
            .status == 400);
  CHECK(s.client()
            .request("GET", "/v1/queue?limit=x", {}, {{"Authorization", "Bearer test-token"}})
            .status == 400);
}
