#include <chrono>
#include <thread>

#include "adapters/form_body.hpp"
#include "adapters/twilio_signature.hpp"
#include "fake_provider.hpp"
#include "server_fixture.hpp"
#include "staff_session.hpp"
#include "ws_client.hpp"

// Response-car dispatch over the real server: the SMS webhook, the dispatch
// HTTP API with staff logins, and the crew feed over WebSocket.
using namespace crisisline;
using namespace crisisline::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* public_base = "https://crisisline.example.nhs.uk";
constexpr const char* twilio_token = "twilio-test-token";
constexpr const char* account_sid = "AC0123456789abcdef0123456789abcdef";

std::string config(const fake_provider& p, const std::string& dispatch_extra = {}) {
  return std::string(R"(server { public_base_url: ")") + public_base + R"(" }
twilio { account_sid: ")" +
         account_sid + R"(" auth_token: ")" + twilio_token + R"(" api_base_url: ")" + p.base_url() +
         R"(" }
dispatch {
  units { id: "u1" call_sign: "MHRC1" skills: "mh_paramedic" skills: "mh_nurse"
          base_latitude: 50.9097 base_longitude: -1.4044 }
  units { id: "u2" call_sign: "MHRC2" skills: "mh_paramedic" skills: "mh_nurse"
          base_latitude: 50.8198 base_longitude: -1.0880 }
  person_text { enabled: true en_route: "The team is on the way." }
  )" + dispatch_extra +
         R"(
}
)";
}

// A text from the person through the signed Twilio webhook.
void text_in(server_fixture& s, const std::string& sid, const std::string& from) {
  adapters::form_body form;
  for (const auto& [k, v] :
       std::vector<std::pair<std::string, std::string>>{{"MessageSid", sid},
                                                        {"AccountSid", account_sid},
                                                        {"From", from},
                                                        {"To", "+447700900000"},
                                                        {"Body", "please help, I am not safe"},
                                                        {"NumSegments", "1"}}) {
    form.add(k, v);
  }
  const std::string path = "/v1/webhooks/twilio/sms";
  const auto r = s.client().request(
      "POST", path, adapters::encode_form(form),
      {{"Content-Type", "application/x-www-form-urlencoded"},
       {"X-Twilio-Signature",
        adapters::twilio_signature(twilio_token, std::string(public_base) + path, form)}});
  REQUIRE(r.status == 200);
}

json::object ok(const http_response& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json_of(r);
}

// Integration-token console commands: the nurse console API is not part of dispatch.
void console(server_fixture& s, const std::string& id, const json::object& command) {
  json::object c = command;
  c["nurseId"] = "nina";
  const auto r = s.post_json(
      "/v1/events",
      json::serialize(json::object{
          {"events", json::array{json::object{
                         {"source", "console"}, {"sourceEventId", id}, {"console", c}}}}}));
  REQUIRE(r.status == 200);
}

// A crew device on the JSON subprotocol.
class crew_device {
 public:
  crew_device(server_fixture& s, const std::string& token)
      : ws_(s.process().port(), "/v1/crew/feed", {"crisisline.v1.json"},
            {{"Authorization", "Bearer " + token}}) {
    REQUIRE(ws_.is_open());
    REQUIRE(ws_.subprotocol() == "crisisline.v1.json");
  }

  json::object request(json::object frame) {
    ws_.send(json::serialize(frame));
    return next();
  }

  json::object next(std::chrono::milliseconds limit = 5s) {
    auto f = json::parse(ws_.read_text(limit)).as_object();
    const auto seq = std::stoull(std::string(f.at("seq").as_string()));
    CHECK(seq == last_seq_ + 1);
    last_seq_ = seq;
    return f;
  }

  // Reads until no frame comes for `quiet`.
  std::vector<json::object> drain(std::chrono::milliseconds quiet = 300ms) {
    std::vector<json::object> out;
    for (;;) {
      auto r = ws_.read(quiet);
      if (!std::holds_alternative<ws_client::message>(r)) return out;
      auto f = json::parse(std::get<ws_client::message>(r).payload).as_object();
      last_seq_ = std::stoull(std::string(f.at("seq").as_string()));
      out.push_back(std::move(f));
    }
  }

  ws_client& ws() { return ws_; }

 private:
  ws_client ws_;
  std::uint64_t last_seq_ = 0;
};

std::string alert_id(const json::object& frame) {
  INFO(json::serialize(frame));
  REQUIRE(frame.contains("alert"));
  return std::string(frame.at("alert").at("id").as_string());
}

struct team {
  std::string nurse;
  std::string supervisor;
  std::string crew;
};

team staff(server_fixture& s) {
  add_staff(s, "nina", "nurse");
  add_staff(s, "sam", "supervisor");
  add_staff(s, "carl", "crew");
  return {token_of(s, "nina"), token_of(s, "sam"), token_of(s, "carl")};
}

json::object raise_body() {
  return {{"coordinates", json::object{{"latitude", 50.92}, {"longitude", -1.39}}},
          {"address", "12 Shirley Road, Southampton"},
          {"requiredSkills", json::array{"mh_paramedic"}},
          {"category", "TRIAGE_B"},
          {"note", "lives alone, dog in the house"}};
}

}  // namespace

TEST_CASE("dispatch end to end: text, triage, incident, recommendation, crew, clear, end") {
  fake_provider provider;
  server_fixture s(config(provider));
  const auto t = staff(s);
  text_in(s, "SM100", "+447700900123");
  console(s, "c1", {{"signOn", json::object{}}});
  console(s, "c2", {{"accept", {{"contactId", "1"}}}});
  console(s, "c3",
          {{"setTriage",
            {{"contactId", "1"}, {"category", "TRIAGE_B"}, {"reason", "plan and means"}}}});
  // The auto-reply went back as TwiML: the provider's REST API has seen nothing yet.
  const auto texts_before = provider.requests().size();

  crew_device crew(s, t.crew);
  auto f = crew.request(
      {{"requestId", "on"}, {"signOn", {{"unitId", "u1"}, {"crew", json::array{"carl", "dee"}}}}});
  CHECK(f.at("requestId") == "on");
  CHECK(f.at("signedOn").at("callSign") == "MHRC1");

  auto r = ok(call(s, "POST", "/v1/contacts/1/incident", t.nurse, json::serialize(raise_body())));
  const auto incident = r.at("incident").as_object();
  CHECK(incident.at("incident_id") == 1);
  CHECK(incident.at("state") == "new");
  CHECK(incident.at("category") == "B");

  r = ok(call(s, "GET", "/v1/incidents/1/recommendation", t.nurse));
  const auto& eligible = r.at("eligible").as_array();
  REQUIRE(eligible.size() == 1);
  CHECK(eligible[0].at("unit_id") == "u1");
  CHECK(eligible[0].at("eta_seconds").as_int64() > 0);
  CHECK_FALSE(eligible[0].at("reasons").as_array().empty());
  REQUIRE(r.at("excluded").as_array().size() == 1);
  CHECK(r.at("excluded").at(0).at("unit_id") == "u2");

  r = ok(call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({"unitId":"u1","note":"go"})"));
  CHECK(r.at("incident").at("state") == "active");
  f = crew.next();
  const auto id = alert_id(f);
  CHECK(f.at("alert").at("address") == "12 Shirley Road, Southampton");
  CHECK(f.at("alert").at("note") == "lives alone, dog in the house");
  CHECK(f.at("alert").at("assignNote") == "go");

  f = crew.request({{"requestId", "a1"}, {"ack", {{"alertId", id}}}});
  CHECK(f.at("ackResult").at("alertId") == json::value(id));
  // The ack was committed before the answer: the nurse sees it at once.
  r = ok(call(s, "GET", "/v1/contacts/1", t.nurse));
  CHECK(r.at("dispatch").at(0).at("units").at(0).at("stage") == "acknowledged");

  for (const auto* state : {"UNIT_EN_ROUTE", "UNIT_ON_SCENE", "UNIT_CLEAR"}) {
    f = crew.request({{"requestId", state}, {"status", {{"state", state}}}});
    INFO(json::serialize(f));
    REQUIRE(f.contains("statusResult"));
    CHECK(f.at("statusResult").at("state") == state);
    if (std::string_view(state) == "UNIT_EN_ROUTE") {
      r = ok(call(s, "GET", "/v1/contacts/1", t.nurse));
      CHECK(r.at("dispatch").at(0).at("units").at(0).at("stage") == "en_route");
      CHECK(r.at("dispatch").at(0).at("units").at(0).at("eta_seconds").is_int64());
    }
  }
  // The person was told, once.
  REQUIRE(provider.wait_for(texts_before + 1));
  std::size_t on_the_way = 0;
  for (const auto& req : provider.requests())
    if (form_value(req.body, "Body") == "The team is on the way.") ++on_the_way;
  CHECK(on_the_way == 1);

  // A refused command is a 409 with the reason, and changes nothing.
  r = json_of(call(s, "POST", "/v1/incidents/1/stand-down", t.nurse, R"({"unitId":"u1"})"));
  CHECK(r.at("error") == "rejected");
  r = ok(call(s, "POST", "/v1/incidents/1/end", t.nurse, R"({"outcome":"safe with family"})"));
  CHECK(r.at("incident").at("state") == "ended");
  CHECK(r.at("incident").at("outcome") == "safe with family");
  const auto again = call(s, "POST", "/v1/incidents/1/end", t.nurse, "{}");
  CHECK(again.status == 409);
  CHECK(json_of(again).at("error") == "rejected");

  r = ok(call(s, "GET", "/v1/incidents/1", t.supervisor));
  const auto& steps = r.at("assignments").at(0).at("steps").as_array();
  std::vector<std::string> stages;
  for (const auto& st : steps) stages.emplace_back(st.at("state").as_string());
  CHECK(stages == std::vector<std::string>{"assigned", "alerted", "acknowledged", "en_route",
                                           "on_scene", "clear"});
  r = ok(call(s, "GET", "/v1/units", t.nurse));
  CHECK(r.at("units").at(0).at("state") == "clear");
}

TEST_CASE("dispatch API: bad input is 400, unknown ids 404, roles 403, nothing changes") {
  fake_provider provider;
  server_fixture s(config(provider));
  const auto t = staff(s);
  text_in(s, "SM1", "+447700900123");
  CHECK(call(s, "POST", "/v1/contacts/9/incident", t.nurse, json::serialize(raise_body())).status ==
        404);
  CHECK(call(s, "POST", "/v1/contacts/x/incident", t.nurse, "{}").status == 400);
  CHECK(call(s, "POST", "/v1/contacts/1/incident", t.nurse, R"({"adress":"typo"})").status == 400);
  CHECK(call(s, "POST", "/v1/contacts/1/incident", t.nurse, "not json").status == 400);
  CHECK(call(s, "POST", "/v1/contacts/1/incident", t.crew, "{}").status == 403);
  // Without a location the board refuses: 409 with the reason.
  auto r = call(s, "POST", "/v1/contacts/1/incident", t.nurse, R"({"category":"TRIAGE_C"})");
  CHECK(r.status == 409);
  CHECK(ok(call(s, "GET", "/v1/incidents", t.nurse)).at("incidents").as_array().empty());

  REQUIRE(
      call(s, "POST", "/v1/contacts/1/incident", t.nurse, json::serialize(raise_body())).status ==
      200);
  CHECK(call(s, "POST", "/v1/incidents/2/assign", t.nurse, R"({"unitId":"u1"})").status == 404);
  CHECK(call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({})").status == 400);
  CHECK(call(s, "POST", "/v1/incidents/1/fly", t.nurse, R"({})").status == 404);
  CHECK(call(s, "POST", "/v1/incidents/1/re-alert", t.nurse, R"({"unitId":"u1"})").status == 403);
  CHECK(call(s, "POST", "/v1/units/u1/status", t.nurse, R"({"state":"UNIT_AVAILABLE"})").status ==
        403);
  CHECK(call(s, "POST", "/v1/units/zz/status", t.supervisor, R"({"state":"UNIT_AVAILABLE"})")
            .status == 404);
  // u1 is not signed on: assigning it is refused with the reason.
  r = call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({"unitId":"u1"})");
  CHECK(r.status == 409);
  CHECK(json_of(r).at("detail") == "MHRC1 is not signed on");

  // An Idempotency-Key makes a retry a duplicate, not a second command.
  const http_headers h{{"Content-Type", "application/json"},
                       {"Authorization", "Bearer " + t.nurse},
                       {"Idempotency-Key", "k1"}};
  const auto first =
      s.client().request("POST", "/v1/incidents/1/monitor", R"({"plan":"call at 6"})", h);
  const auto retry =
      s.client().request("POST", "/v1/incidents/1/monitor", R"({"plan":"call at 6"})", h);
  CHECK(ok(first).at("duplicate") == false);
  CHECK(ok(retry).at("duplicate") == true);
  CHECK(ok(retry).at("seq") == ok(first).at("seq"));
}

TEST_CASE("crew feed over the server: reconnect and restart resume unacknowledged alerts") {
  fake_provider provider;
  server_fixture s(config(provider));
  const auto t = staff(s);
  text_in(s, "SM1", "+447700900123");
  std::string first_id;
  {
    crew_device crew(s, t.crew);
    crew.request({{"signOn", {{"unitId", "u1"}}}});
    ok(call(s, "POST", "/v1/contacts/1/incident", t.nurse, json::serialize(raise_body())));
    ok(call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({"unitId":"u1"})"));
    first_id = alert_id(crew.next());
    crew.ws().close();
  }
  {
    // Reconnect: the same alert once, nothing else.
    crew_device crew(s, t.crew);
    auto f = crew.request({{"resume", {{"since", "0"}}}});
    CHECK(f.contains("signedOn"));
    CHECK(alert_id(crew.next()) == first_id);
    CHECK(crew.drain().empty());
    crew.ws().close();
  }
  REQUIRE(s.restart().code == 0);
  // Login sessions survive the restart, so the device reconnects with its token.
  crew_device crew(s, t.crew);
  auto f = crew.request({{"resume", {{"since", "0"}}}});
  CHECK(f.contains("signedOn"));
  CHECK(alert_id(crew.next()) == first_id);
  CHECK(crew.drain().empty());
  f = crew.request({{"ack", {{"alertId", first_id}}}});
  CHECK(f.contains("ackResult"));
  // A repeated ack is idempotent.
  f = crew.request({{"ack", {{"alertId", first_id}}}});
  CHECK(f.at("ackResult").at("alreadyAcknowledged") == true);
  crew.ws().close();
  crew_device later(s, t.crew);
  later.request({{"resume", {{"since", "0"}}}});
  CHECK(later.drain().empty());
}

TEST_CASE("an unacknowledged alert is flagged to dispatchers after the ack timeout") {
  fake_provider provider;
  server_fixture s(config(provider, "ack_timeout_seconds: 1 ack_reminder_once: true"));
  const auto t = staff(s);
  text_in(s, "SM1", "+447700900123");
  crew_device crew(s, t.crew);
  crew.request({{"signOn", {{"unitId", "u1"}}}});
  ok(call(s, "POST", "/v1/contacts/1/incident", t.nurse, json::serialize(raise_body())));
  ok(call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({"unitId":"u1"})"));
  const auto id = alert_id(crew.next());
  CHECK(ok(call(s, "GET", "/v1/incidents/1", t.supervisor)).at("units").at(0).at("ack_timeouts") ==
        0);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (ok(call(s, "GET", "/v1/incidents/1", t.supervisor)).at("units").at(0).at("ack_timeouts") ==
         0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(50ms);
  }
  // The dispatcher re-alerts: a new alert id on the feed.
  ok(call(s, "POST", "/v1/incidents/1/re-alert", t.supervisor, R"({"unitId":"u1"})"));
  const auto again = crew.next();
  CHECK(alert_id(again) != id);
  CHECK(again.at("alert").at("repeat") == true);
}

TEST_CASE("pre-emption over the server: a category A incident takes the car") {
  fake_provider provider;
  server_fixture s(config(provider));
  const auto t = staff(s);
  text_in(s, "SM1", "+447700900123");
  text_in(s, "SM2", "+447700900456");
  crew_device crew(s, t.crew);
  crew.request({{"signOn", {{"unitId", "u1"}}}});
  auto body = raise_body();
  body["category"] = "TRIAGE_C";
  ok(call(s, "POST", "/v1/contacts/1/incident", t.nurse, json::serialize(body)));
  ok(call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({"unitId":"u1"})"));
  const auto first = alert_id(crew.next());
  crew.request({{"ack", {{"alertId", first}}}});
  crew.request({{"status", {{"state", "UNIT_EN_ROUTE"}}}});

  body["category"] = "TRIAGE_A";
  ok(call(s, "POST", "/v1/contacts/2/incident", t.nurse, json::serialize(body)));
  auto r = ok(call(s, "POST", "/v1/incidents/1/stand-down", t.supervisor,
                   R"({"unitId":"u1","reason":"STAND_DOWN_PRE_EMPTED","divertTo":"2"})"));
  CHECK(r.at("incident").at("state") == "queued");
  // The stand-down and the new alert, in either order.
  json::object stand_down;
  json::object alert;
  for (int i = 0; i < 2; ++i) {
    auto f = crew.next();
    INFO(json::serialize(f));
    if (f.contains("standDown")) stand_down = f.at("standDown").as_object();
    if (f.contains("alert")) alert = f.at("alert").as_object();
  }
  REQUIRE_FALSE(stand_down.empty());
  REQUIRE_FALSE(alert.empty());
  CHECK(stand_down.at("incidentId") == "1");
  CHECK(stand_down.at("divertTo") == "2");
  CHECK(alert.at("incidentId") == "2");
  CHECK(alert.at("divertedFrom") == "1");
  CHECK(ok(call(s, "GET", "/v1/incidents/2", t.nurse)).at("state") == "active");
  // Contact 1's nurse sees the car was taken.
  r = ok(call(s, "GET", "/v1/contacts/1", t.nurse));
  CHECK(r.at("dispatch").at(0).at("state") == "queued");
  CHECK(r.at("dispatch").at(0).at("units").as_array().empty());
}

TEST_CASE("the crew simulator signs on, acknowledges and works a job through to clear") {
  fake_provider provider;
  server_fixture s(config(provider));
  const auto t = staff(s);
  text_in(s, "SM300", "+447700900300");
  auto sim = server_process::spawn(
      {.binary = CRISISLINE_CREW_SIM,
       .args = {"--port", std::to_string(s.process().port()), "--user", "carl", "--unit", "u1",
                "--ack-ms", "50", "--en-route-ms", "50", "--on-scene-ms", "50", "--clear-ms", "50",
                "--jobs", "1"},
       .log_file = s.dir() / "crew_sim.log",
       .env = {{"CRISISLINE_CREW_PASSWORD", "long enough password"}}});
  const auto signed_on = [&] {
    const auto r = ok(call(s, "GET", "/v1/units", t.nurse));
    return r.at("units").at(0).at("signed_on").as_bool();
  };
  for (int i = 0; i < 100 && !signed_on(); ++i) std::this_thread::sleep_for(100ms);
  INFO(sim.log_tail());
  REQUIRE(signed_on());

  ok(call(s, "POST", "/v1/contacts/1/incident", t.nurse, json::serialize(raise_body())));
  ok(call(s, "POST", "/v1/incidents/1/assign", t.nurse, R"({"unitId":"u1"})"));

  std::optional<exit_status> ended;
  for (int i = 0; i < 200 && !(ended = sim.try_wait()); ++i) std::this_thread::sleep_for(50ms);
  REQUIRE(ended);
  CHECK(ended->clean());
  const auto r = ok(call(s, "GET", "/v1/incidents/1", t.supervisor));
  std::vector<std::string> stages;
  for (const auto& st : r.at("assignments").at(0).at("steps").as_array())
    stages.emplace_back(st.at("state").as_string());
  CHECK(stages == std::vector<std::string>{"assigned", "alerted", "acknowledged", "en_route",
                                           "on_scene", "clear"});
  // The steps came from the crew account over the feed.
  CHECK(r.at("assignments").at(0).at("steps").at(3).at("by") == "crew");
  CHECK(r.at("assignments").at(0).at("steps").at(3).at("by_id") == "carl");
}

TEST_CASE("a crew device is disconnected when its account is disabled and cannot come back") {
  fake_provider provider;
  server_fixture s(config(provider));
  const auto t = staff(s);
  {
    crew_device crew(s, t.crew);
    const auto f = crew.request({{"requestId", "on"}, {"signOn", {{"unitId", "u1"}}}});
    REQUIRE(f.contains("signedOn"));
    REQUIRE(staff_cli(s.db(), "disable --username carl") == 0);
    const auto r = crew.ws().read(5s);
    const auto* c = std::get_if<ws_client::closed>(&r);
    REQUIRE(c != nullptr);
    CHECK(c->code == 1008);
  }
  // The old token opens nothing and records nothing.
  ws_client again(s.process().port(), "/v1/crew/feed", {"crisisline.v1.json"},
                  {{"Authorization", "Bearer " + t.crew}});
  CHECK_FALSE(again.is_open());
  CHECK(again.status() == 401);
}
