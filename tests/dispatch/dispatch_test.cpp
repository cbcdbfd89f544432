#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::dispatch;
using namespace crisisline::core::dispatch::testing;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

const unit_id mhrc1{"mhrc1"};
const unit_id mhrc2{"mhrc2"};

std::vector<unit_status_record> skipped_records(const effect_list& fx) {
  std::vector<unit_status_record> out;
  for (const auto& r : all_of_type<unit_status_record>(fx))
    if (r.skipped) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE(
    "a contact goes from incident to dispatch, scene, transport and clear, and the nurse sees each "
    "step") {
  harness h;
  h.sign_on("mhrc1");
  auto fx = h.ok(raise_incident{.contact = contact_id{100},
                                .coordinates = cosham,
                                .address = "1 High St, Cosham",
                                .area = area_id{"portsmouth"},
                                .required_skills = {"mh_paramedic"},
                                .category = triage_category::b,
                                .police = std::nullopt,
                                .note = "took 20 paracetamol; lives alone",
                                .monitor_only = false},
                 nurse());
  const auto inc = all_of_type<incident_raised>(fx).at(0).incident;
  CHECK(h.get(inc).state == incident_state::raised);
  // The nurse gets a recommendation straight away.
  const auto rec = all_of_type<recommendation_made>(fx);
  REQUIRE(rec.size() == 1);
  REQUIRE(rec[0].rec.eligible.size() == 1);
  CHECK(rec[0].rec.eligible[0].call_sign == "MHRC1");

  fx = h.assign(inc, "mhrc1");
  CHECK(h.get(inc).state == incident_state::active);
  CHECK(h.get_unit("mhrc1").state == unit_state::assigned);
  const auto alerts = all_of_type<crew_alert>(fx);
  REQUIRE(alerts.size() == 1);
  const auto& alert = alerts[0];
  CHECK(alert.call_sign == "MHRC1");
  CHECK(alert.incident == inc);
  CHECK(alert.category == triage_category::b);
  CHECK(alert.target == duration{hours{4}});
  CHECK(alert.address == "1 High St, Cosham");
  CHECK(alert.coordinates.has_value());
  CHECK(alert.note == "took 20 paracetamol; lives alone");
  CHECK(alert.required_skills == std::vector<std::string>{"mh_paramedic"});
  CHECK(alert.contacts == std::vector<contact_id>{contact_id{100}});
  CHECK(alert.stacked_behind.empty());
  CHECK_FALSE(alert.repeat);
  // Cosham is ~3.2 km from the Portsmouth base: 5 minutes at 40 km/h.
  CHECK(nurse_texts(fx, contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 assigned, ETA 5 min"});

  h.ok(alert_sent{.incident = inc, .unit = mhrc1}, system_actor());
  CHECK(h.get_unit("mhrc1").state == unit_state::alerted);
  fx = h.ok(acknowledge{.incident = inc, .unit = mhrc1}, crew_of("mhrc1"));
  CHECK(nurse_texts(fx, contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 has acknowledged"});

  fx =
      h.ok(crew_status_update{.unit = mhrc1, .state = unit_state::en_route, .location = portsmouth},
           crew_of("mhrc1"));
  const auto updates = all_of_type<nurse_update>(fx);
  REQUIRE(updates.size() == 1);
  CHECK(updates[0].text == "Unit MHRC1 en route, ETA 5 min");
  CHECK(updates[0].eta.has_value());
  CHECK(updates[0].unit == mhrc1);

  CHECK(nurse_texts(h.status("mhrc1", unit_state::on_scene), contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 on scene"});
  h.status("mhrc1", unit_state::transporting, destination_kind::emergency_department);
  CHECK(nurse_texts(h.status("mhrc1", unit_state::at_destination), contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 at destination"});
  CHECK(nurse_texts(h.status("mhrc1", unit_state::clear), contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 clear"});
  CHECK(h.get_unit("mhrc1").state == unit_state::clear);
  CHECK(h.get_unit("mhrc1").live.empty());

  // Every step has a time, in order, and none was skipped.
  const auto& a = h.get(inc).assignments.at(0);
  std::vector<unit_state> seen;
  for (const auto& s : a.steps) {
    CHECK_FALSE(s.skipped());
    seen.push_back(s.state);
  }
  CHECK(seen == std::vector<unit_state>{unit_state::assigned, unit_state::alerted,
                                        unit_state::acknowledged, unit_state::en_route,
                                        unit_state::on_scene, unit_state::transporting,
                                        unit_state::at_destination, unit_state::clear});
  for (std::size_t i = 1; i < a.steps.size(); ++i) CHECK(*a.steps[i - 1].at < *a.steps[i].at);

  h.ok(end_incident{.incident = inc, .outcome = "05"}, nurse());
  CHECK(h.get(inc).state == incident_state::ended);
  // A cleared unit is back in service and can be sent again.
  const auto next = h.raise(triage_category::c, {}, 101);
  CHECK(h.board.recommend_for(next, h.now)->eligible.at(0).call_sign == "MHRC1");
}

TEST_CASE("timestamps only move forward") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  h.status("mhrc1", unit_state::en_route);
  const auto en_route_at = h.get_unit("mhrc1").last_status_at;

  SECTION("a status from the device dated before the unit's last one is refused") {
    const auto before = h.board.digest();
    const auto r = h.run(
        crew_status_update{
            .unit = mhrc1, .state = unit_state::on_scene, .occurred_at = en_route_at - seconds(30)},
        crew_of("mhrc1"));
    CHECK_FALSE(r.accepted);
    CHECK(r.kind == rejection::conflict);
    CHECK(r.reason ==
          "status time 2024-05-01T13:59:34Z is earlier than MHRC1's last status at "
          "2024-05-01T14:00:04Z");
    CHECK(h.board.digest() == before);
  }
  SECTION("a late-delivered status dated after the last one keeps its device time") {
    h.now += minutes{5};
    const auto r = h.run(
        crew_status_update{
            .unit = mhrc1, .state = unit_state::on_scene, .occurred_at = en_route_at + minutes{2}},
        crew_of("mhrc1"));
    REQUIRE(r.accepted);
    CHECK(h.get(inc).assignments[0].steps.back().at == en_route_at + minutes{2});
    CHECK(h.get(inc).assignments[0].steps.back().recorded_at == h.now);
  }
  SECTION("a device clock ahead of the server is capped at the server's time") {
    const auto r = h.run(
        crew_status_update{
            .unit = mhrc1, .state = unit_state::on_scene, .occurred_at = h.now + hours{1}},
        crew_of("mhrc1"));
    REQUIRE(r.accepted);
    CHECK(h.get(inc).assignments[0].steps.back().at == h.now);
  }
  SECTION("the board refuses a command dated before the latest it accepted") {
    const auto r = h.board.apply(recommend{.incident = inc}, nurse(), h.now - seconds(10));
    CHECK_FALSE(r.accepted);
    CHECK(r.kind == rejection::conflict);
  }
}

TEST_CASE("skipped steps are recorded as skipped, never back-filled") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  h.ok(alert_sent{.incident = inc, .unit = mhrc1}, system_actor());
  h.ok(acknowledge{.incident = inc, .unit = mhrc1}, crew_of("mhrc1"));

  SECTION("acknowledged straight to on scene skips en route") {
    const auto fx = h.status("mhrc1", unit_state::on_scene);
    const auto skipped = skipped_records(fx);
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].to == unit_state::en_route);
    CHECK_FALSE(skipped[0].at.has_value());
    CHECK(skipped[0].recorded_at == h.now);
    const auto& steps = h.get(inc).assignments[0].steps;
    REQUIRE(steps.size() == 5);
    CHECK(steps[3].state == unit_state::en_route);
    CHECK(steps[3].skipped());
    CHECK(steps[4].state == unit_state::on_scene);
    CHECK(steps[4].at == h.now);
  }
  SECTION("clearing from on scene skips nothing: transport is optional") {
    h.status("mhrc1", unit_state::en_route);
    h.status("mhrc1", unit_state::on_scene);
    CHECK(skipped_records(h.status("mhrc1", unit_state::clear)).empty());
  }
  SECTION("clearing while transporting skips at destination") {
    h.status("mhrc1", unit_state::en_route);
    h.status("mhrc1", unit_state::on_scene);
    h.status("mhrc1", unit_state::transporting);
    const auto skipped = skipped_records(h.status("mhrc1", unit_state::clear));
    REQUIRE(skipped.size() == 1);
    CHECK(skipped[0].to == unit_state::at_destination);
  }
}

TEST_CASE(
    "going en route without an alert or ack records both as skipped and stops the ack timer") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  const auto fx = h.status("mhrc1", unit_state::en_route);
  const auto skipped = skipped_records(fx);
  REQUIRE(skipped.size() == 2);
  CHECK(skipped[0].to == unit_state::alerted);
  CHECK(skipped[1].to == unit_state::acknowledged);
  CHECK_FALSE(h.board.next_deadline().has_value());
  CHECK(h.tick_at(h.now + minutes{10}).empty());
  // The alert that arrives late is refused: the crew is already on the way.
  CHECK_FALSE(h.run(alert_sent{.incident = inc, .unit = mhrc1}, system_actor()).accepted);
}

TEST_CASE("double booking is refused unless a dispatcher forces it, and the force is logged") {
  harness h;
  h.sign_on("mhrc1");
  const auto first = h.raise(triage_category::c, {}, 100);
  const auto second = h.raise(triage_category::b, {}, 200);
  h.assign(first, "mhrc1");
  h.status("mhrc1", unit_state::en_route);

  auto r = h.run(assign_unit{.incident = second, .unit = mhrc1, .force = false, .note = {}},
                 dispatcher());
  CHECK_FALSE(r.accepted);
  CHECK(r.kind == rejection::conflict);
  CHECK(r.reason ==
        "double booking refused: MHRC1 is en route for incident 1; a dispatcher may force it, "
        "or stand the unit down first");
  r = h.run(assign_unit{.incident = second, .unit = mhrc1, .force = true, .note = {}}, nurse());
  CHECK_FALSE(r.accepted);
  CHECK(r.kind == rejection::forbidden);
  // Forcing never books a unit twice onto the same incident.
  r = h.run(assign_unit{.incident = first, .unit = mhrc1, .force = true, .note = {}}, dispatcher());
  CHECK(r.reason == "MHRC1 is already assigned to incident 1");

  const auto fx = h.assign(second, "mhrc1", true);
  const auto forced = all_of_type<double_booking_forced>(fx);
  REQUIRE(forced.size() == 1);
  CHECK(forced[0].unit == mhrc1);
  CHECK(forced[0].incident == second);
  CHECK(forced[0].already_on == std::vector<incident_id>{first});
  CHECK(forced[0].by_id == "disp-bob");
  REQUIRE(notices(fx, notice_kind::double_booking_forced).size() == 1);
  CHECK(notices(fx, notice_kind::double_booking_forced)[0].text ==
        "disp-bob forced a double booking: MHRC1 will go to incident 2 after 1");
  // The crew is told the job waits behind the one in hand; the nurse that the unit is not coming
  // yet.
  CHECK(all_of_type<crew_alert>(fx).at(0).stacked_behind == std::vector<incident_id>{first});
  CHECK(nurse_texts(fx, contact_id{200}) ==
        std::vector<std::string>{"Unit MHRC1 assigned: finishing another job first"});
  CHECK(h.get(second).assignments.at(0).forced_over == std::vector<incident_id>{first});
  CHECK(h.get_unit("mhrc1").state == unit_state::en_route);

  // Statuses belong to the job in hand.
  r = h.run(crew_status_update{.unit = mhrc1, .state = unit_state::on_scene, .incident = second},
            crew_of("mhrc1"));
  CHECK_FALSE(r.accepted);
  // The stacked job can be acknowledged while the crew works the first.
  h.ok(acknowledge{.incident = second, .unit = mhrc1}, crew_of("mhrc1"));
  CHECK(h.get_unit("mhrc1").state == unit_state::en_route);

  // Not available while a job is waiting.
  h.status("mhrc1", unit_state::on_scene);
  const auto cleared = h.status("mhrc1", unit_state::clear);
  CHECK(h.get_unit("mhrc1").state == unit_state::acknowledged);
  CHECK(h.get_unit("mhrc1").live == std::vector<incident_id>{second});
  CHECK(nurse_texts(cleared, contact_id{200}) ==
        std::vector<std::string>{
            "Unit MHRC1 has finished its previous job and is acknowledged for this incident"});
  r = h.run(crew_status_update{.unit = mhrc1, .state = unit_state::available}, crew_of("mhrc1"));
  CHECK_FALSE(r.accepted);
  CHECK(r.reason ==
        "MHRC1 has a live assignment to incident 2 (acknowledged): it returns to service when "
        "that clears or is stood down");
  h.status("mhrc1", unit_state::en_route);
  h.status("mhrc1", unit_state::on_scene);
  h.status("mhrc1", unit_state::clear);
  CHECK(h.get_unit("mhrc1").state == unit_state::clear);
  CHECK(h.get_unit("mhrc1").live.empty());
}

TEST_CASE(
    "an unacknowledged alert notifies the dispatcher, who re-alerts, confirms by radio or "
    "re-dispatches") {
  harness h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto inc = h.raise(triage_category::b, {}, 100);
  h.assign(inc, "mhrc1");
  const auto assigned_at = h.now;
  h.ok(alert_sent{.incident = inc, .unit = mhrc1}, system_actor());

  // The timer counts from the assignment.
  CHECK(h.board.next_deadline() == assigned_at + seconds(60));
  CHECK(h.tick_at(assigned_at + seconds(59)).empty());
  auto fx = h.tick_at(assigned_at + seconds(60));
  auto n = notices(fx, notice_kind::ack_timeout);
  REQUIRE(n.size() == 1);
  CHECK(n[0].unit == mhrc1);
  CHECK(n[0].incident == inc);
  CHECK(n[0].text ==
        "MHRC1 has not acknowledged incident 1 (category B) 1 min after it was assigned "
        "(alerted): re-alert, confirm by radio, or re-dispatch");
  CHECK(nurse_texts(fx, contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 has not acknowledged yet; dispatch has been alerted"});
  CHECK(h.get_unit("mhrc1").state == unit_state::alerted);
  // Until someone acts, the dispatcher is reminded.
  CHECK(h.board.next_deadline() == assigned_at + seconds(120));
  fx = h.tick_at(assigned_at + seconds(120));
  CHECK(notices(fx, notice_kind::ack_timeout).size() == 1);
  CHECK(nurse_texts(fx, contact_id{100}).empty());

  SECTION("re-alert: the alert goes again, the state does not change, the timer restarts") {
    const auto first_number = h.get(inc).assignments[0].alert_number;
    fx = h.ok(re_alert{.incident = inc, .unit = mhrc1}, dispatcher());
    const auto alerts = all_of_type<crew_alert>(fx);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].repeat);
    CHECK(alerts[0].alert_number > first_number);
    CHECK(alerts[0].address == "1 High St, Cosham");
    CHECK(h.get_unit("mhrc1").state == unit_state::alerted);
    const auto rec = all_of_type<unit_status_record>(fx);
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].from == rec[0].to);
    CHECK(rec[0].note.find("re-alert") != std::string::npos);
    CHECK(h.board.next_deadline() == h.now + seconds(60));
    // The crew then acknowledges: no more notices.
    h.ok(acknowledge{.incident = inc, .unit = mhrc1}, crew_of("mhrc1"));
    CHECK_FALSE(h.board.next_deadline().has_value());
    CHECK(h.tick_at(h.now + minutes{30}).empty());
  }
  SECTION("confirm by radio: acknowledged, and logged as such") {
    fx = h.ok(confirm_by_radio{.incident = inc, .unit = mhrc1, .note = "on channel 2"},
              dispatcher());
    CHECK(h.get_unit("mhrc1").state == unit_state::acknowledged);
    const auto& a = h.get(inc).assignments[0];
    CHECK(a.acknowledged_by_radio);
    CHECK(a.steps.back().note == "confirmed by radio by disp-bob: on channel 2");
    CHECK(a.steps.back().by == actor_role::dispatcher);
    CHECK(h.tick_at(h.now + minutes{30}).empty());
  }
  SECTION("re-dispatch: MHRC1 is stood down and MHRC2 sent in one step") {
    fx = h.ok(stand_down{.incident = inc,
                         .unit = mhrc1,
                         .reason = stand_down_reason::replaced,
                         .note = "no answer",
                         .divert_to = {},
                         .replace_with = mhrc2,
                         .force_replacement = false},
              dispatcher());
    const auto cancels = all_of_type<crew_stand_down>(fx);
    REQUIRE(cancels.size() == 1);
    CHECK(cancels[0].unit == mhrc1);
    const auto alerts = all_of_type<crew_alert>(fx);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].unit == mhrc2);
    const auto& history = h.get(inc).assignments;
    REQUIRE(history.size() == 2);
    CHECK(history[0].ended);
    CHECK(history[0].stood_down == stand_down_reason::replaced);
    CHECK(history[0].replaced_by == mhrc2);
    CHECK(history[1].replaces == mhrc1);
    CHECK(history[1].live());
    CHECK(h.get(inc).state == incident_state::active);
    CHECK(h.get_unit("mhrc1").state == unit_state::available);
    CHECK(nurse_texts(fx, contact_id{100}).size() == 2);
    // The new unit has its own timer.
    CHECK(h.board.next_deadline() == h.now + seconds(60));
  }
}

TEST_CASE("an alert the crew feed never delivered still times out") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  const auto fx = h.tick_at(h.now + seconds(60));
  REQUIRE(notices(fx, notice_kind::ack_timeout).size() == 1);
  CHECK(notices(fx, notice_kind::ack_timeout)[0].text.find("(assigned)") != std::string::npos);
}

TEST_CASE("ack timeout and reminders are configurable") {
  auto s = three_units();
  s.ack_timeout = seconds(30);
  s.ack_reminder = duration::zero();
  harness h{s};
  h.sign_on("mhrc1");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  CHECK(notices(h.tick_at(h.now + seconds(30)), notice_kind::ack_timeout).size() == 1);
  CHECK_FALSE(h.board.next_deadline().has_value());
}

TEST_CASE("pre-emption: a unit en route is diverted to a more urgent incident, both are recorded") {
  harness h;
  h.sign_on("mhrc1");
  const auto routine = h.raise(triage_category::c, {}, 100);
  h.assign(routine, "mhrc1");
  h.ok(acknowledge{.incident = routine, .unit = mhrc1}, crew_of("mhrc1"));
  h.status("mhrc1", unit_state::en_route);
  const auto urgent = h.raise(triage_category::a, {}, 200);

  const auto fx = h.ok(stand_down{.incident = routine,
                                  .unit = mhrc1,
                                  .reason = stand_down_reason::pre_empted,
                                  .note = "category A nearby",
                                  .divert_to = urgent,
                                  .replace_with = {},
                                  .force_replacement = false},
                       dispatcher());
  // The crew is told to stop and where to go instead.
  const auto cancels = all_of_type<crew_stand_down>(fx);
  REQUIRE(cancels.size() == 1);
  CHECK(cancels[0].incident == routine);
  CHECK(cancels[0].divert_to == urgent);
  const auto alerts = all_of_type<crew_alert>(fx);
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0].incident == urgent);
  CHECK(alerts[0].diverted_from == routine);
  CHECK(alerts[0].category == triage_category::a);

  // Both the cancel and the replacement are on record.
  const auto& old_a = h.get(routine).assignments.at(0);
  CHECK(old_a.ended);
  CHECK(old_a.stood_down == stand_down_reason::pre_empted);
  CHECK(old_a.diverted_to == urgent);
  const auto& new_a = h.get(urgent).assignments.at(0);
  CHECK(new_a.diverted_from == routine);
  CHECK(h.get_unit("mhrc1").state == unit_state::assigned);
  CHECK(h.get_unit("mhrc1").live == std::vector<incident_id>{urgent});
  CHECK(h.get(urgent).state == incident_state::active);
  // The routine incident still needs someone: queued, dispatch and nurse told.
  CHECK(h.get(routine).state == incident_state::queued);
  REQUIRE(notices(fx, notice_kind::incident_needs_unit).size() == 1);
  CHECK(nurse_texts(fx, contact_id{100}) ==
        std::vector<std::string>{
            "Unit MHRC1 stood down (pre-empted), to incident 2: category A nearby"});
  CHECK(nurse_texts(fx, contact_id{200}).size() == 1);
}

TEST_CASE("stand-down and pre-emption are refused once the unit is on scene") {
  harness h;
  h.sign_on("mhrc1");
  const auto first = h.raise(triage_category::c);
  const auto urgent = h.raise(triage_category::a, {}, 200);
  h.assign(first, "mhrc1");
  h.status("mhrc1", unit_state::on_scene);
  const auto before = h.board.digest();
  for (const auto reason : {stand_down_reason::not_needed, stand_down_reason::pre_empted}) {
    stand_down c{.incident = first, .unit = mhrc1, .reason = reason};
    if (reason == stand_down_reason::pre_empted) c.divert_to = urgent;
    const auto r = h.run(c, dispatcher());
    CHECK_FALSE(r.accepted);
    CHECK(r.reason ==
          "MHRC1 is on scene: a unit can be stood down only until it is on scene; the crew "
          "clears when done");
  }
  CHECK(h.board.digest() == before);
}

TEST_CASE("a stand-down that cannot place its replacement changes nothing") {
  harness h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto a = h.raise(triage_category::b, {}, 100);
  const auto b = h.raise(triage_category::b, {}, 200);
  h.assign(a, "mhrc1");
  h.assign(b, "mhrc2");
  const auto before = h.board.digest();
  auto r = h.run(stand_down{.incident = a,
                            .unit = mhrc1,
                            .reason = stand_down_reason::replaced,
                            .replace_with = mhrc2},
                 nurse());
  CHECK_FALSE(r.accepted);
  CHECK(r.reason.rfind("double booking refused", 0) == 0);
  CHECK(h.board.digest() == before);
  // Inconsistent requests are refused outright.
  r = h.run(stand_down{.incident = a, .unit = mhrc1, .reason = stand_down_reason::pre_empted},
            nurse());
  CHECK(r.kind == rejection::invalid);
  r = h.run(
      stand_down{.incident = a, .unit = mhrc1, .reason = stand_down_reason::other, .divert_to = b},
      nurse());
  CHECK(r.kind == rejection::invalid);
  // A forced replacement by a dispatcher goes through and is logged.
  const auto fx = h.ok(stand_down{.incident = a,
                                  .unit = mhrc1,
                                  .reason = stand_down_reason::replaced,
                                  .replace_with = mhrc2,
                                  .force_replacement = true},
                       dispatcher());
  CHECK(all_of_type<double_booking_forced>(fx).size() == 1);
  CHECK(h.get_unit("mhrc1").state == unit_state::available);
}

TEST_CASE(
    "a stand-down with nothing else to do returns the unit to available and offers it to queued "
    "work") {
  harness h;
  h.sign_on("mhrc1");
  const auto first = h.raise(triage_category::b, {}, 100);
  h.assign(first, "mhrc1");
  const auto waiting = h.raise(triage_category::c, {}, 200);
  // No unit free for the second: it is queued.
  CHECK(h.get(waiting).state == incident_state::queued);
  const auto fx =
      h.ok(stand_down{.incident = first, .unit = mhrc1, .reason = stand_down_reason::not_needed},
           nurse());
  CHECK(h.get_unit("mhrc1").state == unit_state::available);
  // Not needed: the first incident is not re-queued.
  CHECK(h.get(first).state == incident_state::active);
  const auto offers = notices(fx, notice_kind::unit_free_for_queued);
  REQUIRE(offers.size() == 1);
  CHECK(offers[0].incident == waiting);
}

TEST_CASE("queued incidents escalate at 50, 75 and 100% of the category target") {
  harness h;
  // No unit signed on: the category B incident (target 4 h) is queued.
  const auto inc = h.raise(triage_category::b);
  const auto raised_at = h.get(inc).raised_at;
  REQUIRE(h.get(inc).state == incident_state::queued);

  CHECK(h.board.next_deadline() == raised_at + hours{2});
  CHECK(h.tick_at(raised_at + hours{2} - seconds(1)).empty());
  auto n = notices(h.tick_at(raised_at + hours{2}), notice_kind::escalation);
  REQUIRE(n.size() == 1);
  CHECK(n[0].text ==
        "incident 1 (category B, target 4 h) has waited 2 h without a unit: 50% of target");
  CHECK(h.board.next_deadline() == raised_at + hours{3});
  n = notices(h.tick_at(raised_at + hours{3}), notice_kind::escalation);
  REQUIRE(n.size() == 1);
  CHECK(n[0].text ==
        "incident 1 (category B, target 4 h) has waited 3 h without a unit: 75% of target");
  n = notices(h.tick_at(raised_at + hours{4}), notice_kind::escalation);
  REQUIRE(n.size() == 1);
  CHECK(
      n[0].text ==
      "incident 1 (category B, target 4 h) has waited 4 h without a unit: target breached (100%)");
  CHECK_FALSE(h.board.next_deadline().has_value());
  CHECK(h.tick_at(raised_at + hours{10}).empty());
}

TEST_CASE("a late tick sends one escalation for the highest threshold passed, not a burst") {
  harness h;
  const auto inc = h.raise(triage_category::c);
  const auto n = notices(h.tick_at(h.get(inc).raised_at + hours{20}), notice_kind::escalation);
  REQUIRE(n.size() == 1);
  CHECK(n[0].text.find("75% of target") != std::string::npos);
}

TEST_CASE("category A escalates at once, F and G never, an assigned incident stops escalating") {
  harness h;
  const auto a = h.raise(triage_category::a, {}, 1);
  const auto f = h.raise(triage_category::f, {}, 2);
  auto n = notices(h.tick_at(h.now), notice_kind::escalation);
  REQUIRE(n.size() == 1);
  CHECK(n[0].incident == a);
  CHECK(n[0].text.find("target immediate") != std::string::npos);
  CHECK(n[0].text.find("target breached") != std::string::npos);
  CHECK(notices(h.tick_at(h.now + hours{24 * 60}), notice_kind::escalation).empty());
  (void)f;

  const auto b = h.raise(triage_category::b, {}, 3);
  h.sign_on("mhrc1");
  h.assign(b, "mhrc1");
  h.ok(acknowledge{.incident = b, .unit = mhrc1}, crew_of("mhrc1"));
  CHECK(notices(h.tick_at(h.now + hours{5}), notice_kind::escalation).empty());
}

TEST_CASE("escalation targets and thresholds are configurable") {
  auto s = three_units();
  s.targets[2] = duration{minutes{60}};
  s.escalation_percent = {90};
  harness h{s};
  const auto inc = h.raise(triage_category::c);
  CHECK(h.board.next_deadline() == h.get(inc).raised_at + minutes{54});
}

TEST_CASE("replaying the same commands gives the same state and the same effects") {
  const auto script = [](harness& h) {
    std::vector<effect_list> out;
    h.sign_on("mhrc1");
    h.sign_on("mhrc2");
    const auto a = h.raise(triage_category::b, {"mh_nurse"}, 100);
    const auto b = h.raise(triage_category::a, {}, 200);
    out.push_back(h.assign(a, "mhrc1"));
    out.push_back(h.assign(b, "mhrc2"));
    out.push_back(h.tick_at(h.now + seconds(61)));
    out.push_back(h.ok(re_alert{.incident = b, .unit = mhrc2}, dispatcher()));
    out.push_back(h.ok(acknowledge{.incident = a, .unit = mhrc1}, crew_of("mhrc1")));
    out.push_back(h.status("mhrc1", unit_state::on_scene));
    out.push_back(h.ok(stand_down{.incident = b,
                                  .unit = mhrc2,
                                  .reason = stand_down_reason::other,
                                  .note = "crew unwell"},
                       dispatcher()));
    out.push_back(h.tick_at(h.now + hours{1}));
    out.push_back(h.status("mhrc1", unit_state::clear));
    h.ok(link_contact{.incident = a, .contact = contact_id{101}}, nurse());
    h.ok(end_incident{.incident = a, .outcome = "ok"}, nurse());
    h.ok(reopen{.incident = a, .contact = {}, .note = "again"}, nurse());
    return out;
  };
  harness first;
  const auto fx1 = script(first);

  // Replay the recorded log (commands and ticks) into a fresh board.
  dispatch_board replayed{three_units()};
  std::vector<result> results;
  for (const auto& step : first.log) {
    if (step.cmd) {
      results.push_back(replayed.apply(*step.cmd, step.by, step.at));
      CHECK(results.back().accepted);
    } else {
      (void)replayed.tick(step.at);
    }
  }
  CHECK(replayed.dump() == first.board.dump());
  CHECK(replayed.digest() == first.board.digest());

  harness second;
  const auto fx2 = script(second);
  REQUIRE(fx1.size() == fx2.size());
  for (std::size_t i = 0; i < fx1.size(); ++i) {
    CHECK(all_of_type<dispatcher_notice>(fx1[i]) == all_of_type<dispatcher_notice>(fx2[i]));
    CHECK(all_of_type<unit_status_record>(fx1[i]) == all_of_type<unit_status_record>(fx2[i]));
    CHECK(all_of_type<nurse_update>(fx1[i]) == all_of_type<nurse_update>(fx2[i]));
  }

  // And a different history gives a different digest.
  harness third;
  script(third);
  third.ok(
      crew_status_update{
          .unit = mhrc1, .state = unit_state::unavailable, .unavailable = unavailable_reason::fuel},
      crew_of("mhrc1"));
  CHECK(third.board.digest() != first.board.digest());
}

TEST_CASE("the dump escapes free text so a note cannot forge another record") {
  harness h;
  h.ok(raise_incident{.contact = contact_id{1},
                      .coordinates = std::nullopt,
                      .address = "x|state=ended\nincident=9",
                      .area = {},
                      .required_skills = {},
                      .category = triage_category::d,
                      .police = std::nullopt,
                      .note = {},
                      .monitor_only = true},
       nurse());
  const auto dump = h.board.dump();
  CHECK(dump.find("\nincident=9") == std::string::npos);
  CHECK(dump.find("address=x\\|state\\=ended\\nincident\\=9|") != std::string::npos);
}

TEST_CASE("invalid settings are refused at construction") {
  auto s = three_units();
  s.units.push_back(s.units[0]);
  CHECK_THROWS_AS(dispatch_board{s}, std::invalid_argument);
  CHECK_FALSE(validate(s).empty());
  CHECK(validate(three_units()).empty());
  auto bad = three_units();
  bad.units[1].shifts = {shift_window{600, 600}};
  bad.units[2].skills.push_back("surgeon");
  bad.ack_timeout = duration::zero();
  const auto problems = validate(bad);
  CHECK(problems == std::vector<std::string>{"ack_timeout must be positive",
                                             "unit mhrc2 has an invalid shift window 10:00-10:00",
                                             "unit mhrc3 has unknown skill surgeon"});
}

TEST_CASE("a unit back from a break is offered to queued work once, not again on every status") {
  harness h;
  h.sign_on("mhrc1");
  h.status("mhrc1", unit_state::unavailable);
  const auto waiting = h.raise(triage_category::b, {}, 100);
  REQUIRE(h.get(waiting).state == incident_state::queued);
  auto fx = h.status("mhrc1", unit_state::available);
  REQUIRE(notices(fx, notice_kind::unit_free_for_queued).size() == 1);
  CHECK(notices(fx, notice_kind::unit_free_for_queued)[0].incident == waiting);

  // Clearing from another job offers it; setting available afterwards does not repeat it.
  const auto other = h.raise(triage_category::c, {}, 200);
  h.assign(other, "mhrc1");
  h.status("mhrc1", unit_state::on_scene);
  fx = h.status("mhrc1", unit_state::clear);
  CHECK(notices(fx, notice_kind::unit_free_for_queued).size() == 1);
  fx = h.status("mhrc1", unit_state::available);
  CHECK(notices(fx, notice_kind::unit_free_for_queued).empty());
}

TEST_CASE("stand-downs are numbered and kept per unit from sign-on to sign-off") {
  harness h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto a = h.raise(triage_category::c, {}, 100);
  const auto b = h.raise(triage_category::c, {}, 200);
  h.assign(a, "mhrc1");
  h.assign(b, "mhrc2");
  auto fx = h.ok(stand_down{.incident = a, .unit = mhrc1, .reason = stand_down_reason::not_needed},
                 dispatcher());
  const auto first = all_of_type<crew_stand_down>(fx).at(0);
  CHECK(first.number == 1);
  fx = h.ok(stand_down{.incident = b,
                       .unit = mhrc2,
                       .reason = stand_down_reason::other,
                       .note = "police attended"},
            dispatcher());
  CHECK(all_of_type<crew_stand_down>(fx).at(0).number == 2);
  h.assign(b, "mhrc1");
  fx = h.ok(stand_down{.incident = b, .unit = mhrc1, .reason = stand_down_reason::not_needed},
            dispatcher());
  CHECK(all_of_type<crew_stand_down>(fx).at(0).number == 3);

  // Each unit sees only its own, oldest first, above the number asked for.
  const auto numbers = [&](const unit_id& u, std::uint64_t after) {
    std::vector<std::uint64_t> out;
    for (const auto& s : h.board.stand_downs_since(u, after)) out.push_back(s.number);
    return out;
  };
  CHECK(numbers(mhrc1, 0) == std::vector<std::uint64_t>{1, 3});
  CHECK(numbers(mhrc1, 1) == std::vector<std::uint64_t>{3});
  CHECK(numbers(mhrc1, 3).empty());
  CHECK(numbers(mhrc2, 0) == std::vector<std::uint64_t>{2});
  CHECK(h.board.stand_downs_since(mhrc2, 0).at(0).note == "police attended");
  CHECK(h.board.latest_stand_down(mhrc1) == 3);
  CHECK(h.board.latest_stand_down(mhrc2) == 2);
  CHECK(h.board.latest_stand_down(unit_id{"mhrc3"}) == 0);

  // A new shift starts with none; numbering carries on across the service.
  h.ok(crew_sign_off{mhrc1}, crew_of("mhrc1"));
  CHECK(numbers(mhrc1, 0).empty());
  h.sign_on("mhrc1");
  CHECK(h.board.latest_stand_down(mhrc1) == 0);
  h.assign(a, "mhrc1");
  fx = h.ok(stand_down{.incident = a, .unit = mhrc1, .reason = stand_down_reason::not_needed},
            dispatcher());
  CHECK(all_of_type<crew_stand_down>(fx).at(0).number == 4);
  CHECK(numbers(mhrc2, 0) == std::vector<std::uint64_t>{2});
}

TEST_CASE("the acknowledged job of a unit is there for a device that lost its state") {
  harness h;
  h.sign_on("mhrc1");
  const auto a = h.raise();
  CHECK_FALSE(h.board.acknowledged_job(mhrc1));
  h.assign(a, "mhrc1");
  // Not acknowledged yet: it is an alert to resend, not a job to show.
  CHECK_FALSE(h.board.acknowledged_job(mhrc1));
  REQUIRE(h.board.unacknowledged_alerts(mhrc1).size() == 1);
  h.ok(acknowledge{.incident = a, .unit = mhrc1}, crew_of("mhrc1"));
  h.status("mhrc1", unit_state::en_route);
  const auto job = h.board.acknowledged_job(mhrc1);
  REQUIRE(job);
  CHECK(job->incident == a);
  CHECK(job->address == "1 High St, Cosham");
  CHECK(job->alert_number == h.get(a).assignments.at(0).alert_number);
  CHECK(h.board.unacknowledged_alerts(mhrc1).empty());
  h.status("mhrc1", unit_state::on_scene);
  h.status("mhrc1", unit_state::clear);
  CHECK_FALSE(h.board.acknowledged_job(mhrc1));
}
