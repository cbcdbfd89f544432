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
constexpr const char* shared_number = "+447700900000";

// `server_extra` and `twilio_extra` go inside those blocks, which may appear only once.
std::string config_for(const fake_provider& p, std::string twilio_extra = {},
                       std::string server_extra = {}) {
  return std::string(R"(server { public_base_url: ")") + public_base + R"(" )" + server_extra +
         R"( }
twilio { account_sid: "AC0123456789abcdef0123456789abcdef" auth_token: ")" +
         auth_token + R"(" api_base_url: ")" + p.base_url() + R"(" )" + twilio_extra + R"( }
areas { name: "solent" display_name: "Solent" keywords: "SOLENT" numbers: "+447700900001" }
areas { name: "iow" display_name: "Isle of Wight" keywords: "WIGHT" auto_reply: "Isle of Wight team here. We got your text and will reply {wait}. In danger? Call 999." }
access_numbers { number: "+447700900000" route: "sms_keyword" }
sms { blocked_numbers: "+447700900666" }
)";
}

class sms_client {
 public:
  explicit sms_client(server_fixture& s) : s_(s) {}

  http_response post(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& params,
                     std::string token = auth_token, bool sign = true) {
    adapters::form_body form;
    for (const auto& [k, v] : params) form.add(k, v);
    http_headers h{{"Content-Type", "application/x-www-form-urlencoded"}};
    if (sign) {
      h.emplace_back("X-Twilio-Signature",
                     adapters::twilio_signature(token, std::string(public_base) + path, form));
    }
    return s_.client().request("POST", path, adapters::encode_form(form), h);
  }

  http_response text(const std::string& sid, const std::string& from, const std::string& body,
                     const std::string& to = shared_number) {
    return post("/v1/webhooks/twilio/sms", {{"MessageSid", sid},
                                            {"AccountSid", "AC0123456789abcdef0123456789abcdef"},
                                            {"From", from},
                                            {"To", to},
                                            {"Body", body},
                                            {"NumSegments", "1"},
                                            {"SmsStatus", "received"}});
  }

  http_response status(const std::string& sid, const std::string& status) {
    return post("/v1/webhooks/twilio/sms/status",
                {{"MessageSid", sid},
                 {"AccountSid", "AC0123456789abcdef0123456789abcdef"},
                 {"MessageStatus", status}});
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

std::uint64_t ingest(server_fixture& s, json::object event) {
  const auto r =
      s.post_json("/v1/events", json::serialize(json::object{{"events", json::array{event}}}));
  REQUIRE(r.status == 200);
  const auto res = json_of(r).at("results").as_array().at(0).as_object();
  INFO(r.body);
  REQUIRE_FALSE(res.contains("rejected"));
  return std::stoull(std::string(res.at("seq").as_string()));
}

json::object console(const std::string& id, const std::string& nurse, json::object command) {
  command["nurseId"] = nurse;
  return json::object{{"source", "console"}, {"sourceEventId", id}, {"console", command}};
}

json::object only_contact(server_fixture& s) {
  const auto q = get(s, "/v1/queue");
  REQUIRE(q.at("waiting").as_int64() == 1);
  const auto id = q.at("entries").as_array().at(0).as_object().at("contact_id").as_int64();
  return get(s, "/v1/contacts/" + std::to_string(id));
}

// Polls (bounded) until `pred` holds for the contact.
json::object wait_contact(server_fixture& s, std::int64_t id,
                          const std::function<bool(const json::object&)>& pred) {
  json::object c;
  for (int i = 0; i < 200; ++i) {
    c = get(s, "/v1/contacts/" + std::to_string(id));
    if (pred(c)) break;
    std::this_thread::sleep_for(50ms);
  }
  return c;
}

}  // namespace

TEST_CASE("an unsigned or wrongly signed webhook is refused before anything is written") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  const std::vector<std::pair<std::string, std::string>> params{
      {"MessageSid", "SM1"}, {"From", "+447700900123"}, {"To", shared_number}, {"Body", "hi"}};
  const auto missing = sms.post("/v1/webhooks/twilio/sms", params, auth_token, false);
  CHECK(missing.status == 403);
  CHECK(json_of(missing).at("detail").as_string().find("missing") != json::string::npos);
  CHECK(sms.post("/v1/webhooks/twilio/sms", params, "wrong-token").status == 403);
  CHECK(sms.post("/v1/webhooks/twilio/sms/status",
                 {{"MessageSid", "SM1"}, {"MessageStatus", "sent"}}, "wrong-token")
            .status == 403);
  CHECK(
      s.client()
          .request("POST", "/v1/webhooks/twilio/sms", "{}", {{"Content-Type", "application/json"}})
          .status == 415);
  CHECK(s.export_events().empty());
}

TEST_CASE("a keyword text is routed to its area, answered kindly once, and joined by later texts") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);

  const auto first = sms.text("SM0001", "+447700900123", "solent, I can't cope tonight");
  REQUIRE(first.status == 200);
  CHECK(first.header("content-type").starts_with("text/xml"));
  CHECK(first.body.find("<Message>") != std::string::npos);
  CHECK(first.body.find("Solent") != std::string::npos);
  CHECK(first.body.find("999") != std::string::npos);

  SECTION("the provider's retry gets the same answer and stores nothing twice") {
    const auto again = sms.text("SM0001", "+447700900123", "solent, I can't cope tonight");
    CHECK(again.status == 200);
    CHECK(again.body == first.body);
    CHECK(s.export_events().size() == 1);
  }
  SECTION("a second text joins the conversation without another auto-reply") {
    const auto second = sms.text("SM0002", "+447700900123", "are you there");
    CHECK(second.status == 200);
    CHECK(second.body.find("<Message>") == std::string::npos);
    const auto c = only_contact(s);
    CHECK(c.at("messages_in").as_int64() == 2);
  }
  const auto c = only_contact(s);
  CHECK(c.at("area") == "solent");
  CHECK(c.at("route") == "sms_keyword");
  const auto log = s.export_events();
  const auto& ev = log.at(0).at("event").as_object();
  REQUIRE(ev.contains("keywordText"));
  CHECK(ev.at("keywordText").as_object().at("keyword") == "SOLENT");
  CHECK(ev.at("keywordText")
            .as_object()
            .at("text")
            .as_object()
            .at("routingReason")
            .as_string()
            .find("keyword SOLENT") != json::string::npos);
}

TEST_CASE(
    "texts without a keyword go by the number texted, else to the regional pool, with the area's "
    "own reply") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  CHECK(sms.text("SM0010", "+447700900200", "hello", "+447700900001").status == 200);
  auto r = sms.text("SM0011", "+447700900201", "hello");
  CHECK(r.body.find("regional") != std::string::npos);
  r = sms.text("SM0012", "+447700900202", "WIGHT hello");
  CHECK(r.body.find("Isle of Wight team here") != std::string::npos);
  std::map<std::string, std::string> area_by_sid;
  for (const auto& l : s.export_events()) {
    const auto& e = l.at("event").as_object();
    const auto& t = e.contains("text") ? e.at("text").as_object()
                                       : e.at("keywordText").as_object().at("text").as_object();
    area_by_sid[std::string(t.at("messageId").as_string())] =
        t.contains("area") ? std::string(t.at("area").as_string()) : "";
  }
  CHECK(area_by_sid["SM0010"] == "solent");
  CHECK(area_by_sid["SM0011"] == "");
  CHECK(area_by_sid["SM0012"] == "iow");
}

TEST_CASE("withheld senders, broken UTF-8 and blocked numbers are stored, flagged, never dropped") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  CHECK(sms.text("SM0020", "anonymous", "please help").status == 200);
  CHECK(sms.text("SM0021", "+447700900300", std::string("bad \xff\xfe bytes")).status == 200);
  const auto blocked = sms.text("SM0022", "+447700900666", "abuse");
  CHECK(blocked.status == 200);
  CHECK(blocked.body.find("<Message>") == std::string::npos);
  const auto log = s.export_events();
  REQUIRE(log.size() == 3);
  CHECK(log[0].at("event").as_object().at("text").as_object().at("senderFlagged").as_bool());
  const auto& repaired = log[1].at("event").as_object().at("text").as_object();
  CHECK(repaired.at("bodyRepaired").as_bool());
  CHECK(repaired.at("body").as_string().find("\xEF\xBF\xBD") != json::string::npos);
  CHECK(log[2].at("event").as_object().at("text").as_object().at("senderBlocked").as_bool());
  // The blocked text is not in the nurses' queue; the other two are.
  CHECK(get(s, "/v1/queue").at("waiting").as_int64() == 2);
}

TEST_CASE("a nurse's reply goes out through the outbox, and status callbacks track delivery") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  REQUIRE(sms.text("SM0030", "+447700900400", "solent help").status == 200);
  const auto contact_id = only_contact(s).at("contact_id").as_int64();
  ingest(s, console("c1", "nurse.ana", {{"signOn", json::object{}}}));
  ingest(s, console("c2", "nurse.ana", {{"accept", {{"contactId", std::to_string(contact_id)}}}}));
  ingest(s, console("c3", "nurse.ana",
                    {{"reply",
                      {{"contactId", std::to_string(contact_id)},
                       {"body", "Hello, I'm Ana, a nurse. I'm here."}}}}));

  REQUIRE(provider.wait_for(1));
  const auto req = provider.requests().at(0);
  CHECK(req.method == "POST");
  CHECK(req.target == "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json");
  CHECK(req.authorization.rfind("Basic ", 0) == 0);
  CHECK(form_value(req.body, "To") == "+447700900400");
  CHECK(form_value(req.body, "From") == shared_number);
  CHECK(form_value(req.body, "Body") == "Hello, I'm Ana, a nurse. I'm here.");
  CHECK(form_value(req.body, "StatusCallback") ==
        std::string(public_base) + "/v1/webhooks/twilio/sms/status");

  auto c = wait_contact(s, contact_id, [](const json::object& x) {
    return x.at("outbound").as_array().at(0).as_object().at("status") == "sent";
  });
  const auto out = c.at("outbound").as_array().at(0).as_object();
  REQUIRE(out.at("status") == "sent");
  const std::string provider_sid(out.at("provider_message_id").as_string());

  // Out of order: delivered arrives before sent; the later "sent" changes nothing.
  CHECK(sms.status(provider_sid, "delivered").status == 204);
  CHECK(sms.status(provider_sid, "sent").status == 204);
  CHECK(sms.status(provider_sid, "delivered").status == 204);  // a repeat is a duplicate
  c = get(s, "/v1/contacts/" + std::to_string(contact_id));
  CHECK(c.at("outbound").as_array().at(0).as_object().at("status") == "delivered");
  CHECK(c.at("outbound").as_array().at(0).as_object().at("delivery_status") == "delivered");
  CHECK(provider.requests().size() == 1);
}

TEST_CASE("a provider failure is retried with backoff until accepted") {
  fake_provider provider;
  provider.fail_next = 2;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  REQUIRE(sms.text("SM0040", "+447700900500", "help").status == 200);
  const auto id = only_contact(s).at("contact_id").as_int64();
  ingest(s, console("c1", "nurse.bo",
                    {{"reply", {{"contactId", std::to_string(id)}, {"body", "We're here"}}}}));
  REQUIRE(provider.wait_for(3));
  const auto c = wait_contact(s, id, [](const json::object& x) {
    return x.at("outbound").as_array().at(0).as_object().at("status") == "sent";
  });
  const auto out = c.at("outbound").as_array().at(0).as_object();
  CHECK(out.at("status") == "sent");
  CHECK(out.at("attempts").as_int64() == 3);
}

TEST_CASE("a reply that was never accepted is sent after a restart, and only once") {
  fake_provider provider;
  provider.fail_next = 1000;
  server_fixture s(config_for(provider, "max_send_attempts: 100"));
  sms_client sms(s);
  REQUIRE(sms.text("SM0045", "+447700900510", "help").status == 200);
  const auto id = only_contact(s).at("contact_id").as_int64();
  ingest(s, console("c1", "nurse.bo",
                    {{"reply", {{"contactId", std::to_string(id)}, {"body", "We're here"}}}}));
  REQUIRE(provider.wait_for(1));
  REQUIRE(s.stop().clean());
  provider.fail_next = 0;
  const auto before = provider.requests().size();
  s.start();
  REQUIRE(provider.wait_for(before + 1));
  const auto c = wait_contact(s, id, [](const json::object& x) {
    return x.at("outbound").as_array().at(0).as_object().at("status") == "sent";
  });
  CHECK(c.at("outbound").as_array().at(0).as_object().at("status") == "sent");
  REQUIRE(s.restart().clean());
  std::this_thread::sleep_for(300ms);  // give a wrongful resend the chance to show itself
  CHECK(provider.requests().size() == before + 1);
}

TEST_CASE(
    "opt-out is crisis-safe: it stops non-essential texts, never help, and is shown to the nurse") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  REQUIRE(sms.text("SM0050", "+447700900600", "solent I need to talk").status == 200);
  const auto id = only_contact(s).at("contact_id").as_int64();
  ingest(s, console("c1", "nurse.cy", {{"signOn", json::object{}}}));
  ingest(s, console("c2", "nurse.cy", {{"accept", {{"contactId", std::to_string(id)}}}}));

  const auto stop = sms.text("SM0051", "+447700900600", "STOP");
  CHECK(stop.status == 200);
  auto c = get(s, "/v1/contacts/" + std::to_string(id));
  CHECK(c.at("opted_out").as_bool());
  CHECK(c.at("messages_in").as_int64() == 2);  // the STOP itself reached the conversation
  CHECK(s.process().log().find(R"("kind":"opted_out")") != std::string::npos);

  ingest(s,
         console("c3", "nurse.cy",
                 {{"reply", {{"contactId", std::to_string(id)}, {"body", "How are you now?"}}}}));
  ingest(s, console("c4", "nurse.cy",
                    {{"reply",
                      {{"contactId", std::to_string(id)},
                       {"body", "Please call 111 now"},
                       {"clinicallyNecessary", true}}}}));
  c = get(s, "/v1/contacts/" + std::to_string(id));
  const auto& out = c.at("outbound").as_array();
  REQUIRE(out.size() == 2);
  CHECK(out[0].as_object().at("status") == "suppressed");
  CHECK(out[1].as_object().at("status") == "clinician_task");
  std::this_thread::sleep_for(200ms);
  CHECK(provider.requests().empty());
  CHECK(s.process().log().find(R"("kind":"clinician_task")") != std::string::npos);

  // A later message for help is still triaged: it reaches the same conversation.
  CHECK(sms.text("SM0052", "+447700900600", "actually I took 20 tablets").status == 200);
  c = get(s, "/v1/contacts/" + std::to_string(id));
  CHECK(c.at("messages_in").as_int64() == 3);
  CHECK_FALSE(c.at("risk_rules").as_array().empty());

  // START opts back in; replies flow again.
  CHECK(sms.text("SM0053", "+447700900600", "start").status == 200);
  ingest(s, console("c5", "nurse.cy",
                    {{"reply", {{"contactId", std::to_string(id)}, {"body", "Thank you"}}}}));
  CHECK(provider.wait_for(1));
}

TEST_CASE(
    "END alone is shown to a human as ambiguous, a lone STOP outside a conversation is only "
    "recorded") {
  fake_provider provider;
  server_fixture s(config_for(provider));
  sms_client sms(s);
  CHECK(sms.text("SM0060", "+447700900700", "END").status == 200);
  CHECK(get(s, "/v1/queue").at("waiting").as_int64() == 1);
  CHECK(s.process().log().find(R"("kind":"ambiguous_opt_word")") != std::string::npos);
  CHECK(sms.text("SM0061", "+447700900701", "Stop").status == 200);
  CHECK(get(s, "/v1/queue").at("waiting").as_int64() == 1);
  CHECK(s.export_events().size() == 2);
}

TEST_CASE("a flood from one number is merged into its one contact while everyone else is served") {
  fake_provider provider;
  server_fixture s(config_for(provider, {}, "max_connections: 64"));
  constexpr int threads = 4;
  constexpr int per_thread = 75;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      server_fixture* fs = &s;
      http_client c(fs->process().port());
      for (int i = 0; i < per_thread; ++i) {
        adapters::form_body form;
        const auto sid = "SMF" + std::to_string(t) + "x" + std::to_string(i);
        form.add("MessageSid", sid);
        form.add("AccountSid", "AC0123456789abcdef0123456789abcdef");
        form.add("From", "+447700900800");
        form.add("To", shared_number);
        form.add("Body", "flood " + std::to_string(i));
        const auto sig = adapters::twilio_signature(
            auth_token, std::string(public_base) + "/v1/webhooks/twilio/sms", form);
        const auto r = c.request(
            "POST", "/v1/webhooks/twilio/sms", adapters::encode_form(form),
            {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", sig}});
        if (r.status == 200) ++ok;
      }
    });
  }
  sms_client sms(s);
  const auto started = std::chrono::steady_clock::now();
  const auto other = sms.text("SMOTHER", "+447700900801", "solent please help");
  const auto took = std::chrono::steady_clock::now() - started;
  for (auto& t : ts) t.join();
  CHECK(other.status == 200);
  CHECK(other.body.find("<Message>") != std::string::npos);
  WARN("another texter's acknowledgement during the flood took "
       << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us");
  CHECK(ok == threads * per_thread);
  CHECK(s.export_events().size() == threads * per_thread + 1);
  const auto q = get(s, "/v1/queue");
  CHECK(q.at("waiting").as_int64() == 2);
  for (const auto& e : q.at("entries").as_array()) {
    const auto c =
        get(s, "/v1/contacts/" + std::to_string(e.as_object().at("contact_id").as_int64()));
    if (c.at("from") == "+447700900800")
      CHECK(c.at("messages_in").as_int64() == threads * per_thread);
  }
}
