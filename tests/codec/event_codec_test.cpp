#include <catch2/catch.hpp>

#include "codec/dispatch_codec.hpp"
#include "codec/event_codec.hpp"

using namespace crisisline;

namespace {

v1::Event valid_text() {
  v1::Event e;
  e.set_source("twilio");
  e.set_source_event_id("SM123");
  auto* t = e.mutable_text();
  t->set_message_id("SM123");
  t->set_from("+447700900123");
  t->set_to("+447700900000");
  t->set_body("800mg");
  t->set_num_segments(1);
  t->set_body_repaired(true);
  return e;
}

}  // namespace

TEST_CASE("timestamps convert both ways, including before the epoch") {
  for (std::int64_t us : {0LL, 1LL, 1'763'769'600'123'456LL, -1LL, -1'500'000LL}) {
    CHECK(core::to_micros(codec::from_proto_time(codec::to_proto_time(core::from_micros(us)))) ==
          us);
  }
  const auto t = codec::to_proto_time(core::from_micros(-1));
  CHECK(t.seconds() == -1);
  CHECK(t.nanos() == 999'999'000);
}

TEST_CASE("an event's envelope and payload reach the core unchanged") {
  auto e = valid_text();
  e.set_seq(42);
  *e.mutable_recorded_time() = codec::to_proto_time(core::from_micros(5'000'000));
  e.mutable_actor()->set_kind(v1::Actor::PROVIDER);
  e.mutable_actor()->set_id("twilio");
  const auto c = codec::to_core(e);
  CHECK(c.seq == 42);
  CHECK(core::to_micros(c.recorded_time) == 5'000'000);
  CHECK_FALSE(c.occurred_time.has_value());
  CHECK(c.source == "twilio");
  CHECK(c.source_event_id == "SM123");
  CHECK(c.by.kind == core::actor_kind::provider);
  const auto& t = std::get<core::text_event>(c.payload);
  CHECK(t.from == "+447700900123");
  CHECK(t.body == "800mg");
  CHECK(t.body_repaired);
}

TEST_CASE("console commands convert with their arguments") {
  v1::Event e;
  e.mutable_console()->set_nurse_id("n1");
  auto* st = e.mutable_console()->mutable_set_triage();
  st->set_contact_id(7);
  st->set_category(v1::TRIAGE_B);
  st->set_reason("plan and means");
  const auto c = codec::to_core(e);
  const auto& cmd = std::get<core::console_command>(c.payload);
  CHECK(cmd.nurse_id == "n1");
  const auto& t = std::get<core::set_triage>(cmd.action);
  CHECK(t.contact_id == 7);
  CHECK(t.category == core::triage_category::b);
  CHECK(t.reason == "plan and means");
}

TEST_CASE("calls and crew status convert with their enums") {
  v1::Event e;
  auto* call = e.mutable_call();
  call->set_call_id("CA1");
  call->set_status(v1::CALL_ABANDONED);
  call->set_route(v1::NHS111_OPTION2);
  auto c = codec::to_core(e);
  const auto& ce = std::get<core::call_event>(c.payload);
  CHECK(ce.status == core::call_status::abandoned);
  CHECK(ce.route == core::route_of_access::nhs111_option2);

  v1::Event s;
  s.mutable_crew_status()->set_unit_id("MHRC1");
  s.mutable_crew_status()->set_state(v1::UNIT_ON_SCENE);
  s.mutable_crew_status()->mutable_location()->set_latitude(50.8);
  const auto cs = std::get<core::crew_status>(codec::to_core(s).payload);
  CHECK(cs.state == core::unit_state::on_scene);
  REQUIRE(cs.location.has_value());
  CHECK(cs.location->latitude == Approx(50.8));
}

TEST_CASE("payload kinds and actor labels are stable names for the events table") {
  auto e = valid_text();
  CHECK(codec::payload_kind(e) == "text");
  e.mutable_call()->set_call_id("CA1");
  CHECK(codec::payload_kind(e) == "call");
  e.mutable_timer();
  CHECK(codec::payload_kind(e) == "timer");
  e.clear_payload();
  CHECK(codec::payload_kind(e) == "none");
  v1::Actor a;
  a.set_kind(v1::Actor::INTEGRATION);
  a.set_id("pbx");
  CHECK(codec::actor_label(a) == "integration:pbx");
}

TEST_CASE("ingest refuses events that would break idempotency or carry nothing") {
  CHECK_FALSE(codec::ingest_problem(valid_text()).has_value());
  auto e = valid_text();
  e.clear_source_event_id();
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("source_event_id"));
  e = valid_text();
  e.clear_source();
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("source"));
  e = valid_text();
  e.set_source_event_id(std::string(300, 'x'));
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("256"));
  e = valid_text();
  e.clear_payload();
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("no payload"));
  e = valid_text();
  e.mutable_timer();
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("created by the server"));
  e = valid_text();
  e.mutable_console()->set_nurse_id("n1");
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("no command"));
  e = valid_text();
  e.mutable_call()->set_call_id("CA1");
  CHECK_THAT(*codec::ingest_problem(e), Catch::Contains("call.status"));
}

TEST_CASE("a purged text keeps what the risk scan found, and a retention purge converts") {
  v1::Event e;
  auto* t = e.mutable_text();
  t->set_message_id("SM1");
  t->set_body("[purged]");
  t->set_body_purged(true);
  t->add_purged_risk_rules("means_paracetamol");
  t->set_purged_risk_band(v1::TRIAGE_B);
  const auto text = std::get<core::text_event>(codec::to_core(e).payload);
  REQUIRE(text.purged_risk.has_value());
  CHECK(text.purged_risk->raise_to == core::triage_category::b);
  CHECK(text.purged_risk->fired == std::vector<std::string>{"means_paracetamol"});
  t->set_body_purged(false);
  CHECK_FALSE(std::get<core::text_event>(codec::to_core(e).payload).purged_risk.has_value());

  v1::Event p;
  auto* r = p.mutable_retention_purge();
  *r->mutable_before() = codec::to_proto_time(core::from_micros(7'000'000));
  r->set_through_seq(41);
  auto* c = r->add_contacts();
  c->set_contact_id(3);
  c->set_from_key("abc");
  const auto purge = std::get<core::retention_purge>(codec::to_core(p).payload);
  CHECK(core::to_micros(purge.before) == 7'000'000);
  CHECK(purge.through_seq == 41);
  REQUIRE(purge.contacts.size() == 1);
  CHECK(purge.contacts[0].contact_id == 3);
  CHECK(purge.contacts[0].from_key == "abc");
  CHECK(codec::payload_kind(p) == "retention_purge");

  // Clients cannot send either.
  p.set_source("x");
  p.set_source_event_id("1");
  CHECK(codec::ingest_problem(p).has_value());
  e.set_source("x");
  e.set_source_event_id("2");
  t->set_body_purged(true);
  CHECK(codec::ingest_problem(e).has_value());
}

TEST_CASE("triage categories convert to protobuf and back") {
  for (const auto c :
       {core::triage_category::unspecified, core::triage_category::a, core::triage_category::b,
        core::triage_category::c, core::triage_category::d, core::triage_category::e,
        core::triage_category::f, core::triage_category::g}) {
    v1::Event e;
    e.mutable_console()->mutable_set_triage()->set_category(codec::to_proto(c));
    const auto cmd = std::get<core::console_command>(codec::to_core(e).payload);
    CHECK(std::get<core::set_triage>(cmd.action).category == c);
  }
}

TEST_CASE("shift, handover and crisis-plan commands and sender keys reach the core") {
  v1::Event e;
  e.set_source("console:nina");
  e.set_source_event_id("k1");
  e.mutable_console()->set_nurse_id("nina");
  auto* s = e.mutable_console()->mutable_start_shift();
  s->add_skills("senior");
  s->add_areas("solent");
  s->set_text_capacity(2);
  const auto start = std::get<core::start_shift>(
      std::get<core::console_command>(codec::to_core(e).payload).action);
  CHECK(start.skills == std::vector<std::string>{"senior"});
  CHECK(start.areas == std::vector<std::string>{"solent"});
  CHECK(start.text_capacity == 2);

  e.mutable_console()->mutable_end_shift()->set_handover_to("omar");
  e.mutable_console()->mutable_end_shift()->set_note("busy");
  const auto end =
      std::get<core::end_shift>(std::get<core::console_command>(codec::to_core(e).payload).action);
  CHECK(end.handover_to == "omar");
  CHECK(end.note == "busy");

  e.mutable_console()->mutable_acknowledge_handover()->set_handover_id(42);
  CHECK(std::get<core::acknowledge_handover>(
            std::get<core::console_command>(codec::to_core(e).payload).action)
            .handover_id == 42);

  e.mutable_console()->mutable_add_note()->set_contact_id(7);
  e.mutable_console()->mutable_add_note()->set_text("ring Ann");
  e.mutable_console()->mutable_add_note()->set_kind("crisis_plan");
  const auto note =
      std::get<core::add_note>(std::get<core::console_command>(codec::to_core(e).payload).action);
  CHECK(note.kind == "crisis_plan");
  CHECK(note.contact_id == 7);

  auto text = valid_text();
  text.mutable_text()->set_sender_key("abc123");
  CHECK(std::get<core::text_event>(codec::to_core(text).payload).sender_key == "abc123");
  v1::Event call;
  call.mutable_call()->set_call_id("CA1");
  call.mutable_call()->set_sender_key("def456");
  CHECK(std::get<core::call_event>(codec::to_core(call).payload).sender_key == "def456");
}
