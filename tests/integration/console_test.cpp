#include <chrono>
#include <thread>

#include "server_fixture.hpp"
#include "staff_session.hpp"

using namespace crisisline::test;
namespace json = boost::json;

namespace {

// A server with a sender-key secret (so a person's contacts are linked), a
// nurse, a second nurse and a supervisor, all logged in.
struct console_rig {
  server_fixture s{"sender_key_secret: \"test-secret\"\n"};
  std::string nurse;
  std::string nurse2;
  std::string sup;

  console_rig() {
    add_staff(s, "nina", "nurse");
    add_staff(s, "omar", "nurse");
    add_staff(s, "sue", "supervisor");
    nurse = token_of(s, "nina");
    nurse2 = token_of(s, "omar");
    sup = token_of(s, "sue");
  }

  http_response post(const std::string& target, const std::string& token, const json::object& body,
                     const std::string& idempotency_key = "") {
    http_headers h{{"Content-Type", "application/json"}, {"Authorization", "Bearer " + token}};
    if (!idempotency_key.empty()) h.emplace_back("Idempotency-Key", idempotency_key);
    return s.client().request("POST", target, json::serialize(body), h);
  }
  json::object get(const std::string& target, const std::string& token) {
    const auto r = call(s, "GET", target, token);
    INFO(target << ": " << r.body);
    REQUIRE(r.status == 200);
    return json_of(r);
  }
};

std::uint64_t seq_of(const http_response& r) {
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json_of(r).at("seq").to_number<std::uint64_t>();
}

}  // namespace

TEST_CASE("a nurse's first shift over the console API, from sign-on to handover") {
  console_rig r;
  const auto start =
      r.post("/v1/console/shift/start", r.nurse,
             {{"skills", json::array{}}, {"areas", json::array{}}, {"text_capacity", 3}});
  const auto shift = seq_of(start);
  CHECK(json_of(start).at("shift_id").to_number<std::uint64_t>() == shift);

  const auto me = r.get("/v1/me", r.nurse);
  CHECK(me.at("on_shift") == true);
  CHECK(me.at("shift_id").to_number<std::uint64_t>() == shift);
  CHECK(me.at("nurse").at("status") == "available");
  CHECK(r.get("/v1/me", r.sup).at("nurse").is_null());

  r.s.post_text("SM1", "+447700900123", "I can't cope tonight");
  const auto offers = r.get("/v1/console/offers", r.nurse).at("offers").as_array();
  REQUIRE(offers.size() == 1);
  const auto id = offers[0].at("contact_id").to_number<std::uint64_t>();
  CHECK(offers[0].at("channel") == "text");
  const std::string contact = "/v1/contacts/" + std::to_string(id);

  seq_of(r.post(contact + "/accept", r.nurse, {}));
  const auto mine = r.get("/v1/console/contacts", r.nurse).at("contacts").as_array();
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].at("contact_id").to_number<std::uint64_t>() == id);

  // A retried click is one note, not two.
  const auto note1 = r.post(contact + "/notes", r.nurse, {{"text", "Lives alone"}}, "key-1");
  const auto note2 = r.post(contact + "/notes", r.nurse, {{"text", "Lives alone"}}, "key-1");
  CHECK(seq_of(note1) == seq_of(note2));
  CHECK(json_of(note2).at("duplicate") == true);
  seq_of(r.post(contact + "/notes", r.nurse,
                {{"text", "Ring sister Ann first"}, {"kind", "crisis_plan"}}));
  seq_of(
      r.post(contact + "/triage", r.nurse, {{"category", "D"}, {"reason", "no plan, no means"}}));
  seq_of(r.post(contact + "/reply", r.nurse, {{"body", "I'm Nina, a nurse. I'm here."}}));

  auto detail = r.get(contact, r.nurse);
  CHECK(detail.at("band") == "D");
  CHECK(detail.at("notes").as_array().size() == 2);
  const auto& messages = detail.at("messages").as_array();
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].at("direction") == "in");
  CHECK(messages[0].at("body") == "I can't cope tonight");
  CHECK(messages[1].at("direction") == "out");
  CHECK(messages[1].at("body") == "I'm Nina, a nurse. I'm here.");
  CHECK(detail.at("crisis_plan").at("text") == "Ring sister Ann first");
  CHECK(detail.at("history").as_array().empty());

  seq_of(r.post(contact + "/close", r.nurse, {{"outcome_code", "02"}}));
  seq_of(r.post("/v1/console/wrap-up-done", r.nurse, {}));

  // The same person texts again: their history and crisis plan come with it.
  r.s.post_text("SM2", "+44 7700 900123", "it's me again");
  const auto again = r.get("/v1/console/offers", r.nurse).at("offers").as_array();
  REQUIRE(again.size() == 1);
  const auto id2 = again[0].at("contact_id").to_number<std::uint64_t>();
  seq_of(r.post("/v1/contacts/" + std::to_string(id2) + "/accept", r.nurse, {}));
  const auto second = r.get("/v1/contacts/" + std::to_string(id2), r.nurse);
  const auto& history = second.at("history").as_array();
  REQUIRE(history.size() == 1);
  CHECK(history[0].at("contact_id").to_number<std::uint64_t>() == id);
  CHECK(history[0].at("outcome_code") == "02");
  CHECK(history[0].at("band") == "D");
  CHECK(history[0].at("notes").as_array().size() == 2);
  CHECK(second.at("crisis_plan").at("text") == "Ring sister Ann first");
  CHECK(second.at("crisis_plan").at("contact_id").to_number<std::uint64_t>() == id);

  // End of shift: hand the open conversation to Omar, who acknowledges.
  seq_of(r.post("/v1/console/shift/start", r.nurse2, {}));
  const auto end = r.post("/v1/console/shift/end", r.nurse,
                          {{"handover_to", "omar"}, {"note", "second contact just started"}});
  const auto handover = seq_of(end);
  CHECK(json_of(end).at("handover_id").to_number<std::uint64_t>() == handover);
  CHECK(r.get("/v1/contacts/" + std::to_string(id2), r.nurse2).at("nurse") == "omar");
  const auto list = r.get("/v1/handovers?for=me", r.nurse2).at("handovers").as_array();
  REQUIRE(list.size() == 1);
  CHECK(list[0].at("from") == "nina");
  CHECK(list[0].at("to") == "omar");
  CHECK(list[0].at("note") == "second contact just started");
  REQUIRE(list[0].at("open_conversations").as_array().size() == 1);
  CHECK(list[0].at("acknowledged_by").is_null());
  seq_of(r.post("/v1/handovers/" + std::to_string(handover) + "/acknowledge", r.nurse2, {}));
  const auto acked = r.get("/v1/handovers?for=me", r.nurse2).at("handovers").as_array();
  CHECK(acked[0].at("acknowledged_by") == "omar");
  CHECK(acked[0].at("acknowledged_at").is_string());

  // Every read of a record and every command on one is on the audit trail.
  std::size_t reads = 0;
  std::size_t notes = 0;
  for (const auto& row : r.s.export_audit()) {
    if (row.at("user") != "nina") continue;
    if (row.at("action") == "read") ++reads;
    if (row.at("action") == "command:add_note") ++notes;
  }
  CHECK(reads == 2);
  CHECK(notes == 2);

  // Every command is in the log as the nurse who gave it.
  std::size_t by_nina = 0;
  for (const auto& e : r.s.export_events()) {
    const auto& ev = e.at("event").as_object();
    if (!ev.contains("console")) continue;
    if (ev.at("actor").at("id") == "nina") {
      ++by_nina;
      CHECK(ev.at("actor").at("kind") == "STAFF");
      CHECK(ev.at("source") == "console:nina");
    }
  }
  CHECK(by_nina == 10);
}

TEST_CASE("the console API refuses bad requests clearly and logs refused commands") {
  console_rig r;
  seq_of(r.post("/v1/console/shift/start", r.nurse, {}));
  r.s.post_text("SM1", "+447700900123", "hello");

  // Someone else's offer: refused by the engine, 409 with its reason and seq.
  const auto offers = r.get("/v1/console/offers", r.nurse).at("offers").as_array();
  REQUIRE(offers.size() == 1);
  const std::string contact =
      "/v1/contacts/" + std::to_string(offers[0].at("contact_id").to_number<std::uint64_t>());
  seq_of(r.post("/v1/console/shift/start", r.nurse2, {}));
  const auto stolen = r.post(contact + "/accept", r.nurse2, {}, "omar-accept");
  CHECK(stolen.status == 409);
  const auto body = json_of(stolen);
  CHECK(body.at("error") == "rejected");
  CHECK(body.at("detail").as_string().find("not on offer to you") != std::string::npos);
  const auto refused_seq = body.at("seq").to_number<std::uint64_t>();
  CHECK(r.s.export_events(refused_seq - 1).front().at("seq").to_number<std::uint64_t>() ==
        refused_seq);
  // A retry with the same Idempotency-Key (a lost answer) is told the same
  // thing, not "done": also after a restart, when only the log remembers.
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto again = r.post(contact + "/accept", r.nurse2, {}, "omar-accept");
    CHECK(again.status == 409);
    const auto retried = json_of(again);
    CHECK(retried.at("detail") == body.at("detail"));
    CHECK(retried.at("seq") == body.at("seq"));
    CHECK(retried.at("duplicate") == true);
    if (attempt == 0) REQUIRE(r.s.restart().code == 0);
  }

  const auto bad = r.post(contact + "/triage", r.nurse, {{"category", "Z"}, {"reason", "x"}});
  CHECK(bad.status == 400);
  CHECK(json_of(bad).at("detail").as_string().find("category") == 0);
  CHECK(r.post(contact + "/reply", r.nurse, {{"body", std::string(1601, 'x')}}).status == 400);
  CHECK(r.post("/v1/contacts/abc/accept", r.nurse, {}).status == 400);
  CHECK(r.post(contact + "/explode", r.nurse, {}).status == 404);
  // A nurse may not act for another nurse; a supervisor may.
  CHECK(r.post("/v1/console/status", r.nurse, {{"status", "on_break"}, {"nurse_id", "omar"}})
            .status == 403);
  seq_of(r.post("/v1/console/status", r.sup, {{"status", "on_break"}, {"nurse_id", "omar"}}));
  const auto sup_view = r.get("/v1/supervisor", r.sup);
  bool omar_on_break = false;
  for (const auto& n : sup_view.at("nurses").as_array()) {
    if (n.at("id") == "omar") omar_on_break = n.at("status") == "on_break";
  }
  CHECK(omar_on_break);
  // The refused command is on the audit trail twice: submitted with its
  // event, then rejected with the engine's reason.
  std::vector<std::string> omar;
  for (const auto& row : r.s.export_audit()) {
    if (row.at("user") == "omar" && row.at("action") == "command:accept") {
      omar.emplace_back(row.at("outcome").as_string());
      if (row.at("outcome") == "rejected") {
        CHECK(row.at("reason").as_string().find("not on offer") != std::string::npos);
      }
    }
  }
  CHECK(omar == std::vector<std::string>{"submitted", "rejected"});
  // Nothing the 400s carried reached the log.
  for (const auto& e : r.s.export_events()) {
    CHECK(json::serialize(e).find("\"Z\"") == std::string::npos);
  }
}

TEST_CASE("the supervisor view shows the queue by band, longest wait, breaches and nurses") {
  console_rig r;
  r.s.post_text("SM1", "+447700900001", "hello");
  r.s.post_text("SM2", "+447700900002", "I have taken 40 paracetamol");
  seq_of(r.post("/v1/console/shift/start", r.nurse, {{"text_capacity", 2}}));
  const auto v = r.get("/v1/supervisor", r.sup);
  const auto& q = v.at("queue").as_object();
  CHECK(q.at("waiting").to_number<int>() + 0 >= 1);
  CHECK(q.at("by_band").at("A").to_number<int>() + q.at("by_band").at("B").to_number<int>() +
            q.at("by_band").at("C").to_number<int>() ==
        q.at("waiting").to_number<int>());
  CHECK(q.at("longest_wait_seconds").to_number<double>() >= 0);
  CHECK(q.at("breaches").is_array());
  const auto& nurses = v.at("nurses").as_array();
  REQUIRE(nurses.size() == 1);
  CHECK(nurses[0].at("id") == "nina");
  CHECK(nurses[0].at("load").at("capacity").to_number<int>() == 2);
  CHECK(nurses[0].at("on_shift_since").is_string());
  CHECK(call(r.s, "GET", "/v1/supervisor", r.nurse).status == 403);
}

TEST_CASE(
    "a sender key sent by a client is replaced by the server's, so nobody can link contacts") {
  console_rig r;
  for (const auto& [id, from] : {std::pair{"SM1", "+447700900111"}, {"SM2", "+447700900222"}}) {
    const json::object batch{
        {"events", json::array{json::object{{"source", "itest"},
                                            {"sourceEventId", id},
                                            {"text", json::object{{"messageId", id},
                                                                  {"from", from},
                                                                  {"to", "+447700900000"},
                                                                  {"body", "hello"},
                                                                  {"senderKey", "forged"}}}}}}};
    REQUIRE(r.s.post_json("/v1/events", json::serialize(batch)).status == 200);
  }
  CHECK(r.get("/v1/contacts/2", r.sup).at("history").as_array().empty());
  for (const auto& e : r.s.export_events()) {
    CHECK(e.at("event").at("text").at("senderKey") != "forged");
  }
}

TEST_CASE("take-next puts the contact it hands over on the audit trail") {
  console_rig r;
  seq_of(r.post("/v1/console/shift/start", r.nurse, {}));
  r.s.post_text("SM1", "+447700900123", "hello");
  const auto offers = r.get("/v1/console/offers", r.nurse).at("offers").as_array();
  REQUIRE(offers.size() == 1);
  const auto id = offers[0].at("contact_id").to_number<std::uint64_t>();
  const std::string contact = "/v1/contacts/" + std::to_string(id);
  seq_of(r.post(contact + "/decline", r.nurse, {{"reason", "need a minute"}}));
  REQUIRE(r.get("/v1/console/contacts", r.nurse).at("contacts").as_array().empty());

  // Pulling work gets the one contact waiting; the answer comes after the
  // audit row is written.
  seq_of(r.post("/v1/console/take-next", r.nurse, {}));
  const auto mine = r.get("/v1/console/contacts", r.nurse).at("contacts").as_array();
  REQUIRE(mine.size() == 1);
  CHECK(mine[0].at("contact_id").to_number<std::uint64_t>() == id);
  std::vector<boost::json::object> rows;
  for (const auto& row : r.s.export_audit()) {
    if (row.at("action") == "command:take_next") rows.push_back(row);
  }
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].at("user") == "nina");
  CHECK(rows[0].at("role") == "nurse");
  CHECK(rows[0].at("record").as_string() == "contact:" + std::to_string(id));
  CHECK(rows[0].at("outcome") == "assigned to nina");

  // Nothing waiting: refused, and nothing to put on the trail.
  CHECK(r.post("/v1/console/take-next", r.nurse, {}).status == 409);
  std::size_t after = 0;
  for (const auto& row : r.s.export_audit()) after += row.at("action") == "command:take_next";
  CHECK(after == 1);
}
