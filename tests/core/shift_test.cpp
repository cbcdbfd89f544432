#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::testing;

namespace {

std::uint64_t keyed_text(harness& h, const std::string& from, const std::string& key,
                         const std::string& body) {
  h.push(text_event{.message_id = "SM" + std::to_string(h.seq + 1),
                    .from = from,
                    .body = body,
                    .sender_key = key});
  return h.seq;
}

const handover& only_handover(const harness& h) {
  REQUIRE(h.eng.handovers().size() == 1);
  return h.eng.handovers().begin()->second;
}

std::vector<std::uint64_t> ids_of(const std::vector<handover_contact>& v) {
  std::vector<std::uint64_t> out;
  for (const auto& x : v) out.push_back(x.contact.value());
  return out;
}

// Signs on a nurse with a shift and gives them two text conversations.
struct nurse_with_texts {
  harness h;
  std::uint64_t shift = 0;
  std::uint64_t first = 0;
  std::uint64_t second = 0;

  nurse_with_texts() {
    h.console("outgoing", start_shift{{}, {}, 3});
    shift = h.seq;
    first = h.text("+447700900001", "hello");
    h.accept("outgoing", first);
    h.advance(seconds(10));
    second = h.text("+447700900002", "I have 20 tablets");
    h.accept("outgoing", second);
    h.advance(seconds(30));
  }
};

}  // namespace

TEST_CASE("start_shift signs a nurse on with a shift id, a second start is refused") {
  harness h;
  const auto& fx = h.console("n1", start_shift{{"senior"}, {"north"}, 2});
  CHECK_FALSE(rejected(fx));
  const std::uint64_t shift = h.seq;
  const nurse_view n = h.nurse_of("n1");
  CHECK(n.shift_id == shift);
  CHECK(n.status == nurse_status::available);
  CHECK(n.text_capacity == 2);
  CHECK(n.areas == std::vector<std::string>{"north"});
  CHECK(n.signed_on_at == h.now);
  CHECK(all_of<nurse_changed>(fx).size() == 1);

  const std::string before = h.state();
  h.advance(seconds(5));
  const auto& again = h.console("n1", start_shift{});
  REQUIRE(rejected(again));
  CHECK(all_of<command_rejected>(again)[0].reason.find("already on shift") != std::string::npos);
  CHECK(h.state() == before);
}

TEST_CASE("end_shift without handover_to returns open conversations to the queue in their place") {
  nurse_with_texts s;
  harness& h = s.h;
  const auto later = h.text("+447700900003", "anyone there");
  const auto& fx = h.console("outgoing", end_shift{.handover_to = "", .note = "quiet night"});
  REQUIRE_FALSE(rejected(fx));
  CHECK_FALSE(h.eng.find_nurse(nurse_id{"outgoing"}).has_value());
  // Nothing dropped: both are waiting again, ahead of the later arrival,
  // ranked from when they first arrived.
  const auto q = h.queue_ids();
  REQUIRE(q.size() == 3);
  CHECK(h.get(s.first).state == contact_state::waiting);
  CHECK(h.get(s.second).state == contact_state::waiting);
  CHECK(h.get(s.first).arrival < h.get(later).arrival);
  CHECK(q.back() == later);
  CHECK_FALSE(h.get(s.first).nurse.has_value());

  const handover& rec = only_handover(h);
  CHECK(rec.id == h.seq);
  CHECK(rec.from == nurse_id{"outgoing"});
  CHECK_FALSE(rec.to.has_value());
  CHECK(rec.shift_id == s.shift);
  CHECK(rec.note == "quiet night");
  CHECK(rec.created == h.now);
  CHECK(ids_of(rec.open_conversations) == std::vector<std::uint64_t>{s.first, s.second});
  // The overdose text raised its band: it is the high-risk one.
  CHECK(ids_of(rec.high_risk) == std::vector<std::uint64_t>{s.second});
  CHECK(rec.high_risk[0].band == triage_category::b);
  CHECK_FALSE(rec.high_risk[0].risk_rules.empty());
  CHECK(rec.open_conversations[0].last_activity < rec.open_conversations[1].last_activity);
  CHECK(rec.cars_on_scene.empty());
  CHECK(rec.unresolved_dispatches.empty());
  // A note on each contact says why it came back.
  CHECK(h.get(s.first).notes.back().text.find("quiet night") != std::string::npos);
  CHECK(notices_of_kind(fx, notice_kind::handover).size() == 1);
  CHECK(all_of<queue_changed>(fx).size() == 1);
}

TEST_CASE(
    "end_shift with handover_to warm-transfers every open conversation to the incoming nurse") {
  nurse_with_texts s;
  harness& h = s.h;
  h.console("incoming", start_shift{{}, {}, 1});
  const auto& fx = h.console("outgoing", end_shift{.handover_to = "incoming", .note = "see notes"});
  REQUIRE_FALSE(rejected(fx));
  // Past the incoming nurse's text capacity of 1: a handover never strands anyone.
  CHECK(h.get(s.first).nurse == nurse_id{"incoming"});
  CHECK(h.get(s.second).nurse == nurse_id{"incoming"});
  CHECK(h.get(s.first).state == contact_state::active);
  CHECK(h.nurse_of("incoming").texts == 2);
  CHECK(h.queue_ids().empty());
  CHECK(all_of<contact_assigned>(fx).size() == 2);

  const handover& rec = only_handover(h);
  CHECK(rec.to == nurse_id{"incoming"});
  const auto to_incoming = notices_of_kind(fx, notice_kind::handover);
  REQUIRE(to_incoming.size() == 2);
  CHECK(to_incoming[0].to == notice::audience::nurse);
  CHECK(to_incoming[0].nurse_id == "incoming");
  CHECK(to_incoming[0].text.find("acknowledge") != std::string::npos);
  CHECK(to_incoming[1].to == notice::audience::supervisors);
}

TEST_CASE("end_shift is refused, changing nothing, when it would strand someone") {
  harness h;
  const std::string empty_state = h.state();
  CHECK(rejected(h.console("ghost", end_shift{})));
  CHECK(h.state() == empty_state);

  h.console("n1", start_shift{});
  h.console("n2", start_shift{});
  const auto call = h.call("CA1");
  const std::string& offered_to = h.get(call).offered_to->value();
  h.accept(offered_to, call);
  const std::string other = offered_to == "n1" ? "n2" : "n1";
  const std::string before = h.state();

  SECTION("a nurse on a call") {
    const auto& fx = h.console(offered_to, end_shift{});
    REQUIRE(rejected(fx));
    CHECK(all_of<command_rejected>(fx)[0].reason.find("call") != std::string::npos);
  }
  SECTION("handing over to oneself") {
    CHECK(rejected(h.console(other, end_shift{.handover_to = other})));
  }
  SECTION("handing over to someone not signed on") {
    CHECK(rejected(h.console(other, end_shift{.handover_to = "nobody"})));
  }
  SECTION("handing texts to a nurse on a call") {
    CHECK(rejected(h.console(other, end_shift{.handover_to = offered_to})));
  }
  CHECK(h.state() == before);
  CHECK(h.eng.handovers().empty());
}

TEST_CASE("a handover lists the callbacks the nurse booked and flags risky ones") {
  nurse_with_texts s;
  harness& h = s.h;
  const auto due = h.now + std::chrono::hours(2);
  h.console("outgoing", create_callback{s.second, due});
  const auto booked = h.seq;
  h.console("other", start_shift{});
  h.console("other", create_callback{s.first, h.now + std::chrono::hours(1)});
  h.close("outgoing", s.first);
  h.close("outgoing", s.second);
  h.console("outgoing", wrap_up_done{});

  REQUIRE_FALSE(rejected(h.console("outgoing", end_shift{})));
  const handover& rec = only_handover(h);
  CHECK(rec.open_conversations.empty());
  REQUIRE(ids_of(rec.pending_callbacks) == std::vector<std::uint64_t>{booked});
  CHECK(rec.pending_callbacks[0].due == due);
  CHECK(rec.pending_callbacks[0].kind == channel::callback);
  CHECK(ids_of(rec.high_risk) == std::vector<std::uint64_t>{booked});
  CHECK(h.get(booked).booked_by == nurse_id{"outgoing"});
}

TEST_CASE("only the incoming nurse acknowledges a handover, once, and who and when are kept") {
  nurse_with_texts s;
  harness& h = s.h;
  h.console("incoming", start_shift{});
  h.console("outgoing", end_shift{.handover_to = "incoming"});
  const std::uint64_t id = only_handover(h).id;
  h.advance(seconds(90));

  CHECK(rejected(h.console("incoming", acknowledge_handover{id + 100})));
  CHECK(rejected(h.console("someone_else", acknowledge_handover{id})));
  CHECK_FALSE(only_handover(h).acknowledged_by.has_value());

  const auto& fx = h.console("incoming", acknowledge_handover{id});
  REQUIRE_FALSE(rejected(fx));
  CHECK(only_handover(h).acknowledged_by == nurse_id{"incoming"});
  CHECK(only_handover(h).acknowledged_at == h.now);

  const auto& again = h.console("incoming", acknowledge_handover{id});
  REQUIRE(rejected(again));
  CHECK(all_of<command_rejected>(again)[0].reason.find("already acknowledged") !=
        std::string::npos);
}

TEST_CASE("a handover back to the queue may be acknowledged by whoever reads it") {
  nurse_with_texts s;
  s.h.console("outgoing", end_shift{});
  const std::uint64_t id = only_handover(s.h).id;
  CHECK_FALSE(rejected(s.h.console("night_nurse", acknowledge_handover{id})));
  CHECK(only_handover(s.h).acknowledged_by == nurse_id{"night_nurse"});
}

TEST_CASE("replaying a log with shifts and handovers reproduces handovers exactly") {
  nurse_with_texts s;
  harness& h = s.h;
  h.console("incoming", start_shift{{"senior"}, {}, 3});
  h.console("outgoing", create_callback{s.first, h.now + std::chrono::hours(1)});
  h.console("outgoing", end_shift{.handover_to = "incoming", .note = "n"});
  h.run_for(seconds(40));
  h.console("incoming", acknowledge_handover{only_handover(h).id});
  keyed_text(h, "+447700900009", "key9", "again");

  engine replayed;
  for (const event& e : h.log) (void)replayed.apply(e);
  CHECK(replayed.dump() == h.eng.dump());
  CHECK(replayed.digest() == h.eng.digest());
  CHECK(replayed.handovers() == h.eng.handovers());
  // The dump covers handovers: a different acknowledgement gives a different digest.
  CHECK(h.eng.dump().find("handover ") != std::string::npos);
  CHECK(h.eng.dump().find("ack 'incoming'") != std::string::npos);
}

TEST_CASE("contacts from the same person are linked by their sender key, withheld never") {
  harness h;
  h.sign_on("n1");
  const auto first = keyed_text(h, "+447700900001", "k1", "first time");
  h.accept("n1", first);
  h.close("n1", first);
  h.console("n1", wrap_up_done{});
  const auto second = keyed_text(h, "+447700900001", "k1", "me again");
  keyed_text(h, "+447700900002", "k2", "someone else");
  const auto anon = keyed_text(h, "anonymous", "k-anon", "hidden");

  CHECK(h.eng.contacts_of_sender("k1") ==
        std::vector<contact_id>{contact_id{first}, contact_id{second}});
  CHECK(h.eng.contacts_of_sender("").empty());
  CHECK(h.eng.contacts_of_sender("k-anon").empty());
  CHECK(h.get(anon).sender_key.empty());
  CHECK(h.get(second).inbound.size() == 1);
  CHECK(h.get(second).inbound[0].body == "me again");

  // A callback is the same person.
  h.push(call_event{.call_id = "CA1",
                    .status = call_status::offered,
                    .from = "+447700900005",
                    .sender_key = "k5"});
  const auto call = h.seq;
  h.call_status_of("CA1", call_status::abandoned);
  const auto linked = h.eng.contacts_of_sender("k5");
  REQUIRE(linked.size() == 2);
  CHECK(linked[0] == contact_id{call});
  CHECK(h.get(linked[1].value()).callback_of == contact_id{call});
}

TEST_CASE("texts in a conversation are kept in order, each reported as a contact change") {
  harness h;
  const auto id = h.text("+447700900001", "one");
  h.text("+447700900001", "two");
  const effects fx = h.last;
  CHECK(h.get(id).inbound.size() == 2);
  CHECK(h.get(id).inbound[1].body == "two");
  const auto changed = all_of<contact_changed>(fx);
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].contact == contact_id{id});
}

TEST_CASE("a note reports exactly its contact as changed, and the queue untouched") {
  harness h;
  const auto a = h.text("+447700900001", "one");
  h.text("+447700900002", "two");
  const auto& fx = h.console("n1", add_note{a, "called GP", ""});
  CHECK_FALSE(rejected(fx));
  CHECK(all_of<contact_changed>(fx) == std::vector<contact_changed>{{contact_id{a}}});
  CHECK(all_of<queue_changed>(fx).empty());
  CHECK(h.get(a).notes.back().kind.empty());
}

TEST_CASE("a crisis plan is a kind of note, other kinds and empty notes are refused") {
  harness h;
  const auto a = h.text("+447700900001", "one");
  CHECK_FALSE(rejected(h.console("n1", add_note{a, "call sister first", "crisis_plan"})));
  CHECK(h.get(a).notes.back().kind == "crisis_plan");
  const std::string before = h.state();
  CHECK(rejected(h.console("n1", add_note{a, "x", "shopping_list"})));
  CHECK(rejected(h.console("n1", add_note{a, "", ""})));
  CHECK(h.state() == before);
}

TEST_CASE(
    "shift records: kept after the shift, ended by end_shift or sign-off, never by a refusal") {
  harness h;
  h.console("amy", start_shift{});
  const auto amy_shift = h.seq;
  h.console("amy", start_shift{});
  CHECK(h.eng.shifts().size() == 1);
  CHECK(h.eng.touched_shifts().empty());
  h.console("ben", start_shift{});
  const auto ben_shift = h.seq;

  h.advance(seconds(3600));
  h.console("amy", end_shift{});
  const auto handover_id = h.seq;
  const shift_record* amy = h.eng.find_shift(amy_shift);
  REQUIRE(amy != nullptr);
  CHECK(amy->nurse == nurse_id{"amy"});
  CHECK(amy->ended == h.now);
  CHECK(amy->handover_id == handover_id);
  CHECK(h.eng.touched_shifts() == std::vector<std::uint64_t>{amy_shift});
  CHECK(h.eng.touched_handovers() == std::vector<std::uint64_t>{handover_id});

  h.advance(seconds(60));
  h.console("ben", nurse_sign_off{});
  const shift_record* ben = h.eng.find_shift(ben_shift);
  REQUIRE(ben != nullptr);
  CHECK(ben->ended == h.now);
  CHECK_FALSE(ben->handover_id.has_value());
  CHECK(h.eng.find_shift(handover_id) == nullptr);
}
