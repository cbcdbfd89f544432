#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <string>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::dispatch;
using namespace crisisline::core::dispatch::testing;

namespace {

enum class input { link, monitor, queue, assign, end, reopen_it, recommend_units };
constexpr std::array all_inputs = {input::link,           input::monitor, input::queue,
                                   input::assign,         input::end,     input::reopen_it,
                                   input::recommend_units};

const char* input_name(input i) {
  constexpr std::array names = {"link contact", "set monitored", "queue",    "assign unit",
                                "end",          "reopen",        "recommend"};
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
      return crew_of("mhrc2");
    case actor_role::nurse:
      return nurse();
    case actor_role::dispatcher:
      return dispatcher();
    case actor_role::system:
      return system_actor();
  }
  return system_actor();
}

constexpr std::array all_states = {incident_state::raised, incident_state::queued,
                                   incident_state::active, incident_state::monitored,
                                   incident_state::ended};

struct expectation {
  // Who may (c crew, n nurse, d dispatcher, s system).
  const char* allowed;
  // The incident's state after it is accepted.
  incident_state after;
};

constexpr auto R = incident_state::raised;
constexpr auto Q = incident_state::queued;
constexpr auto A = incident_state::active;
constexpr auto M = incident_state::monitored;
constexpr auto E = incident_state::ended;

// DOMAIN.md §5, written out by hand. "active" here has a unit assigned (en
// route): it can neither be monitored, queued nor ended until the unit is
// stood down or clears. Ended is final: only reopen (which makes a new
// incident and leaves this one ended).
// Columns: link, monitor, queue, assign, end, reopen, recommend.
const std::map<incident_state, std::array<expectation, 7>> expected = {
    {R, {{{"nd", R}, {"nd", M}, {"nd", Q}, {"nd", A}, {"nd", E}, {"", R}, {"nd", R}}}},
    {Q, {{{"nd", Q}, {"nd", M}, {"", Q}, {"nd", A}, {"nd", E}, {"", Q}, {"nd", Q}}}},
    {A, {{{"nd", A}, {"", A}, {"", A}, {"nd", A}, {"", A}, {"", A}, {"nd", A}}}},
    {M, {{{"nd", M}, {"", M}, {"nd", Q}, {"nd", A}, {"nd", E}, {"", M}, {"nd", M}}}},
    {E, {{{"", E}, {"", E}, {"", E}, {"", E}, {"", E}, {"nd", E}, {"", E}}}},
};

struct setup {
  harness h;
  incident_id id;
};

void drive_to(setup& t, incident_state s) {
  auto& h = t.h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  t.id = h.raise();
  REQUIRE(h.get(t.id).state == incident_state::raised);
  switch (s) {
    case incident_state::raised:
      break;
    case incident_state::queued:
      h.ok(queue_incident{.incident = t.id, .note = {}}, nurse());
      break;
    case incident_state::active:
      h.assign(t.id, "mhrc1");
      h.status("mhrc1", unit_state::en_route);
      break;
    case incident_state::monitored:
      h.ok(set_monitored{.incident = t.id, .plan = "callback at 18:00"}, nurse());
      break;
    case incident_state::ended:
      h.ok(end_incident{.incident = t.id, .outcome = "advice"}, nurse());
      break;
  }
  REQUIRE(h.get(t.id).state == s);
}

command make(input in, const setup& t) {
  switch (in) {
    case input::link:
      return link_contact{.incident = t.id, .contact = contact_id{555}};
    case input::monitor:
      return set_monitored{.incident = t.id, .plan = "welfare call"};
    case input::queue:
      return queue_incident{.incident = t.id, .note = {}};
    case input::assign:
      return assign_unit{.incident = t.id, .unit = unit_id{"mhrc2"}, .force = false, .note = {}};
    case input::end:
      return end_incident{.incident = t.id, .outcome = "resolved"};
    case input::reopen_it:
      return reopen{.incident = t.id, .contact = contact_id{556}, .note = "called back"};
    case input::recommend_units:
      return recommend{.incident = t.id};
  }
  return recommend{};
}

}  // namespace

TEST_CASE("incident state machine: every state x every input x every actor") {
  for (const auto state : all_states) {
    for (const auto in : all_inputs) {
      for (const auto actor : all_actors) {
        setup t;
        drive_to(t, state);
        const auto before = t.h.board.digest();
        const auto& e = expected.at(state)[static_cast<std::size_t>(in)];
        const bool should_accept = std::string{e.allowed}.find(letter(actor)) != std::string::npos;
        const auto r = t.h.run(make(in, t), actor_for(actor));
        INFO("state " << state_name(state) << ", " << input_name(in) << ", by " << actor_name(actor)
                      << ": " << (r.accepted ? "accepted" : r.reason));
        CHECK(r.accepted == should_accept);
        if (r.accepted) {
          CHECK(t.h.get(t.id).state == e.after);
        } else {
          CHECK_FALSE(r.reason.empty());
          CHECK(r.effects.empty());
          CHECK(t.h.board.digest() == before);
        }
      }
    }
  }
}

TEST_CASE("an incident whose units have cleared may be monitored, queued or ended") {
  for (const auto in : {input::monitor, input::queue, input::end}) {
    setup t;
    drive_to(t, incident_state::active);
    t.h.status("mhrc1", unit_state::on_scene);
    t.h.status("mhrc1", unit_state::clear);
    REQUIRE(t.h.get(t.id).state == incident_state::active);
    REQUIRE(t.h.get(t.id).live_count() == 0);
    const auto r = t.h.run(make(in, t), nurse());
    INFO(input_name(in) << ": " << r.reason);
    CHECK(r.accepted);
  }
}

TEST_CASE("an incident cannot end while units are assigned") {
  harness h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto inc = h.raise();
  h.assign(inc, "mhrc1");
  h.assign(inc, "mhrc2");
  h.status("mhrc1", unit_state::en_route);
  auto r = h.run(end_incident{.incident = inc, .outcome = "x"}, nurse());
  CHECK_FALSE(r.accepted);
  CHECK(r.kind == rejection::conflict);
  CHECK(r.reason ==
        "cannot end incident 1 while units are assigned: MHRC1 (en route), MHRC2 (assigned); "
        "stand them down or wait for them to clear");
  h.status("mhrc1", unit_state::on_scene);
  h.status("mhrc1", unit_state::clear);
  r = h.run(end_incident{.incident = inc, .outcome = "x"}, nurse());
  CHECK(r.reason ==
        "cannot end incident 1 while units are assigned: MHRC2 (assigned); stand them down or "
        "wait for them to clear");
  h.ok(
      stand_down{
          .incident = inc, .unit = unit_id{"mhrc2"}, .reason = stand_down_reason::not_needed},
      nurse());
  h.ok(end_incident{.incident = inc, .outcome = "seen at home, safe"}, nurse());
  CHECK(h.get(inc).state == incident_state::ended);
  CHECK(h.get(inc).outcome == "seen at home, safe");
}

TEST_CASE("reopening an ended incident creates a new one linked to the old") {
  harness h;
  h.sign_on("mhrc1");
  const auto old = h.raise(triage_category::b, {}, 100);
  h.ok(link_contact{.incident = old, .contact = contact_id{101}}, nurse());
  h.ok(end_incident{.incident = old, .outcome = "advice"}, nurse());

  const auto fx =
      h.ok(reopen{.incident = old, .contact = contact_id{102}, .note = "worse"}, nurse());
  const auto raised = all_of_type<incident_raised>(fx);
  REQUIRE(raised.size() == 1);
  const auto now_id = raised[0].incident;
  CHECK(now_id != old);
  CHECK(raised[0].reopened_from == old);
  CHECK(h.get(old).state == incident_state::ended);
  CHECK(h.get(old).reopened_as == std::vector<incident_id>{now_id});
  const auto& fresh = h.get(now_id);
  CHECK(fresh.state == incident_state::raised);
  CHECK(fresh.reopened_from == old);
  CHECK(fresh.contacts ==
        std::vector<contact_id>{contact_id{100}, contact_id{101}, contact_id{102}});
  CHECK(fresh.category == triage_category::b);
  CHECK(fresh.address == "1 High St, Cosham");
  // Every contact's nurse sees the new incident.
  CHECK(nurse_texts(fx, contact_id{101}) ==
        std::vector<std::string>{"incident 1 reopened as incident 2"});

  // A second reopen while the first is open would duplicate the response.
  auto r = h.run(reopen{.incident = old, .contact = {}, .note = {}}, nurse());
  CHECK_FALSE(r.accepted);
  CHECK(r.reason == "incident 1 was already reopened as incident 2, which is still open");
  h.ok(end_incident{.incident = now_id, .outcome = "ok"}, nurse());
  CHECK(h.run(reopen{.incident = old, .contact = {}, .note = {}}, nurse()).accepted);
}

TEST_CASE("several contacts link to one incident and each hears about the unit") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = h.raise(triage_category::b, {}, 100);
  auto fx = h.ok(link_contact{.incident = inc, .contact = contact_id{200}}, nurse());
  CHECK(nurse_texts(fx, contact_id{200}) == std::vector<std::string>{"Linked to incident 1 (new)"});
  CHECK(h.run(link_contact{.incident = inc, .contact = contact_id{200}}, nurse()).reason ==
        "contact 200 is already linked");
  h.assign(inc, "mhrc1");
  fx = h.status("mhrc1", unit_state::en_route);
  CHECK(nurse_texts(fx, contact_id{100}).size() == 1);
  CHECK(nurse_texts(fx, contact_id{200}) == nurse_texts(fx, contact_id{100}));
  // A third party calling later is told where the unit is.
  fx = h.ok(link_contact{.incident = inc, .contact = contact_id{300}}, nurse());
  CHECK(nurse_texts(fx, contact_id{300}) ==
        std::vector<std::string>{"Linked to incident 1 (active); MHRC1 en route"});
}

TEST_CASE("raising an incident checks what a crew will rely on") {
  harness h;
  h.sign_on("mhrc2");
  raise_incident base{.contact = contact_id{1},
                      .coordinates = cosham,
                      .address = {},
                      .area = {},
                      .required_skills = {},
                      .category = triage_category::b,
                      .police = std::nullopt,
                      .note = {},
                      .monitor_only = false};

  auto c = base;
  c.category = triage_category::unspecified;
  CHECK(h.run(c, nurse()).reason == "a triage category (A-G) is required");

  c = base;
  c.coordinates.reset();
  CHECK(h.run(c, nurse()).reason == "a location is required: coordinates, an address, or both");
  c.address = "Flat 2, 3 Elm Rd";
  CHECK(h.run(c, nurse()).accepted);

  c = base;
  c.coordinates = geo_point{95, 0};
  CHECK(h.run(c, nurse()).kind == rejection::invalid);

  c = base;
  c.required_skills = {"mh_paramdic"};
  CHECK(h.run(c, nurse()).reason == "unknown skill \"mh_paramdic\"");

  // Right Care, Right Person: no police without a recorded reason.
  c = base;
  c.required_skills = {"police"};
  auto r = h.run(c, nurse());
  CHECK_FALSE(r.accepted);
  CHECK(r.kind == rejection::invalid);
  CHECK(r.reason.find("Right Care, Right Person") != std::string::npos);

  c = base;
  c.police = police_request{.reason = police_reason::crime,
                            .detail = "threatening a neighbour with a knife"};
  const auto fx = h.ok(c, nurse());
  const auto id = all_of_type<incident_raised>(fx).at(0).incident;
  CHECK(h.get(id).required_skills == std::vector<std::string>{"police"});
  CHECK(h.get(id).police->reason == police_reason::crime);
  CHECK(h.get(id).history.at(0).note == "raised; police requested: crime");

  CHECK(h.run(base, crew_of("mhrc2")).kind == rejection::forbidden);
  CHECK(h.run(base, system_actor()).kind == rejection::forbidden);
}

TEST_CASE("an incident raised when no suitable unit is free is queued and dispatch told") {
  harness h;
  h.sign_on("mhrc1");
  // Only MHRC3 has CAMHS, and it is not signed on.
  const auto fx = h.ok(raise_incident{.contact = contact_id{9},
                                      .coordinates = cosham,
                                      .address = {},
                                      .area = {},
                                      .required_skills = {"camhs"},
                                      .category = triage_category::b,
                                      .police = std::nullopt,
                                      .note = {},
                                      .monitor_only = false},
                       nurse());
  const auto id = all_of_type<incident_raised>(fx).at(0).incident;
  CHECK(h.get(id).state == incident_state::queued);
  const auto n = notices(fx, notice_kind::incident_queued);
  REQUIRE(n.size() == 1);
  CHECK(n[0].text == "incident 1 (category B) needs a unit and none is suitable now");
  CHECK(nurse_texts(fx, contact_id{9}) ==
        std::vector<std::string>{
            "No suitable unit is free: the incident is queued and dispatch is alerted"});

  // When a suitable unit signs on, dispatch hears of it.
  h.now = utc(18, 30);
  const auto on = h.ok(crew_sign_on{.unit = unit_id{"mhrc3"}, .crew = {"x"}}, crew_of("mhrc3"));
  const auto offer = notices(on, notice_kind::unit_free_for_queued);
  REQUIRE(offer.size() == 1);
  CHECK(offer[0].text == "MHRC3 is free and suits queued incident 1 (category B)");
}

TEST_CASE("a monitor-only incident starts monitored and never escalates") {
  harness h;
  const auto fx = h.ok(raise_incident{.contact = contact_id{9},
                                      .coordinates = std::nullopt,
                                      .address = "unknown, Fratton",
                                      .area = {},
                                      .required_skills = {},
                                      .category = triage_category::c,
                                      .police = std::nullopt,
                                      .note = {},
                                      .monitor_only = true},
                       nurse());
  const auto id = all_of_type<incident_raised>(fx).at(0).incident;
  CHECK(h.get(id).state == incident_state::monitored);
  CHECK_FALSE(h.board.next_deadline().has_value());
  CHECK(h.tick_at(utc(14) + std::chrono::hours{48}).empty());
}
