#include <chrono>
#include <thread>

#include "adapters/form_body.hpp"
#include "adapters/twilio_signature.hpp"
#include "fake_provider.hpp"
#include "server_fixture.hpp"

using namespace crisisline;
using namespace crisisline::test;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* public_base = "https://crisisline.example.nhs.uk";
constexpr const char* auth_token = "twilio-test-token";
constexpr const char* account = "AC0123456789abcdef0123456789abcdef";
constexpr const char* line_111 = "+448000000111";

std::string config_for(const fake_provider& p) {
  return std::string(R"(server { public_base_url: ")") + public_base + R"(" }
twilio { account_sid: ")" +
         account + R"(" auth_token: ")" + auth_token + R"(" api_base_url: ")" + p.base_url() +
         R"(" }
areas { name: "solent" display_name: "Solent" }
access_numbers { number: "+448000000111" route: "nhs111_option2" area: "solent" }
nurse_endpoints { nurse_id: "nurse.ana" kind: "number" address: "+447700900999" }
)";
}

class voice_client {
 public:
  explicit voice_client(server_fixture& s) : s_(s) {}
  http_response post(const std::string& path,
                     std::vector<std::pair<std::string, std::string>> params) {
    params.emplace_back("AccountSid", account);
    adapters::form_body form;
    for (const auto& [k, v] : params) form.add(k, v);
    const auto sig = adapters::twilio_signature(auth_token, std::string(public_base) + path, form);
    return s_.client().request(
        "POST", path, adapters::encode_form(form),
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", sig}});
  }
  http_response incoming(const std::string& sid, const std::string& from = "+447700900123") {
    return post("/v1/webhooks/twilio/voice", {{"CallSid", sid},
                                              {"From", from},
                                              {"To", line_111},
                                              {"CallStatus", "ringing"},
                                              {"Direction", "inbound"}});
  }
  http_response status(const std::string& sid, const std::string& status, int seq) {
    return post("/v1/webhooks/twilio/voice/status", {{"CallSid", sid},
                                                     {"From", "+447700900123"},
                                                     {"To", line_111},
                                                     {"CallStatus", status},
                                                     {"SequenceNumber", std::to_string(seq)}});
  }

 private:
  server_fixture& s_;
};

json::object get(server_fixture& s, const std::string& target) {
  const auto r = s.client().request("GET", target, {}, {{"Authorization", "Bearer test-token"}});
  INFO(target << " -> " << r.body);
  REQUIRE(r.status == 200);
  return json_of(r);
}

void ingest(server_fixture& s, const std::string& id, const std::string& nurse,
            json::object command) {
  command["nurseId"] = nurse;
  const json::object ev{{"source", "console"}, {"sourceEventId", id}, {"console", command}};
  const auto r =
      s.post_json("/v1/events", json::serialize(json::object{{"events", json::array{ev}}}));
  REQUIRE(r.status == 200);
  INFO(r.body);
  REQUIRE_FALSE(json_of(r).at("results").as_array().at(0).as_object().contains("rejected"));
}

json::object first_in_queue(server_fixture& s) {
  const auto q = get(s, "/v1/queue");
  REQUIRE(q.at("waiting").as_int64() >= 1);
  return q.at("entries").as_array().at(0).as_object();
}

}  // namespace

TEST_CASE(
    "an incoming call is held in the queue with the danger prompt, routed by the number dialled") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  voice_client voice(s);
  const auto r = voice.incoming("CA0001");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").starts_with("text/xml"));
  CHECK(r.body.find("<Gather") != std::string::npos);
  CHECK(r.body.find("/v1/webhooks/twilio/voice/gather") != std::string::npos);
  CHECK(r.body.find("<Enqueue") != std::string::npos);
  CHECK(voice.incoming("CA0001").body == r.body);  // the provider's retry
  CHECK(s.export_events().size() == 1);
  const auto entry = first_in_queue(s);
  CHECK(entry.at("channel") == "call");
  const auto c = get(s, "/v1/contacts/" + std::to_string(entry.at("contact_id").as_int64()));
  CHECK(c.at("route") == "nhs111_option2");
  CHECK(c.at("area") == "solent");
  CHECK(c.at("call_id") == "CA0001");

  SECTION("pressing 1 marks the caller as in immediate danger (band A)") {
    const auto g = voice.post(
        "/v1/webhooks/twilio/voice/gather",
        {{"CallSid", "CA0001"}, {"From", "+447700900123"}, {"To", line_111}, {"Digits", "1"}});
    CHECK(g.status == 200);
    CHECK(g.body.find("<Enqueue") != std::string::npos);
    CHECK(first_in_queue(s).at("band") == "A");
    CHECK(s.process().log().find(R"("kind":"emergency_services")") != std::string::npos);
  }
  SECTION("an unsigned call webhook is refused") {
    const auto bad =
        s.client().request("POST", "/v1/webhooks/twilio/voice", "CallSid=CA9&From=x&To=y",
                           {{"Content-Type", "application/x-www-form-urlencoded"}});
    CHECK(bad.status == 403);
  }
}

TEST_CASE(
    "a caller who hangs up before an answer gets a callback in their place, callbacks may come in "
    "any order") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  voice_client voice(s);
  REQUIRE(voice.incoming("CA0002").status == 200);
  const auto arrived = first_in_queue(s).at("arrived");
  // Out of order: the final status (sequence 2) before a late "ringing" (sequence 1).
  CHECK(voice.status("CA0002", "completed", 2).status == 204);
  CHECK(voice.status("CA0002", "completed", 2).status == 204);  // repeat: a duplicate
  CHECK(voice.status("CA0002", "ringing", 1).status == 204);
  const auto q = get(s, "/v1/queue");
  REQUIRE(q.at("waiting").as_int64() == 1);
  const auto& cb = q.at("entries").as_array().at(0).as_object();
  CHECK(cb.at("callback").as_bool());
  CHECK(cb.at("arrived") == arrived);  // keeps the caller's place
  const auto detail = get(s, "/v1/contacts/" + std::to_string(cb.at("contact_id").as_int64()));
  CHECK_FALSE(detail.at("callback_of").is_null());
  const auto original =
      get(s, "/v1/contacts/" + std::to_string(detail.at("callback_of").as_int64()));
  CHECK(original.at("exit") == "abandoned");
  CHECK_FALSE(original.at("abandoned").is_null());
  CHECK(s.export_events().size() == 3);
}

TEST_CASE(
    "a nurse who accepts a call is dialled through the provider, if they don't pick up the caller "
    "is re-offered") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  voice_client voice(s);
  REQUIRE(voice.incoming("CA0003").status == 200);
  const auto id = first_in_queue(s).at("contact_id").as_int64();
  ingest(s, "c1", "nurse.ana", {{"signOn", json::object{}}});
  ingest(s, "c2", "nurse.ana", {{"accept", {{"contactId", std::to_string(id)}}}});

  REQUIRE(provider.wait_for(1));
  const auto req = provider.requests().at(0);
  CHECK(req.target == std::string("/2010-04-01/Accounts/") + account + "/Calls/CA0003.json");
  const auto twiml = form_value(req.body, "Twiml");
  CHECK(twiml.find("<Dial") != std::string::npos);
  CHECK(twiml.find("+447700900999") != std::string::npos);
  CHECK(twiml.find("/v1/webhooks/twilio/voice/dial?nurse=nurse.ana") != std::string::npos);
  CHECK(get(s, "/v1/contacts/" + std::to_string(id)).at("state") == "active");

  const auto dial = voice.post("/v1/webhooks/twilio/voice/dial?nurse=nurse.ana",
                               {{"CallSid", "CA0003"},
                                {"From", "+447700900123"},
                                {"To", line_111},
                                {"DialCallStatus", "no-answer"}});
  REQUIRE(dial.status == 200);
  CHECK(dial.body.find("<Enqueue") != std::string::npos);
  const auto c = get(s, "/v1/contacts/" + std::to_string(id));
  CHECK(c.at("state") == "waiting");
  CHECK(c.at("answered").is_null());
  const auto nurses = get(s, "/v1/nurses").at("nurses").as_array();
  CHECK(nurses.at(0).as_object().at("status") == "on_break");
  CHECK(s.process().log().find(R"("kind":"connect_failed")") != std::string::npos);

  SECTION("when the next nurse picks up and the call ends, it is completed") {
    ingest(s, "c3", "nurse.ana", {{"setStatus", {{"status", "NURSE_AVAILABLE"}}}});
    const auto offered = get(s, "/v1/nurses").at("nurses").as_array().at(0).as_object();
    // Declined by not picking up: it is not offered straight back to the same nurse.
    CHECK(offered.at("offered_contact").is_null());
  }
}

TEST_CASE("a nurse with no call endpoint cannot be connected, so the caller goes straight back") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  voice_client voice(s);
  REQUIRE(voice.incoming("CA0004").status == 200);
  const auto id = first_in_queue(s).at("contact_id").as_int64();
  ingest(s, "c1", "nurse.bo", {{"signOn", json::object{}}});
  ingest(s, "c2", "nurse.bo", {{"accept", {{"contactId", std::to_string(id)}}}});
  json::object c;
  for (int i = 0; i < 100; ++i) {
    c = get(s, "/v1/contacts/" + std::to_string(id));
    if (c.at("state") == "waiting") break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(c.at("state") == "waiting");
  CHECK(provider.requests().empty());
}

TEST_CASE(
    "a call accepted before a restart whose connect was never confirmed is connected after it, "
    "once") {
  fake_provider provider;
  provider.fail_next = 1000;
  server_fixture s(config_for(provider));
  voice_client voice(s);
  REQUIRE(voice.incoming("CA0005").status == 200);
  const auto id = first_in_queue(s).at("contact_id").as_int64();
  ingest(s, "c1", "nurse.ana", {{"signOn", json::object{}}});
  ingest(s, "c2", "nurse.ana", {{"accept", {{"contactId", std::to_string(id)}}}});
  REQUIRE(provider.wait_for(1));  // the provider is failing: nothing confirmed yet
  REQUIRE(s.stop().clean());
  provider.fail_next = 0;
  const auto before = provider.requests().size();
  s.start();
  REQUIRE(provider.wait_for(before + 1));
  CHECK(provider.requests().back().target ==
        std::string("/2010-04-01/Accounts/") + account + "/Calls/CA0005.json");
  json::object c;
  for (int i = 0; i < 100; ++i) {
    c = get(s, "/v1/contacts/" + std::to_string(id));
    if (c.at("connect_requested").as_bool()) break;
    std::this_thread::sleep_for(20ms);
  }
  CHECK(c.at("connect_requested").as_bool());
  CHECK(c.at("state") == "active");
  REQUIRE(s.restart().clean());
  std::this_thread::sleep_for(300ms);  // room for a wrongful second request to show
  CHECK(provider.requests().size() == before + 1);
}
