#include <catch2/catch.hpp>

#include <algorithm>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::testing;
namespace d = crisisline::core::dispatch;

namespace {

settings with_cars(bool text_person = false) {
  settings s;
  s.dispatch.units = {
      d::unit_config{.id = unit_id{"u1"},
                     .call_sign = "MHRC1",
                     .skills = {"mh_paramedic", "mh_nurse"},
                     .base = {50.90, -1.40},
                     .area = {},
                     .shifts = {},
                     .speed_kmh = {}},
      d::unit_config{.id = unit_id{"u2"},
                     .call_sign = "MHRC2",
                     .skills = {"mh_paramedic", "mh_nurse", "police"},
                     .base = {50.82, -1.09},
                     .area = {},
                     .shifts = {},
                     .speed_kmh = {}},
  };
  s.dispatch.text_person_en_route = text_person;
  s.dispatch.en_route_text = "The team is on the way.";
  return s;
}

const actor nina{actor_kind::staff, "nina", "nurse", "s1"};
const actor supervisor{actor_kind::staff, "sam", "supervisor", "s2"};
const actor system_actor{actor_kind::system, "crew_feed", "", ""};
actor crew(const std::string& id) {
  return actor{actor_kind::crew, id, "crew", "c-" + id};
}

d::raise_incident raise(std::uint64_t contact) {
  return d::raise_incident{.contact = contact_id{contact},
                           .coordinates = geo_point{50.91, -1.41},
                           .address = "1 High St",
                           .area = {},
                           .required_skills = {"mh_paramedic"},
                           .category = triage_category::b,
                           .police = {},
                           .note = "back door",
                           .monitor_only = false};
}

std::string rejection(const effects& fx) {
  const auto r = all_of<command_rejected>(fx);
  return r.empty() ? std::string{} : r.front().reason;
}

const effects& cmd(harness& h, const actor& by, d::command c) {
  return h.push_as(by, dispatch_command{std::move(c)});
}

const effects& status(harness& h, const actor& by, const std::string& unit, unit_state s,
                      std::uint64_t incident = 0) {
  return h.push_as(by, crew_status{.unit_id = unit,
                                   .state = s,
                                   .incident_id = incident,
                                   .location = {},
                                   .reason = {},
                                   .destination = {}});
}

// A text contact, crews signed on to both cars, and incident 1 raised from it.
harness ready(bool text_person = false, const std::string& from = "+447700900123") {
  harness h{with_cars(text_person)};
  h.push(text_event{.message_id = "SM1", .from = from, .to = "+447700900000", .body = "help"});
  REQUIRE(rejection(cmd(h, crew("alice"), d::crew_sign_on{unit_id{"u1"}, {"alice"}, {}, {}})) ==
          "");
  REQUIRE(rejection(cmd(h, crew("bob"), d::crew_sign_on{unit_id{"u2"}, {"bob"}, {}, {}})) == "");
  REQUIRE(rejection(cmd(h, nina, raise(1))) == "");
  return h;
}

}  // namespace

TEST_CASE("a nurse raises an incident from a real contact and the contact sees it") {
  harness h{with_cars()};
  h.push(text_event{.message_id = "SM1", .from = "+447700900123", .to = "+447700900000"});
  const std::string before = h.state();
  CHECK(rejection(cmd(h, nina, raise(99))) == "there is no contact 99");
  CHECK(h.state() == before);
  CHECK(h.eng.board().incidents().empty());

  const auto& fx = cmd(h, nina, raise(1));
  CHECK(rejection(fx).empty());
  // Raised, and (no crew signed on) queued: both reach the contact.
  const auto updates = all_of<dispatch_update>(fx);
  REQUIRE(updates.size() == 2);
  CHECK(updates[0].contact == contact_id{1});
  CHECK(updates[0].incident == incident_id{1});
  CHECK(updates[0].text == "Incident 1 raised");
  CHECK(updates[1].state == d::incident_state::queued);
  REQUIRE(h.eng.incidents_of(contact_id{1}).size() == 1);
  CHECK(h.eng.incidents_of(contact_id{1})[0]->raised_by_id == "nina");
}

TEST_CASE("actors map to board roles: nurse, dispatcher, crew of their own unit, system") {
  harness h{with_cars()};
  const auto role = [&](const actor& a) {
    const auto r = h.eng.dispatch_actor(a, nullptr);
    return r ? std::optional<d::actor_role>{r->role} : std::nullopt;
  };
  CHECK(role(nina) == d::actor_role::nurse);
  CHECK(role(supervisor) == d::actor_role::dispatcher);
  CHECK(role(actor{actor_kind::staff, "a", "admin", ""}) == d::actor_role::dispatcher);
  CHECK(role(actor{actor_kind::staff, "i", "integration", ""}) == d::actor_role::dispatcher);
  CHECK(role(actor{actor_kind::integration, "dev", "", ""}) == d::actor_role::dispatcher);
  CHECK(role(actor{actor_kind::staff, "c", "crew", ""}) == d::actor_role::crew);
  CHECK(role(crew("c")) == d::actor_role::crew);
  CHECK(role(system_actor) == d::actor_role::system);
  CHECK_FALSE(role(actor{actor_kind::provider, "twilio", "", ""}).has_value());
  CHECK_FALSE(role(actor{actor_kind::staff, "x", "janitor", ""}).has_value());
  CHECK_FALSE(role(actor{}).has_value());

  // A provider may not dispatch; the refusal is logged, nothing changes.
  h.push(text_event{.message_id = "SM1", .from = "+447700900123", .to = "+447700900000"});
  CHECK(rejection(cmd(h, actor{actor_kind::provider, "twilio", "", ""}, raise(1))) ==
        "this account may not give dispatch commands");
  CHECK(h.eng.board().incidents().empty());
}

TEST_CASE("a crew acts only for the unit they signed on to") {
  harness h = ready();
  CHECK(h.eng.dispatch_actor(crew("alice"), nullptr)->unit == unit_id{"u1"});
  CHECK(h.eng.dispatch_actor(crew("nobody"), nullptr)->unit == unit_id{});
  REQUIRE(rejection(cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""})) == "");
  // Bob is on u2: he cannot acknowledge for u1.
  CHECK(rejection(cmd(h, crew("bob"), d::acknowledge{incident_id{1}, unit_id{"u1"}})) ==
        "a crew may acknowledge only their own unit's alerts");
  CHECK(rejection(status(h, crew("bob"), "u1", unit_state::en_route)) ==
        "a crew may set only their own unit's status");
  CHECK(rejection(status(h, crew("nobody"), "u1", unit_state::en_route)) ==
        "a crew member must be signed in to a unit");
  CHECK(rejection(cmd(h, crew("alice"), d::acknowledge{incident_id{1}, unit_id{"u1"}})) == "");
  // After signing off, alice's events no longer act for u1.
  REQUIRE(rejection(status(h, crew("alice"), "u1", unit_state::en_route)) == "");
  REQUIRE(rejection(status(h, crew("alice"), "u1", unit_state::on_scene)) == "");
  REQUIRE(rejection(status(h, crew("alice"), "u1", unit_state::clear)) == "");
  REQUIRE(rejection(cmd(h, crew("alice"), d::crew_sign_off{unit_id{"u1"}})) == "");
  CHECK(h.eng.dispatch_actor(crew("alice"), nullptr)->unit == unit_id{});
}

TEST_CASE("a unit a dispatcher signs off no longer has its crew on it") {
  harness h = ready();
  REQUIRE(h.eng.dispatch_actor(crew("bob"), nullptr)->unit == unit_id{"u2"});
  REQUIRE(rejection(cmd(h, supervisor, d::crew_sign_off{unit_id{"u2"}})) == "");
  CHECK(h.eng.dispatch_actor(crew("bob"), nullptr)->unit == unit_id{});
  CHECK(rejection(status(h, crew("bob"), "u2", unit_state::available)) ==
        "a crew member must be signed in to a unit");
  // Alice, on another unit, is untouched.
  CHECK(h.eng.dispatch_actor(crew("alice"), nullptr)->unit == unit_id{"u1"});
}

TEST_CASE("the whole loop: assign, alert, acknowledge, en route, on scene, clear, end") {
  harness h = ready(true);
  auto fx = cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, "go now"});
  const auto alerts = all_of<d::crew_alert>(fx);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].unit == unit_id{"u1"});
  CHECK(alerts[0].assign_note == "go now");
  CHECK(alerts[0].contacts == std::vector<contact_id>{contact_id{1}});
  auto updates = all_of<dispatch_update>(fx);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].state == d::incident_state::active);
  REQUIRE(updates[0].units.size() == 1);
  CHECK(updates[0].units[0].call_sign == "MHRC1");
  CHECK(updates[0].units[0].state == unit_state::assigned);
  CHECK(updates[0].units[0].eta.has_value());
  // The feed can rebuild the alert from the state (resume, restart).
  REQUIRE(h.eng.board().unacknowledged_alerts(unit_id{"u1"}).size() == 1);
  CHECK(h.eng.board().unacknowledged_alerts(unit_id{"u1"})[0] == alerts[0]);

  REQUIRE(rejection(cmd(h, system_actor, d::alert_sent{incident_id{1}, unit_id{"u1"}})) == "");
  REQUIRE(rejection(cmd(h, crew("alice"), d::acknowledge{incident_id{1}, unit_id{"u1"}})) == "");
  CHECK(h.eng.board().unacknowledged_alerts(unit_id{"u1"}).empty());

  fx = status(h, crew("alice"), "u1", unit_state::en_route);
  updates = all_of<dispatch_update>(fx);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].units[0].state == unit_state::en_route);
  CHECK(updates[0].text.find("en route") != std::string::npos);
  // The person is told, once, through the SMS outbox.
  const auto texts = all_of<send_text>(fx);
  REQUIRE(texts.size() == 1);
  const auto* out = h.eng.outbox().find(texts[0].outbound_id);
  REQUIRE(out);
  CHECK(out->to == "+447700900123");
  CHECK(out->from == "+447700900000");
  CHECK(out->body == "The team is on the way.");

  REQUIRE(rejection(status(h, crew("alice"), "u1", unit_state::on_scene)) == "");
  CHECK(rejection(cmd(h, nina, d::end_incident{incident_id{1}, "safe"})).find("assigned") !=
        std::string::npos);
  fx = status(h, crew("alice"), "u1", unit_state::clear);
  CHECK(all_of<dispatch_update>(fx).at(0).text.find("clear") != std::string::npos);
  REQUIRE(rejection(cmd(h, nina, d::end_incident{incident_id{1}, "safe"})) == "");
  CHECK(h.eng.board().find_incident(incident_id{1})->state == d::incident_state::ended);
  CHECK(h.eng.board().find_unit(unit_id{"u1"})->state == unit_state::clear);
}

TEST_CASE("the person text is never sent to an opted-out number, and only when enabled") {
  SECTION("opted out") {
    harness h{with_cars(true)};
    h.push(text_event{.message_id = "SM0",
                      .from = "+447700900123",
                      .to = "+447700900000",
                      .body = "STOP",
                      .opt = opt_keyword::opt_out});
    h.push(text_event{.message_id = "SM1", .from = "+447700900123", .to = "+447700900000"});
    cmd(h, crew("alice"), d::crew_sign_on{unit_id{"u1"}, {"alice"}, {}, {}});
    REQUIRE(rejection(cmd(h, nina, raise(2))) == "");
    cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
    const auto& fx = status(h, crew("alice"), "u1", unit_state::en_route);
    CHECK(rejection(fx).empty());
    CHECK(all_of<send_text>(fx).empty());
    CHECK(all_of<notice>(fx).empty());
    CHECK(h.eng.outbox().all().empty());
  }
  SECTION("a call has no number to text") {
    harness h{with_cars(true)};
    h.call("CA1", "+447700900555");
    cmd(h, crew("alice"), d::crew_sign_on{unit_id{"u1"}, {"alice"}, {}, {}});
    REQUIRE(rejection(cmd(h, nina, raise(1))) == "");
    cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
    CHECK(all_of<send_text>(status(h, crew("alice"), "u1", unit_state::en_route)).empty());
  }
  SECTION("disabled") {
    harness h = ready(false);
    cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
    CHECK(all_of<send_text>(status(h, crew("alice"), "u1", unit_state::en_route)).empty());
  }
  SECTION("only the first unit en route") {
    harness h = ready(true);
    cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
    cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u2"}, false, ""});
    CHECK(all_of<send_text>(status(h, crew("alice"), "u1", unit_state::en_route)).size() == 1);
    CHECK(all_of<send_text>(status(h, crew("bob"), "u2", unit_state::en_route)).empty());
  }
}

TEST_CASE("an unacknowledged alert notifies dispatchers through the engine's timers") {
  harness h = ready();
  cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
  REQUIRE(h.eng.board().next_deadline() == h.now + seconds(60));
  // The engine's deadline covers the board's (the text's own queue timers come first).
  REQUIRE(h.eng.next_deadline() <= h.eng.board().next_deadline());
  const auto fx = h.run_for(seconds(61));
  const auto notices = notices_of_kind(fx, d::notice_kind::ack_timeout);
  REQUIRE(notices.size() == 1);
  CHECK(notices[0].to == notice::audience::supervisors);
  CHECK(notices[0].contact_id == 1);
  CHECK(notices[0].incident_id == 1);
  CHECK(notices[0].unit_id == "u1");
  // Reminders keep coming until someone acts; a radio confirmation stops them.
  CHECK(h.eng.board().next_deadline() == h.now + seconds(59));
  REQUIRE(rejection(cmd(h, supervisor,
                        d::confirm_by_radio{incident_id{1}, unit_id{"u1"}, "heard on radio"})) ==
          "");
  CHECK_FALSE(h.eng.board().next_deadline().has_value());
}

TEST_CASE("pre-emption diverts a unit to a more urgent incident and re-queues the first") {
  harness h = ready();
  h.push(text_event{.message_id = "SM2", .from = "+447700900999", .to = "+447700900000"});
  const std::uint64_t second_contact = h.seq;
  cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
  cmd(h, crew("bob"), d::crew_sign_off{unit_id{"u2"}});
  auto urgent = raise(second_contact);
  urgent.category = triage_category::a;
  REQUIRE(rejection(cmd(h, nina, urgent)) == "");
  const auto& fx = cmd(h, supervisor,
                       d::stand_down{.incident = incident_id{1},
                                     .unit = unit_id{"u1"},
                                     .reason = d::stand_down_reason::pre_empted,
                                     .note = "category A",
                                     .divert_to = incident_id{2},
                                     .replace_with = {},
                                     .force_replacement = false});
  REQUIRE(rejection(fx) == "");
  REQUIRE(all_of<d::crew_stand_down>(fx).size() == 1);
  CHECK(all_of<d::crew_alert>(fx).at(0).incident == incident_id{2});
  CHECK(h.eng.board().find_incident(incident_id{1})->state == d::incident_state::queued);
  CHECK(h.eng.board().find_incident(incident_id{2})->state == d::incident_state::active);
  // Both contacts' nurses hear about it.
  bool first_told = false;
  bool second_told = false;
  for (const auto& u : all_of<dispatch_update>(fx)) {
    first_told |= u.contact == contact_id{1};
    second_told |= u.contact == contact_id{second_contact};
  }
  CHECK(first_told);
  CHECK(second_told);
}

TEST_CASE("replaying the log reproduces the dispatch state, deadlines and effects exactly") {
  harness live = ready(true);
  cmd(live, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""});
  live.run_for(seconds(130));
  cmd(live, supervisor, d::re_alert{incident_id{1}, unit_id{"u1"}});
  cmd(live, crew("alice"), d::acknowledge{incident_id{1}, unit_id{"u1"}});
  status(live, crew("alice"), "u1", unit_state::en_route);
  live.push(text_event{.message_id = "SM9", .from = "+447700900777", .to = "+447700900000"});
  cmd(live, nina, d::link_contact{incident_id{1}, contact_id{live.seq}});
  auto queued = raise(1);
  queued.required_skills = {"camhs"};
  cmd(live, nina, queued);
  live.run_for(std::chrono::hours(3));
  REQUIRE(live.eng.board().incidents().size() == 2);
  REQUIRE(live.eng.board().next_deadline().has_value());
  REQUIRE_FALSE(notices_of_kind(live.applied.back(), d::notice_kind::escalation).empty());

  engine replayed{with_cars(true)};
  std::vector<effects> replay_effects;
  for (const event& e : live.log) replay_effects.push_back(replayed.apply(e));
  CHECK(replayed.dump() == live.eng.dump());
  CHECK(replayed.digest() == live.eng.digest());
  CHECK(replayed.board().digest() == live.eng.board().digest());
  CHECK(replayed.next_deadline() == live.eng.next_deadline());
  // The same decisions (alerts, notices, texts), event by event.
  CHECK(replay_effects == live.applied);
  // The dispatch state is in the digest: a different history gives another.
  harness other = ready(true);
  CHECK(other.eng.digest() != live.eng.digest());
}

TEST_CASE(
    "a handover lists the cars on scene and the unresolved dispatches of the nurse's contacts") {
  harness h{with_cars()};
  h.console("nina", start_shift{{}, {}, 3});
  const auto first = h.text("+447700900123", "help");
  h.accept("nina", first);
  const auto second = h.text("+447700900124", "please");
  h.accept("nina", second);
  REQUIRE(rejection(cmd(h, crew("alice"), d::crew_sign_on{unit_id{"u1"}, {"alice"}, {}, {}})) ==
          "");
  REQUIRE(rejection(cmd(h, nina, raise(first))) == "");
  REQUIRE(rejection(cmd(h, nina, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""})) == "");
  REQUIRE(rejection(cmd(h, crew("alice"), d::acknowledge{incident_id{1}, unit_id{"u1"}})) == "");
  REQUIRE(rejection(status(h, crew("alice"), "u1", unit_state::en_route)) == "");
  REQUIRE(rejection(status(h, crew("alice"), "u1", unit_state::on_scene)) == "");
  // A second incident with no unit: unresolved, but no car on scene.
  REQUIRE(rejection(cmd(h, nina, raise(second))) == "");

  REQUIRE_FALSE(rejected(h.console("nina", end_shift{.handover_to = "", .note = ""})));
  REQUIRE(h.eng.handovers().size() == 1);
  const handover& ho = h.eng.handovers().begin()->second;
  REQUIRE(ho.cars_on_scene.size() == 1);
  CHECK(ho.cars_on_scene[0].incident_id == 1);
  CHECK(ho.cars_on_scene[0].unit == "u1");
  CHECK(ho.cars_on_scene[0].state == "on scene");
  CHECK(ho.cars_on_scene[0].contact == contact_id{first});
  REQUIRE(ho.unresolved_dispatches.size() == 2);
  CHECK(ho.unresolved_dispatches[0].incident_id == 1);
  CHECK(ho.unresolved_dispatches[0].state == "active");
  CHECK(ho.unresolved_dispatches[1].incident_id == 2);
  CHECK(ho.unresolved_dispatches[1].contact == contact_id{second});
}

TEST_CASE("touched_incidents lists the incidents a dispatch event changed, and only those") {
  harness h = ready();
  // Possibly repeated: one entry per effect that names the incident.
  const auto only_incident_1 = [&] {
    const auto& touched = h.eng.touched_incidents();
    return !touched.empty() && std::all_of(touched.begin(), touched.end(),
                                           [](incident_id id) { return id == incident_id{1}; });
  };
  CHECK(only_incident_1());
  h.push(text_event{.message_id = "SM2", .from = "+447700900124", .to = "+447700900000"});
  CHECK(h.eng.touched_incidents().empty());
  REQUIRE(rejection(cmd(h, supervisor, d::assign_unit{incident_id{1}, unit_id{"u1"}, false, ""})) ==
          "");
  CHECK(only_incident_1());
  // A refused command changes no incident.
  CHECK_FALSE(
      rejection(cmd(h, supervisor, d::assign_unit{incident_id{9}, unit_id{"u2"}, false, ""}))
          .empty());
  CHECK(h.eng.touched_incidents().empty());
}
