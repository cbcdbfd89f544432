#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::testing;

// Defaults used below: offer timeout 30 s, wrap-up 60 s, other areas after
// 60 s, seniors after 120 s, 3 texts per nurse; C answer 60 s / max 10 min.

TEST_CASE("engine counts applied events by kind and remembers the last seq") {
  harness h;
  h.text("+447700900001", "hello");
  h.call("CA1");
  CHECK(h.eng.stats().applied == 2);
  CHECK(h.eng.stats().last_seq == 2);
  CHECK(h.eng.stats().by_kind[1] == 1);
  CHECK(h.eng.stats().by_kind[2] == 1);
}

TEST_CASE("an offered call becomes a waiting contact whose id is the event's seq") {
  harness h;
  h.tick();
  const auto id = h.call("CA1", "+447700900001", "portsmouth");
  CHECK(id == 2);
  const contact& c = h.get(id);
  CHECK(c.kind == channel::call);
  CHECK(c.state == contact_state::waiting);
  CHECK(c.band == triage_category::c);
  CHECK(c.band_set_by == band_source::default_band);
  CHECK(c.route == route_of_access::nhs111_option2);
  CHECK(c.area == "portsmouth");
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{2});
  // A repeated "offered" for the same call does not create a second contact.
  h.call("CA1");
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{2});
}

TEST_CASE("pressing the danger digit puts a caller in band A and alerts supervisors") {
  harness h;
  const auto first = h.call("CA1");
  const auto id = h.call("CA2", "+447700900002", "", "1");
  CHECK(h.get(id).band == triage_category::a);
  CHECK(h.get(id).band_set_by == band_source::caller_digits);
  CHECK(notices_of_kind(h.last, notice_kind::emergency_services).size() == 1);
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{id, first});

  // The same key pressed while waiting (CALL_DIGITS) does the same.
  h.call_status_of("CA1", call_status::digits, "", "1");
  CHECK(h.get(first).band == triage_category::a);
  CHECK(notices_of_kind(h.last, notice_kind::emergency_services).size() == 1);
}

TEST_CASE("the danger digit is configurable and can be turned off") {
  settings s;
  s.queue.danger_digits = "9";
  harness h{s};
  CHECK(h.get(h.call("CA1", "+1", "", "1")).band == triage_category::c);
  CHECK(h.get(h.call("CA2", "+2", "", "9")).band == triage_category::a);

  settings off;
  off.queue.danger_digits = "";
  harness h2{off};
  CHECK(h2.get(h2.call("CA1", "+1", "", "1")).band == triage_category::c);
}

TEST_CASE("risk words in a text raise the band before triage and record the rules") {
  harness h;
  const auto calm = h.text("+447700900001", "can I talk to someone");
  const auto risky = h.text("+447700900002", "I have 32 tablets of paracetemol here");
  const contact& c = h.get(risky);
  CHECK(c.band == triage_category::b);
  CHECK(c.band_set_by == band_source::risk_rule);
  CHECK(c.risk_rules == std::vector<std::string>{"means_paracetamol", "dose_amount"});
  CHECK(h.get(calm).risk_rules.empty());
  CHECK(notices_of_kind(h.last, notice_kind::risk_raised).size() == 1);
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{risky, calm});
  REQUIRE(c.triage_history.size() == 2);
  CHECK(c.triage_history[1].from == triage_category::c);
  CHECK(c.triage_history[1].to == triage_category::b);
}

TEST_CASE("risk detection never lowers a band") {
  settings s;
  s.queue.default_band = triage_category::b;
  harness h{s};
  const auto id = h.text("+1", "feeling suicidal");  // ideation raises to C only
  CHECK(h.get(id).band == triage_category::b);
  CHECK(h.get(id).risk_rules == std::vector<std::string>{"suicidal_ideation"});
  CHECK(notices_of_kind(h.last, notice_kind::risk_raised).empty());
}

TEST_CASE("an act in progress in a text makes it band A with an emergency notice") {
  harness h;
  const auto id = h.text("+1", "I've taken an overdose");
  CHECK(h.get(id).band == triage_category::a);
  CHECK(notices_of_kind(h.last, notice_kind::emergency_services).size() == 1);
}

TEST_CASE("texts from one sender join their open conversation, a closed one starts afresh") {
  harness h;
  const auto id = h.keyword("+1", "SOLENT hi", "solent");
  CHECK(h.get(id).route == route_of_access::sms_keyword);
  CHECK(h.get(id).area == "solent");
  h.text("+1", "still there?");
  h.text("+1", "I have antifreeze");
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{id});
  CHECK(h.get(id).messages_in == 3);
  CHECK(h.get(id).band == triage_category::b);

  h.sign_on("n1");
  h.accept("n1", id);
  h.text("+1", "thanks");
  CHECK(h.get(id).messages_in == 4);
  h.close("n1", id);
  const auto again = h.text("+1", "me again");
  CHECK(again != id);
  CHECK(h.get(again).state == contact_state::waiting);
}

TEST_CASE("withheld senders never have their texts merged") {
  harness h;
  const auto a = h.text("anonymous", "hello");
  const auto b = h.text("anonymous", "hello");
  CHECK(a != b);
  CHECK(h.queue_ids().size() == 2);
}

TEST_CASE(
    "a nurse's triage overrides risk detection, even downwards, and later signals only notify") {
  harness h;
  const auto id = h.text("+1", "800mg ibuprofen");
  REQUIRE(h.get(id).band == triage_category::b);
  h.console("n1", set_triage{id, triage_category::d, "historic, safe now"});
  CHECK(h.get(id).band == triage_category::d);
  CHECK(h.get(id).band_set_by == band_source::nurse);
  CHECK(h.get(id).nurse_triaged);

  h.text("+1", "I have paracetamol too");
  CHECK(h.get(id).band == triage_category::d);
  CHECK(notices_of_kind(h.last, notice_kind::risk_after_triage).size() == 1);
  CHECK(h.get(id).risk_rules ==
        std::vector<std::string>{"means_nsaid", "dose_amount", "means_paracetamol"});
  const auto& hist = h.get(id).triage_history;
  CHECK(hist.back().source == band_source::nurse);
  CHECK(hist.back().by == "n1");
  CHECK(hist.back().reason == "historic, safe now");
}

TEST_CASE("a waiting contact is offered to the nurse free the longest, accepting answers it") {
  harness h;
  h.sign_on("early");
  h.advance(seconds(5));
  h.sign_on("late");
  h.advance(seconds(5));
  const auto id = h.call("CA1");
  CHECK(has_offer(h.last, id, "early"));
  CHECK(h.nurse_of("early").state == nurse_state::offered);
  CHECK(h.nurse_of("late").state == nurse_state::idle);

  h.advance(seconds(3));
  const auto& fx = h.accept("early", id);
  CHECK(all_of<contact_assigned>(fx).size() == 1);
  CHECK(h.get(id).state == contact_state::active);
  CHECK(h.get(id).answered_time == h.now);
  CHECK(h.get(id).exit == queue_exit::answered);
  CHECK(h.nurse_of("early").state == nurse_state::on_contact);
  CHECK(h.queue_ids().empty());
}

TEST_CASE("most urgent contact goes to the first free nurse") {
  harness h;
  const auto c1 = h.call("CA1");
  const auto b1 = h.text("+2", "20 tablets");
  h.sign_on("n1");
  CHECK(has_offer(h.last, b1, "n1"));
  CHECK_FALSE(has_offer(h.last, c1, "n1"));
}

TEST_CASE("after a contact the nurse wraps up, then is offered work when the timer ends it") {
  harness h;
  h.sign_on("n1");
  const auto a = h.call("CA1");
  h.accept("n1", a);
  const auto b = h.call("CA2", "+2");
  CHECK(all_of<offer_made>(h.last).empty());
  h.advance(seconds(100));
  h.close("n1", a, "02");
  CHECK(h.get(a).state == contact_state::closed);
  CHECK(h.get(a).outcome_code == "02");
  CHECK(h.nurse_of("n1").state == nurse_state::wrap_up);
  CHECK(all_of<offer_made>(h.last).empty());

  const effects fx = h.run_for(seconds(59));
  CHECK(all_of<offer_made>(fx).empty());
  const effects fx2 = h.run_for(seconds(1));
  CHECK(has_offer(fx2, b, "n1"));
}

TEST_CASE("wrap_up_done ends wrap-up early, without wrap-up it is refused") {
  harness h;
  h.sign_on("n1");
  const auto a = h.call("CA1");
  h.accept("n1", a);
  const auto b = h.call("CA2", "+2");
  h.close("n1", a);
  CHECK(has_offer(h.console("n1", wrap_up_done{}), b, "n1"));
  CHECK(rejected(h.console("n1", wrap_up_done{})));
}

TEST_CASE("an unanswered offer is withdrawn, the nurse paused, and the contact keeps its place") {
  harness h;
  h.sign_on("slow");
  h.advance(seconds(1));
  h.sign_on("other");
  h.console("other", set_nurse_status{nurse_status::on_break});
  const auto first = h.call("CA1");
  h.advance(seconds(2));
  const auto second = h.call("CA2", "+2");
  CHECK(h.get(first).offered_to == nurse_id{"slow"});

  const effects fx = h.run_for(seconds(30));
  const auto withdrawn = all_of<offer_withdrawn>(fx);
  REQUIRE(withdrawn.size() == 1);
  CHECK(withdrawn[0].reason == withdraw_reason::timed_out);
  CHECK(h.nurse_of("slow").status == nurse_status::on_break);
  CHECK(notices_of_kind(fx, notice_kind::offer_timeout).size() == 2);
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{first, second});
  CHECK(h.get(first).arrival == t0 + seconds(1));

  // The other nurse comes back and is offered the same contact, still first.
  CHECK(has_offer(h.console("other", set_nurse_status{nurse_status::available}), first, "other"));
}

TEST_CASE("an offer that has expired cannot be accepted even if the timer event is late") {
  harness h;
  h.sign_on("n1");
  const auto id = h.call("CA1");
  h.advance(seconds(31));
  const effects& fx = h.accept("n1", id);
  CHECK(rejected(fx));
  CHECK(all_of<offer_withdrawn>(fx).size() == 1);
  CHECK(h.get(id).state == contact_state::waiting);
  CHECK(h.nurse_of("n1").status == nurse_status::on_break);
}

TEST_CASE("a declined contact goes to another nurse and is not offered back to the decliner") {
  harness h;
  h.sign_on("n1");
  const auto id = h.call("CA1");
  REQUIRE(h.get(id).offered_to == nurse_id{"n1"});
  const effects& fx = h.console("n1", decline_offer{id, "I know this caller personally"});
  CHECK(all_of<offer_withdrawn>(fx).at(0).reason == withdraw_reason::declined);
  CHECK(notices_of_kind(fx, notice_kind::offer_declined).size() == 1);
  CHECK_FALSE(h.get(id).offered_to.has_value());
  REQUIRE(h.get(id).declines.size() == 1);
  CHECK(h.get(id).declines[0].reason == "I know this caller personally");
  CHECK(h.nurse_of("n1").status == nurse_status::available);

  CHECK(has_offer(h.sign_on("n2"), id, "n2"));
}

TEST_CASE("take_next gives a pulling nurse the most urgent contact they may take") {
  harness h;
  h.sign_on("n1");
  h.console("n1", set_nurse_status{nurse_status::on_break});
  const auto c = h.call("CA1");
  const auto b = h.text("+2", "\U0001F48A");
  CHECK(rejected(h.console("n1", take_next{})));  // on a break
  h.console("n1", set_nurse_status{nurse_status::available});
  // Becoming available offers the most urgent contact; take_next waits for an answer to it.
  REQUIRE(h.get(b).offered_to == nurse_id{"n1"});
  CHECK(rejected(h.console("n1", take_next{})));
  h.console("n1", decline_offer{b, "need a minute"});
  REQUIRE(h.get(c).offered_to == nurse_id{"n1"});
  h.console("n1", decline_offer{c, "need a minute"});
  const effects& fx = h.console("n1", take_next{});
  REQUIRE(all_of<contact_assigned>(fx).size() == 1);
  // Pulling work may pick up what the nurse declined earlier, most urgent first.
  CHECK(all_of<contact_assigned>(fx)[0].contact.value() == b);
  CHECK(h.get(b).state == contact_state::active);
  CHECK(h.get(c).state == contact_state::waiting);
  h.close("n1", b);
  REQUIRE(h.nurse_of("n1").state == nurse_state::wrap_up);
  // take_next during wrap-up ends it.
  CHECK(all_of<contact_assigned>(h.console("n1", take_next{}))[0].contact.value() == c);
  CHECK(rejected(h.console("n1", take_next{})));
}

TEST_CASE("other areas become eligible only after the widening wait, without losing place") {
  harness h;
  h.sign_on("local_busy", {}, {"solent"});
  const auto busy = h.call("CA0", "+9", "solent");
  h.accept("local_busy", busy);
  h.sign_on("far", {}, {"dorset"});
  const auto id = h.call("CA1", "+1", "solent");
  CHECK(all_of<offer_made>(h.last).empty());
  CHECK(h.eng.next_deadline() == h.now + seconds(30));  // 50% escalation first
  effects fx = h.run_for(seconds(59));
  CHECK(all_of<offer_made>(fx).empty());
  fx = h.run_for(seconds(1));
  CHECK(has_offer(fx, id, "far"));
  CHECK(h.get(id).arrival == t0);
}

TEST_CASE("senior clinicians are held back until a contact has waited the senior wait") {
  harness h;
  h.sign_on("senior", {"senior", "en"});
  const auto id = h.call("CA1");
  CHECK(all_of<offer_made>(h.last).empty());
  effects fx = h.run_for(seconds(119));
  CHECK(all_of<offer_made>(fx).empty());
  fx = h.run_for(seconds(1));
  CHECK(has_offer(fx, id, "senior"));

  // A non-senior colleague is offered at once.
  harness h2;
  h2.sign_on("senior", {"senior"});
  h2.sign_on("staff", {"en"});
  const auto id2 = h2.call("CA1");
  CHECK(has_offer(h2.last, id2, "staff"));
}

TEST_CASE("band A is offered to any nurse at once, whatever their area or seniority") {
  harness h;
  h.sign_on("senior_far", {"senior"}, {"dorset"});
  const auto id = h.call("CA1", "+1", "solent", "1");
  CHECK(has_offer(h.last, id, "senior_far"));
}

TEST_CASE("an emergency is offered to a nurse in wrap-up, routine work waits for it to end") {
  harness h;
  h.sign_on("n1");
  const auto first = h.call("CA1");
  h.accept("n1", first);
  h.close("n1", first);
  REQUIRE(h.nurse_of("n1").state == nurse_state::wrap_up);
  const auto routine = h.call("CA2", "+2");
  CHECK(all_of<offer_made>(h.last).empty());
  const auto a = h.call("CA3", "+3", "", "1");
  CHECK(has_offer(h.last, a, "n1"));
  h.accept("n1", a);
  CHECK(h.nurse_of("n1").state == nurse_state::on_contact);
  CHECK_FALSE(h.nurse_of("n1").wrap_up_until.has_value());
  CHECK(h.get(routine).state == contact_state::waiting);
}

TEST_CASE("text capacity: several texts per nurse, never mixed with a call") {
  harness h;
  h.sign_on("n1", {}, {}, 2);
  const auto t1 = h.text("+1", "hi");
  h.accept("n1", t1);
  const auto t2 = h.text("+2", "hi");
  CHECK(has_offer(h.last, t2, "n1"));
  h.accept("n1", t2);
  const auto t3 = h.text("+3", "hi");
  CHECK(all_of<offer_made>(h.last).empty());
  const auto call = h.call("CA1", "+4");
  CHECK(all_of<offer_made>(h.last).empty());
  CHECK(h.nurse_of("n1").texts == 2);
  h.close("n1", t1);
  h.console("n1", wrap_up_done{});
  // Room for one text again, but not for the call while a text is open.
  CHECK(h.get(t3).offered_to == nurse_id{"n1"});
  CHECK_FALSE(h.get(call).offered_to.has_value());

  harness h2;
  h2.sign_on("n1");
  h2.accept("n1", h2.call("CA1"));
  h2.text("+1", "hi");
  CHECK(all_of<offer_made>(h2.last).empty());
}

TEST_CASE("a nurse signing on without a capacity gets the configured default") {
  settings s;
  s.queue.default_text_capacity = 5;
  harness h{s};
  h.sign_on("n1");
  CHECK(h.nurse_of("n1").text_capacity == 5);
  h.sign_on("n2", {}, {}, 1);
  CHECK(h.nurse_of("n2").text_capacity == 1);
}

TEST_CASE("supervisors are told at 50, 75 and 100% of the answer target and at the maximum wait") {
  harness h;
  const auto id = h.call("CA1");
  effects fx = h.run_for(seconds(29));
  CHECK(all_of<notice>(fx).empty());
  fx = h.run_for(seconds(1));
  CHECK(notices_of_kind(fx, notice_kind::breach_50).size() == 1);
  fx = h.run_for(seconds(15));
  CHECK(notices_of_kind(fx, notice_kind::breach_75).size() == 1);
  fx = h.run_for(seconds(15));
  REQUIRE(notices_of_kind(fx, notice_kind::breach_100).size() == 1);
  CHECK(notices_of_kind(fx, notice_kind::breach_100)[0].contact_id == id);
  fx = h.run_for(seconds(539));
  CHECK(all_of<notice>(fx).empty());
  fx = h.run_for(seconds(1));
  CHECK(notices_of_kind(fx, notice_kind::max_wait).size() == 1);
  CHECK_FALSE(h.eng.next_deadline().has_value());
}

TEST_CASE("escalations stop once the contact is answered") {
  harness h;
  h.sign_on("n1");
  const auto id = h.call("CA1");
  h.advance(seconds(10));
  h.accept("n1", id);
  const effects fx = h.run_for(seconds(3600));
  CHECK(notices_of_kind(fx, notice_kind::breach_50).empty());
  CHECK(notices_of_kind(fx, notice_kind::max_wait).empty());
}

TEST_CASE("a late timer announces only the highest threshold crossed") {
  harness h;
  h.call("CA1");
  h.advance(seconds(61));
  const effects& fx = h.tick();
  CHECK(notices_of_kind(fx, notice_kind::breach_100).size() == 1);
  CHECK(notices_of_kind(fx, notice_kind::breach_50).empty());
  CHECK(notices_of_kind(fx, notice_kind::breach_75).empty());
}

TEST_CASE("an abandoned call leaves a callback in its place and band") {
  harness h;
  const auto first = h.call("CA1", "+1");
  h.advance(seconds(10));
  const auto second = h.call("CA2", "+2");
  h.advance(seconds(10));
  h.call_status_of("CA1", call_status::digits, "", "1");
  REQUIRE(h.get(first).band == triage_category::a);
  h.advance(seconds(5));
  h.call_status_of("CA1", call_status::abandoned);
  const auto cb = h.seq;
  CHECK(h.get(first).state == contact_state::closed);
  CHECK(h.get(first).exit == queue_exit::abandoned);
  CHECK(h.get(first).abandoned_time == h.now);
  const contact& c = h.get(cb);
  CHECK(c.kind == channel::callback);
  CHECK(c.callback_of == contact_id{first});
  CHECK(c.arrival == t0);
  CHECK(c.band == triage_category::a);
  CHECK(c.from == "+1");
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{cb, second});
  CHECK(notices_of_kind(h.last, notice_kind::callback_created).size() == 1);
}

TEST_CASE("a callback for a routine caller keeps its original place ahead of later callers") {
  harness h;
  const auto first = h.call("CA1", "+1");
  h.advance(seconds(20));
  const auto second = h.call("CA2", "+2");
  h.advance(seconds(5));
  h.call_status_of("CA1", call_status::abandoned);
  const auto cb = h.seq;
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{cb, second});
  const auto rows = h.eng.queue_snapshot(h.now);
  CHECK(rows[0].waited == seconds(25));
  CHECK(rows[0].reason.find("keeping that contact's place") != std::string::npos);
  (void)first;
}

TEST_CASE("a withheld caller who hangs up gets no callback, and supervisors are told") {
  harness h;
  h.call("CA1", "anonymous");
  h.call_status_of("CA1", call_status::abandoned);
  CHECK(h.queue_ids().empty());
  CHECK(notices_of_kind(h.last, notice_kind::abandoned_no_callback).size() == 1);
}

TEST_CASE("a caller who redials takes the place of the callback owed to them") {
  harness h;
  const auto first = h.call("CA1", "+1");
  h.advance(seconds(30));
  const auto other = h.call("CA2", "+2");
  h.advance(seconds(10));
  h.call_status_of("CA1", call_status::abandoned);
  const auto cb = h.seq;
  h.advance(seconds(10));
  const auto redial = h.call("CA3", "+1");
  CHECK(h.get(cb).state == contact_state::closed);
  CHECK(h.get(cb).exit == queue_exit::redialled);
  CHECK(h.get(redial).arrival == t0);
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{redial, other});
  (void)first;
}

TEST_CASE("the telephony platform answering, completing and abandoning calls is followed") {
  harness h;
  h.sign_on("n1");
  const auto id = h.call("CA1");
  REQUIRE(h.get(id).offered_to == nurse_id{"n1"});
  h.call_status_of("CA1", call_status::answered, "n1");
  CHECK(h.get(id).state == contact_state::active);
  CHECK(h.get(id).nurse == nurse_id{"n1"});
  CHECK(all_of<offer_withdrawn>(h.last).empty());
  h.call_status_of("CA1", call_status::completed);
  CHECK(h.get(id).state == contact_state::closed);
  CHECK(h.nurse_of("n1").state == nurse_state::wrap_up);
  // The nurse records the outcome after the caller has gone.
  CHECK_FALSE(rejected(h.close("n1", id, "05")));
  CHECK(h.get(id).outcome_code == "05");

  // A hang-up after answer closes; it is not an abandonment.
  h.console("n1", wrap_up_done{});
  const auto id2 = h.call("CA2", "+2");
  h.accept("n1", id2);
  h.call_status_of("CA2", call_status::abandoned);
  CHECK(h.get(id2).state == contact_state::closed);
  CHECK(h.get(id2).exit == queue_exit::answered);
  CHECK(h.queue_ids().empty());
}

TEST_CASE("an abandonment for a call never seen offered still owes a callback") {
  harness h;
  h.push(call_event{.call_id = "CA9", .status = call_status::abandoned, .from = "+1"});
  const auto id = h.seq;
  CHECK(h.get(id).kind == channel::callback);
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{id});
  // The late "offered" for it is not a second contact.
  h.call("CA9");
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{id});
}

TEST_CASE("a repeated hang-up or a call without an id does not create extra contacts") {
  harness h;
  h.push(call_event{.call_id = "CA9", .status = call_status::abandoned, .from = "+1"});
  h.push(call_event{.call_id = "CA9", .status = call_status::abandoned, .from = "+1"});
  CHECK(h.queue_ids().size() == 1);
  const auto a = h.call("");
  const auto b = h.call("");
  CHECK(a != b);
  CHECK(h.queue_ids().size() == 3);
  h.call_status_of("", call_status::abandoned);
  CHECK(h.queue_ids().size() == 3);
}

TEST_CASE("a nurse answered by the platform loses an offer they no longer have room for") {
  harness h;
  h.sign_on("n1");
  const auto offered = h.call("CA1", "+1");
  REQUIRE(h.get(offered).offered_to == nurse_id{"n1"});
  h.push(call_event{.call_id = "CA2", .status = call_status::offered, .from = "+2"});
  const effects& fx = h.call_status_of("CA2", call_status::answered, "n1");
  CHECK(all_of<offer_withdrawn>(fx).at(0).reason == withdraw_reason::nurse_unavailable);
  CHECK_FALSE(h.get(offered).offered_to.has_value());
  CHECK(h.nurse_of("n1").state == nurse_state::on_contact);
}

TEST_CASE("a nurse can book a callback for later, it joins the queue when due") {
  harness h;
  h.sign_on("n1");
  const auto id = h.call("CA1", "+1");
  h.accept("n1", id);
  h.close("n1", id, "02");
  h.console("n1", create_callback{id, h.now + seconds(600)});
  const auto cb = h.seq;
  CHECK(h.get(cb).state == contact_state::scheduled);
  CHECK(h.queue_ids().empty());
  h.run_for(seconds(599));
  CHECK(h.queue_ids().empty());
  const effects fx = h.run_for(seconds(1));
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{cb});
  CHECK(has_offer(fx, cb, "n1"));
  CHECK(rejected(h.console("n1", create_callback{12345, std::nullopt})));
}

TEST_CASE("transfer to a colleague or back to an area queue") {
  harness h;
  h.sign_on("n1");
  h.sign_on("n2");
  h.console("n2", set_nurse_status{nurse_status::on_break});
  const auto id = h.call("CA1", "+1", "solent");
  h.accept("n1", id);
  const effects& fx = h.console("n1", transfer{id, "n2", "", true, "needs CAMHS"});
  CHECK(h.get(id).nurse == nurse_id{"n2"});
  CHECK(notices_of_kind(fx, notice_kind::transferred).size() == 1);
  CHECK(h.get(id).notes.back().text == "Transfer note: needs CAMHS");
  CHECK(h.nurse_of("n1").state == nurse_state::idle);

  CHECK(rejected(h.console("n1", transfer{id, "", "dorset", false, ""})));  // not with n1
  h.console("n2", transfer{id, "", "dorset", false, ""});
  CHECK(h.get(id).state == contact_state::waiting);
  CHECK(h.get(id).area == "dorset");
  CHECK(h.get(id).arrival == t0);
  CHECK(h.queue_ids() == std::vector<std::uint64_t>{id});
}

TEST_CASE("going on a break or signing off withdraws an offer, the contact stays queued") {
  harness h;
  h.sign_on("n1");
  const auto id = h.call("CA1");
  const effects& fx = h.console("n1", set_nurse_status{nurse_status::on_break});
  CHECK(all_of<offer_withdrawn>(fx).at(0).reason == withdraw_reason::nurse_unavailable);
  CHECK(h.get(id).state == contact_state::waiting);
  h.console("n1", set_nurse_status{nurse_status::available});
  REQUIRE(h.get(id).offered_to == nurse_id{"n1"});
  h.console("n1", nurse_sign_off{});
  CHECK_FALSE(h.eng.find_nurse(nurse_id{"n1"}).has_value());
  CHECK_FALSE(h.get(id).offered_to.has_value());
}

TEST_CASE("nurse list shows status, state and load") {
  harness h;
  h.sign_on("a", {"en", "camhs"}, {"solent"}, 2);
  h.sign_on("b");
  const auto id = h.text("+1", "hi");
  h.accept("a", id);
  const auto rows = h.eng.nurses();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].id == nurse_id{"a"});
  CHECK(rows[0].state == nurse_state::on_contact);
  CHECK(rows[0].texts == 1);
  CHECK(rows[0].text_capacity == 2);
  CHECK(rows[0].skills == std::vector<std::string>{"en", "camhs"});
  CHECK(rows[0].contacts == std::vector<contact_id>{contact_id{id}});
  CHECK(rows[1].state == nurse_state::idle);
  CHECK(rows[1].status == nurse_status::available);
}

TEST_CASE("queue snapshot explains every position in plain words") {
  harness h;
  const auto c = h.call("CA1");
  h.advance(seconds(700));
  const auto b = h.text("+2", "800 mg");
  const auto a = h.call("CA2", "+3", "", "1");
  h.advance(seconds(5));
  const auto rows = h.eng.queue_snapshot(h.now);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].contact.value() == a);
  CHECK(rows[0].rank == 1);
  CHECK(rows[0].tier == urgency_queue::tier::emergency);
  CHECK(rows[0].reason.find("emergency") != std::string::npos);
  CHECK(rows[1].contact.value() == c);
  CHECK(rows[1].tier == urgency_queue::tier::overdue);
  CHECK(rows[1].waited == seconds(705));
  CHECK(rows[1].time_to_max_wait == seconds(-105));
  CHECK(rows[1].reason.find("past the band C maximum of 10 min") != std::string::npos);
  CHECK(rows[2].contact.value() == b);
  CHECK(rows[2].band == triage_category::b);
  CHECK(rows[2].time_to_breach == seconds(25));
  CHECK(rows[2].reason.find("breaches its 30 s answer target in 25 s") != std::string::npos);
}

TEST_CASE("invalid commands are rejected and change nothing") {
  harness h;
  h.sign_on("n1");
  h.sign_on("n2");
  const auto id = h.call("CA1");
  REQUIRE(h.get(id).offered_to == nurse_id{"n1"});
  const std::string before = h.state();

  const auto refused = [&](const std::string& nurse, console_action a) {
    const effects& fx = h.console(nurse, std::move(a));
    INFO(h.state());
    CHECK(rejected(fx));
    CHECK(fx.size() == 1);
    CHECK(h.state() == before);
  };
  refused("n2", accept_offer{id});     // not offered to n2
  refused("n1", accept_offer{999});    // no such contact
  refused("ghost", accept_offer{id});  // not signed on
  refused("n2", decline_offer{id, ""});
  refused("n2", close_contact{id, "07"});  // bad outcome code
  refused("n1", set_triage{999, triage_category::b, ""});
  refused("n1", set_triage{id, triage_category::unspecified, ""});
  refused("n1", add_note{999, "x"});
  refused("n1", transfer{id, "n2", "", false, ""});
  refused("n1", wrap_up_done{});
  refused("n1", take_next{});  // has an offer pending
  refused("n1", std::monostate{});
  refused("ghost", set_nurse_status{nurse_status::on_break});
  refused("n1", set_nurse_status{nurse_status::unspecified});
  refused("", nurse_sign_on{});

  h.accept("n1", id);
  const std::string after_accept = h.state();
  const effects& fx = h.console("n1", nurse_sign_off{});
  CHECK(rejected(fx));
  CHECK(h.state() == after_accept);
  CHECK(rejected(h.close("n2", id)));
  CHECK(h.state() == after_accept);
}

TEST_CASE("notes and replies are recorded on the contact") {
  harness h;
  const auto id = h.text("+1", "hi");
  h.console("n1", add_note{id, "known to CMHT"});
  h.console("n1", reply_text{id, "Hello, I'm a nurse", true});
  CHECK(h.get(id).notes.at(0).text == "known to CMHT");
  CHECK(h.get(id).replies.at(0).clinically_necessary);
}

TEST_CASE("a contact closed in the queue leaves it with its exit reason") {
  harness h;
  const auto id = h.text("+1", "test message please ignore");
  h.console("sup", close_contact{id, "98"});
  CHECK(h.get(id).exit == queue_exit::closed_in_queue);
  CHECK(h.get(id).state == contact_state::closed);
  CHECK(h.queue_ids().empty());
  CHECK_FALSE(h.eng.next_deadline().has_value());
  CHECK(rejected(h.console("sup", close_contact{id, "98"})));
}

TEST_CASE("a refused command is remembered by seq, so a retried delivery gets the same answer") {
  harness h;
  h.sign_on("n1");
  const auto accepted = h.seq;
  CHECK(h.eng.rejection_of(accepted) == nullptr);

  REQUIRE(rejected(h.console("n1", accept_offer{12345})));
  const auto refused = h.seq;
  const command_rejected* r = h.eng.rejection_of(refused);
  REQUIRE(r != nullptr);
  CHECK(r->nurse == nurse_id{"n1"});
  CHECK(r->command == "accept_offer");
  CHECK(*r == all_of<command_rejected>(h.last)[0]);

  // A replay of the log (a restart) remembers the same.
  engine replayed;
  for (const auto& e : h.log) (void)replayed.apply(e);
  REQUIRE(replayed.rejection_of(refused) != nullptr);
  CHECK(*replayed.rejection_of(refused) == *r);

  // Bounded: only the newest are kept.
  for (std::size_t i = 0; i < engine::remembered_rejections; ++i)
    REQUIRE(rejected(h.console("n1", accept_offer{12345})));
  CHECK(h.eng.rejection_of(refused) == nullptr);
  CHECK(h.eng.rejection_of(refused + 1) != nullptr);
  CHECK(h.eng.rejection_of(h.seq) != nullptr);
}
