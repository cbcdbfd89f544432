#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "app/console_request.hpp"

using namespace crisisline;
using namespace crisisline::app;

namespace {

v1::ConsoleCommand ok(std::string_view action, std::string_view body, std::uint64_t target = 7,
                      console_limits limits = {}) {
  auto r = parse_console_command(action, target, body, limits);
  if (auto* e = std::get_if<net::http_response>(&r)) FAIL(e->body);
  return std::get<parsed_command>(r).command;
}

// The 400's detail, which must name the field.
std::string refused(std::string_view action, std::string_view body, console_limits limits = {}) {
  auto r = parse_console_command(action, 7, body, limits);
  REQUIRE(std::holds_alternative<net::http_response>(r));
  const auto& e = std::get<net::http_response>(r);
  CHECK(e.status == 400);
  return std::string(boost::json::parse(e.body).at("detail").as_string());
}

}  // namespace

TEST_CASE("each console route becomes its console command") {
  CHECK(ok("accept", "").accept().contact_id() == 7);
  CHECK(ok("take-next", "{}").has_take_next());
  CHECK(ok("wrap-up-done", "").has_wrap_up_done());
  CHECK(ok("status", R"({"status":"on_break"})").set_status().status() == v1::NURSE_ON_BREAK);
  const auto start =
      ok("shift/start", R"({"skills":["senior"],"areas":["solent"],"text_capacity":2})");
  CHECK(start.start_shift().skills(0) == "senior");
  CHECK(start.start_shift().areas(0) == "solent");
  CHECK(start.start_shift().text_capacity() == 2);
  const auto end = ok("shift/end", R"({"handover_to":"n2","note":"busy night"})");
  CHECK(end.end_shift().handover_to() == "n2");
  CHECK(end.end_shift().note() == "busy night");
  CHECK(ok("decline", R"({"reason":"I know them"})").decline().reason() == "I know them");
  const auto note = ok("notes", R"({"text":"call GP","kind":"crisis_plan"})");
  CHECK(note.add_note().kind() == "crisis_plan");
  CHECK(note.add_note().contact_id() == 7);
  const auto tri = ok("triage", R"({"category":"B","reason":"plan and means"})");
  CHECK(tri.set_triage().category() == v1::TRIAGE_B);
  const auto reply = ok("reply", R"({"body":"I'm here","clinically_necessary":true})");
  CHECK(reply.reply().body() == "I'm here");
  CHECK(reply.reply().clinically_necessary());
  const auto tr = ok("transfer", R"({"to_nurse":"n2","warm":true,"note":"knows her"})");
  CHECK(tr.transfer().to_nurse_id() == "n2");
  CHECK(tr.transfer().warm());
  CHECK(ok("transfer", R"({"to_area":"solent"})").transfer().to_area() == "solent");
  CHECK(ok("close", R"({"outcome_code":"98"})").close().outcome_code() == "98");
  const auto cb = ok("callback", R"({"due":"2030-05-01T09:30:00Z"})");
  CHECK(cb.create_callback().due_time().seconds() == 1903858200);
  CHECK_FALSE(ok("callback", "{}").create_callback().has_due_time());
  CHECK(ok("acknowledge", "", 42).acknowledge_handover().handover_id() == 42);
}

TEST_CASE("bad console bodies are refused with a 400 naming the field") {
  CHECK(refused("notes", "not json").find("JSON object") != std::string::npos);
  CHECK(refused("notes", "[1]").find("JSON object") != std::string::npos);
  CHECK(refused("notes", "{}").find("text") == 0);
  CHECK(refused("notes", R"({"text":""})").find("text") == 0);
  CHECK(refused("notes", R"({"text":"x","kind":"diary"})").find("kind") == 0);
  CHECK(refused("notes", R"({"txt":"x"})").find("txt") == 0);
  CHECK(refused("triage", R"({"category":"H","reason":"x"})").find("category") == 0);
  CHECK(refused("triage", R"({"category":"A"})").find("reason") == 0);
  CHECK(refused("reply", R"({"body":5})").find("body") == 0);
  CHECK(refused("reply", R"({"body":"x","clinically_necessary":"yes"})").find("clinically") == 0);
  CHECK(refused("transfer", R"({"to_nurse":"a","to_area":"b"})").find("to_nurse") == 0);
  CHECK(refused("transfer", R"({"warm":true,"to_nurse":"a"})").find("note") == 0);
  CHECK(refused("close", R"({"outcome_code":"07"})").find("outcome_code") == 0);
  CHECK(refused("close", "{}").find("outcome_code") == 0);
  CHECK(refused("callback", R"({"due":"tomorrow"})").find("due") == 0);
  CHECK(refused("status", R"({"status":"offline"})").find("status") == 0);
  CHECK(refused("shift/start", R"({"text_capacity":-1})").find("text_capacity") == 0);
  CHECK(refused("shift/start", R"({"skills":"senior"})").find("skills") == 0);
  CHECK(refused("accept", R"({"contact_id":9})").find("contact_id") == 0);
}

TEST_CASE("note, reply and reason lengths are bounded by the configured limits") {
  const console_limits small{.max_note_bytes = 10, .max_reply_bytes = 5, .max_reason_bytes = 3};
  CHECK(ok("notes", R"({"text":"0123456789"})", 7, small).add_note().text().size() == 10);
  CHECK(refused("notes", R"({"text":"0123456789X"})", small).find("longer than 10") !=
        std::string::npos);
  CHECK(refused("reply", R"({"body":"123456"})", small).find("body") == 0);
  CHECK(refused("decline", R"({"reason":"1234"})", small).find("reason") == 0);
  CHECK(refused("shift/end", R"({"note":"1234"})", small).find("note") == 0);
}

TEST_CASE("a supervisor's nurse_id is passed on for the role check, unknown actions are 404") {
  auto r = parse_console_command("take-next", 0, R"({"nurse_id":"n9"})", {});
  REQUIRE(std::holds_alternative<parsed_command>(r));
  CHECK(std::get<parsed_command>(r).acting_for == "n9");
  auto bad = parse_console_command("explode", 0, "", {});
  REQUIRE(std::holds_alternative<net::http_response>(bad));
  CHECK(std::get<net::http_response>(bad).status == 404);
}

TEST_CASE("idempotency keys are short visible ASCII") {
  CHECK(valid_idempotency_key("5f0c7a7e-1d2b-4c9e-9a51-0b1f3e0f2a11"));
  CHECK_FALSE(valid_idempotency_key(""));
  CHECK_FALSE(valid_idempotency_key("has space"));
  CHECK_FALSE(valid_idempotency_key(std::string(129, 'a')));
}
