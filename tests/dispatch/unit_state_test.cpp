#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <string>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::dispatch;
using namespace crisisline::core::dispatch::testing;

namespace {

// Every way a unit's state can be asked to change.
enum class input {
  to_unavailable,
  to_available,
  to_assigned,
  to_alerted,
  to_acknowledged,
  to_en_route,
  to_on_scene,
  to_transporting,
  to_at_destination,
  to_clear,
  assign,
  assign_forced,
  alert_sent,
  acknowledge,
  confirm_by_radio,
  re_alert,
  stand_down,
};
constexpr std::size_t input_count = 17;

constexpr std::array all_inputs = {
    input::to_unavailable,    input::to_available, input::to_assigned,      input::to_alerted,
    input::to_acknowledged,   input::to_en_route,  input::to_on_scene,      input::to_transporting,
    input::to_at_destination, input::to_clear,     input::assign,           input::assign_forced,
    input::alert_sent,        input::acknowledge,  input::confirm_by_radio, input::re_alert,
    input::stand_down};
static_assert(all_inputs.size() == input_count);

const char* input_name(input i) {
  constexpr std::array names = {"status unavailable",
                                "status available",
                                "status assigned",
                                "status alerted",
                                "status acknowledged",
                                "status en route",
                                "status on scene",
                                "status transporting",
                                "status at destination",
                                "status clear",
                                "assign",
                                "assign (forced)",
                                "alert sent",
                                "acknowledge",
                                "confirm by radio",
                                "re-alert",
                                "stand down"};
  return names[static_cast<std::size_t>(i)];
}

constexpr std::array all_actors = {actor_role::crew, actor_role::nurse, actor_role::dispatcher,
                                   actor_role::system};

char letter(actor_role k) {
  switch (k) {
    case actor_role::crew:
      return 'c';
    case actor_role::nurse:
      return 'n';
    case actor_role::dispatcher:
      return 'd';
    case actor_role::system:
      return 's';
  }
  return '?';
}

actor_info actor_for(actor_role k) {
  switch (k) {
    case actor_role::crew:
      return crew_of("mhrc1");
    case actor_role::nurse:
      return nurse();
    case actor_role::dispatcher:
      return dispatcher();
    case actor_role::system:
      return system_actor();
  }
  return system_actor();
}

constexpr std::array all_states = {unit_state::unavailable,    unit_state::available,
                                   unit_state::assigned,       unit_state::alerted,
                                   unit_state::acknowledged,   unit_state::en_route,
                                   unit_state::on_scene,       unit_state::transporting,
                                   unit_state::at_destination, unit_state::clear};

// Who may do what in each state (c crew, n nurse, d dispatcher, s system);
// everyone else is rejected. This is DOMAIN.md §5 written out by hand:
//  - crew/dispatcher set unavailable and available only with no live
//    assignment; available is not set twice; assigned/alerted/acknowledged
//    are never set by a status, only by assign/alert_sent/acknowledge;
//  - en route and on scene may skip steps, transporting and at destination
//    are crew only and strictly in order, clear needs the scene;
//  - assigning a busy unit is a double booking: only a forcing dispatcher;
//  - stand-down until on scene.
// Columns, in all_inputs order:
//   unav avail assd alrt ackd enrt onsc trns atd clr | asgn asgnF sent ack radio realert stdn
const std::map<unit_state, std::array<const char*, input_count>> expected = {
    {unit_state::unavailable,
     {"cd", "cd", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""}},
    {unit_state::available,
     {"cd", "", "", "", "", "", "", "", "", "", "nd", "d", "", "", "", "", ""}},
    {unit_state::assigned,
     {"", "", "", "", "", "cd", "cd", "", "", "", "", "d", "s", "cs", "d", "d", "nd"}},
    {unit_state::alerted,
     {"", "", "", "", "", "cd", "cd", "", "", "", "", "d", "", "cs", "d", "d", "nd"}},
    {unit_state::acknowledged,
     {"", "", "", "", "", "cd", "cd", "", "", "", "", "d", "", "", "", "", "nd"}},
    {unit_state::en_route,
     {"", "", "", "", "", "", "cd", "", "", "", "", "d", "", "", "", "", "nd"}},
    {unit_state::on_scene,
     {"", "", "", "", "", "", "", "c", "", "cd", "", "d", "", "", "", "", ""}},
    {unit_state::transporting,
     {"", "", "", "", "", "", "", "", "c", "cd", "", "d", "", "", "", "", ""}},
    {unit_state::at_destination,
     {"", "", "", "", "", "", "", "", "", "cd", "", "d", "", "", "", "", ""}},
    {unit_state::clear,
     {"cd", "cd", "", "", "", "", "", "", "", "", "nd", "d", "", "", "", "", ""}},
};

// The unit's state after an accepted input from `from`.
unit_state expected_after(unit_state from, input in) {
  switch (in) {
    case input::to_unavailable:
      return unit_state::unavailable;
    case input::to_available:
      return unit_state::available;
    case input::to_assigned:
      return unit_state::assigned;
    case input::to_alerted:
      return unit_state::alerted;
    case input::to_acknowledged:
      return unit_state::acknowledged;
    case input::to_en_route:
      return unit_state::en_route;
    case input::to_on_scene:
      return unit_state::on_scene;
    case input::to_transporting:
      return unit_state::transporting;
    case input::to_at_destination:
      return unit_state::at_destination;
    case input::to_clear:
      return unit_state::clear;
    case input::assign:
      return unit_state::assigned;
    // A forced booking of a busy unit stacks the job: the unit carries on.
    case input::assign_forced:
      return from == unit_state::available || from == unit_state::clear ? unit_state::assigned
                                                                        : from;
    case input::alert_sent:
      return unit_state::alerted;
    case input::acknowledge:
    case input::confirm_by_radio:
      return unit_state::acknowledged;
    case input::re_alert:
      return from;
    case input::stand_down:
      return unit_state::available;
  }
  return unit_state::unspecified;
}

struct setup {
  harness h;
  incident_id first;
  incident_id second;
};

// A board whose unit mhrc1 is in `s`, reached by legal steps, with incident
// `first` (the unit's, if any) and `second` (unassigned) both open.
void drive_to(setup& t, unit_state s) {
  auto& h = t.h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  t.first = h.raise();
  t.second = h.raise(triage_category::c, {}, 200);
  const auto path =
      std::array{unit_state::assigned,       unit_state::alerted,  unit_state::acknowledged,
                 unit_state::en_route,       unit_state::on_scene, unit_state::transporting,
                 unit_state::at_destination, unit_state::clear};
  if (s == unit_state::available) return;
  if (s == unit_state::unavailable) {
    h.status("mhrc1", unit_state::unavailable);
    return;
  }
  for (const auto step : path) {
    switch (step) {
      case unit_state::assigned:
        h.assign(t.first, "mhrc1");
        break;
      case unit_state::alerted:
        h.ok(alert_sent{.incident = t.first, .unit = unit_id{"mhrc1"}}, system_actor());
        break;
      case unit_state::acknowledged:
        h.ok(acknowledge{.incident = t.first, .unit = unit_id{"mhrc1"}}, crew_of("mhrc1"));
        break;
      case unit_state::en_route:
      case unit_state::on_scene:
      case unit_state::transporting:
      case unit_state::at_destination:
      case unit_state::clear:
        h.status("mhrc1", step);
        break;
      case unit_state::unspecified:
      case unit_state::unavailable:
      case unit_state::available:
        break;
    }
    if (step == s) return;
  }
}

command make(input in, const setup& t) {
  const unit_id u{"mhrc1"};
  const auto status = [&](unit_state s) {
    crew_status_update c{.unit = u, .state = s};
    c.unavailable = unavailable_reason::fuel;
    c.destination = destination_kind::emergency_department;
    return command{c};
  };
  switch (in) {
    case input::to_unavailable:
      return status(unit_state::unavailable);
    case input::to_available:
      return status(unit_state::available);
    case input::to_assigned:
      return status(unit_state::assigned);
    case input::to_alerted:
      return status(unit_state::alerted);
    case input::to_acknowledged:
      return status(unit_state::acknowledged);
    case input::to_en_route:
      return status(unit_state::en_route);
    case input::to_on_scene:
      return status(unit_state::on_scene);
    case input::to_transporting:
      return status(unit_state::transporting);
    case input::to_at_destination:
      return status(unit_state::at_destination);
    case input::to_clear:
      return status(unit_state::clear);
    case input::assign:
      return assign_unit{.incident = t.second, .unit = u, .force = false, .note = {}};
    case input::assign_forced:
      return assign_unit{.incident = t.second, .unit = u, .force = true, .note = {}};
    case input::alert_sent:
      return alert_sent{.incident = t.first, .unit = u};
    case input::acknowledge:
      return acknowledge{.incident = t.first, .unit = u};
    case input::confirm_by_radio:
      return confirm_by_radio{.incident = t.first, .unit = u, .note = {}};
    case input::re_alert:
      return re_alert{.incident = t.first, .unit = u};
    case input::stand_down:
      return stand_down{.incident = t.first,
                        .unit = u,
                        .reason = stand_down_reason::not_needed,
                        .note = {},
                        .divert_to = {},
                        .replace_with = {},
                        .force_replacement = false};
  }
  return recommend{};
}

}  // namespace

TEST_CASE("unit state machine: every state x every input x every actor") {
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  for (const auto state : all_states) {
    for (const auto in : all_inputs) {
      for (const auto actor : all_actors) {
        setup t;
        drive_to(t, state);
        REQUIRE(t.h.get_unit("mhrc1").state == state);
        const auto before = t.h.board.digest();
        const std::string allowed = expected.at(state)[static_cast<std::size_t>(in)];
        const bool should_accept = allowed.find(letter(actor)) != std::string::npos;

        const auto r = t.h.run(make(in, t), actor_for(actor));
        INFO("state " << state_name(state) << ", " << input_name(in) << ", by " << actor_name(actor)
                      << ": " << (r.accepted ? "accepted" : r.reason));
        CHECK(r.accepted == should_accept);
        if (r.accepted) {
          ++accepted;
          CHECK(t.h.get_unit("mhrc1").state == expected_after(state, in));
        } else {
          ++rejected;
          // A refusal says why and changes nothing.
          CHECK_FALSE(r.reason.empty());
          CHECK(r.effects.empty());
          CHECK(t.h.board.digest() == before);
        }
      }
    }
  }
  CHECK(accepted + rejected == all_states.size() * all_inputs.size() * all_actors.size());
}

TEST_CASE("a location report: every state x every actor, the state never changes") {
  const geo_point here{50.95, -1.35};
  for (const auto state : all_states) {
    for (const auto actor : all_actors) {
      setup t;
      drive_to(t, state);
      const auto before = t.h.board.digest();
      const auto r =
          t.h.run(crew_location{.unit = unit_id{"mhrc1"}, .location = here, .occurred_at = {}},
                  actor_for(actor));
      INFO("state " << state_name(state) << ", by " << actor_name(actor) << ": " << r.reason);
      const bool may = actor == actor_role::crew || actor == actor_role::dispatcher;
      CHECK(r.accepted == may);
      CHECK(r.effects.empty());
      CHECK(t.h.get_unit("mhrc1").state == state);
      if (may) {
        CHECK(t.h.get_unit("mhrc1").last_location == here);
      } else {
        CHECK(r.kind == rejection::forbidden);
        CHECK(t.h.board.digest() == before);
      }
    }
  }
  // Another crew's unit, an unknown unit, a unit not signed on, a bad point.
  setup t;
  drive_to(t, unit_state::available);
  const auto report = [](const char* unit, geo_point p) {
    return crew_location{.unit = unit_id{unit}, .location = p, .occurred_at = {}};
  };
  CHECK(t.h.run(report("mhrc2", here), crew_of("mhrc1")).kind == rejection::forbidden);
  CHECK(t.h.run(report("nope", here), dispatcher()).kind == rejection::not_found);
  CHECK(t.h.run(report("mhrc1", geo_point{91, 0}), dispatcher()).kind == rejection::invalid);
  // A delayed fix older than the one held is ignored, not refused.
  REQUIRE(t.h.run(report("mhrc1", here), crew_of("mhrc1")).accepted);
  auto late = report("mhrc1", geo_point{1, 1});
  late.occurred_at = t.h.now - seconds(30);
  CHECK(t.h.run(late, crew_of("mhrc1")).accepted);
  CHECK(t.h.get_unit("mhrc1").last_location == here);
}

TEST_CASE("refusals are classified so the HTTP layer can answer 403, 404, 409 or 400") {
  setup t;
  drive_to(t, unit_state::en_route);
  auto& h = t.h;
  // Wrong actor: forbidden.
  auto r = h.run(alert_sent{.incident = t.first, .unit = unit_id{"mhrc1"}}, nurse());
  CHECK(r.kind == rejection::forbidden);
  // Illegal transition: conflict (409).
  r = h.run(crew_status_update{.unit = unit_id{"mhrc1"}, .state = unit_state::at_destination},
            crew_of("mhrc1"));
  CHECK(r.kind == rejection::conflict);
  CHECK(r.reason == "MHRC1 must be transporting to be at a destination");
  // Unknown unit: not found.
  r = h.run(crew_status_update{.unit = unit_id{"nope"}, .state = unit_state::on_scene},
            dispatcher());
  CHECK(r.kind == rejection::not_found);
  // Missing data: invalid.
  r = h.run(crew_status_update{.unit = unit_id{"mhrc1"}, .state = unit_state::unspecified},
            crew_of("mhrc1"));
  CHECK(r.kind == rejection::invalid);
}

TEST_CASE("a crew may act only for their own unit") {
  setup t;
  drive_to(t, unit_state::alerted);
  auto& h = t.h;
  auto r = h.run(acknowledge{.incident = t.first, .unit = unit_id{"mhrc1"}}, crew_of("mhrc2"));
  CHECK_FALSE(r.accepted);
  CHECK(r.kind == rejection::forbidden);
  r = h.run(crew_status_update{.unit = unit_id{"mhrc1"}, .state = unit_state::en_route},
            crew_of("mhrc2"));
  CHECK_FALSE(r.accepted);
  r = h.run(crew_sign_off{.unit = unit_id{"mhrc2"}}, crew_of("mhrc1"));
  CHECK_FALSE(r.accepted);
  CHECK(h.get_unit("mhrc1").state == unit_state::alerted);
}

TEST_CASE("a signed-off unit takes no status until it signs on") {
  harness h;
  const auto r = h.run(crew_status_update{.unit = unit_id{"mhrc1"}, .state = unit_state::available},
                       crew_of("mhrc1"));
  CHECK_FALSE(r.accepted);
  CHECK(r.reason == "MHRC1 is not signed on");
  h.sign_on("mhrc1");
  CHECK(h.get_unit("mhrc1").state == unit_state::available);
  CHECK(h.run(crew_sign_on{.unit = unit_id{"mhrc1"}}, crew_of("mhrc1")).reason ==
        "MHRC1 is already signed on");
}

TEST_CASE("sign-off is refused while the unit has a live assignment") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  const auto r = h.run(crew_sign_off{.unit = unit_id{"mhrc1"}}, crew_of("mhrc1"));
  CHECK_FALSE(r.accepted);
  CHECK(r.reason ==
        "MHRC1 has a live assignment to incident 1: clear it or have it stood down first");
  h.ok(
      stand_down{
          .incident = inc, .unit = unit_id{"mhrc1"}, .reason = stand_down_reason::not_needed},
      nurse());
  h.ok(crew_sign_off{.unit = unit_id{"mhrc1"}}, crew_of("mhrc1"));
  const auto& u = h.get_unit("mhrc1");
  CHECK_FALSE(u.signed_on);
  CHECK(u.state == unit_state::unavailable);
  CHECK(u.unavailable == unavailable_reason::end_of_shift);
}

TEST_CASE("unavailable needs a reason and a transport needs a destination") {
  harness h;
  h.sign_on("mhrc1");
  auto r = h.run(crew_status_update{.unit = unit_id{"mhrc1"}, .state = unit_state::unavailable},
                 crew_of("mhrc1"));
  CHECK(r.kind == rejection::invalid);
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  h.status("mhrc1", unit_state::on_scene);
  r = h.run(crew_status_update{.unit = unit_id{"mhrc1"}, .state = unit_state::transporting},
            crew_of("mhrc1"));
  CHECK(r.kind == rejection::invalid);
  const auto fx = h.status("mhrc1", unit_state::transporting, destination_kind::place_of_safety);
  CHECK(nurse_texts(fx, contact_id{100}) ==
        std::vector<std::string>{"Unit MHRC1 transporting, destination: place_of_safety"});
  CHECK(h.get(inc).assignments.at(0).steps.back().note == "destination: place_of_safety");
}

TEST_CASE("the log's crew_status converts to a command, refusing unknown reasons") {
  crew_status s;
  s.unit_id = "mhrc1";
  s.state = unit_state::unavailable;
  s.reason = "meal";
  s.incident_id = 7;
  auto c = to_command(s);
  REQUIRE(std::holds_alternative<crew_status_update>(c));
  CHECK(std::get<crew_status_update>(c).unavailable == unavailable_reason::meal);
  CHECK(std::get<crew_status_update>(c).incident == incident_id{7});

  s.reason = "nap";
  c = to_command(s);
  REQUIRE(std::holds_alternative<std::string>(c));
  CHECK(std::get<std::string>(c) == "unknown unavailable reason \"nap\"");

  s.state = unit_state::transporting;
  s.destination = "St Mary's ED";
  c = to_command(s);
  REQUIRE(std::holds_alternative<crew_status_update>(c));
  CHECK(std::get<crew_status_update>(c).destination == destination_kind::other);
  CHECK(std::get<crew_status_update>(c).destination_detail == "St Mary's ED");

  s.destination = "";
  CHECK(std::holds_alternative<std::string>(to_command(s)));
}
