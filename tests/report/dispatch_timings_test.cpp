#include <catch2/catch.hpp>

#include <functional>
#include <sstream>

#include "../store/temp_db.hpp"
#include "app/report_format.hpp"
#include "app/report_replay.hpp"
#include "app/shift_log_projection.hpp"
#include "core/dispatch/incident.hpp"
#include "core/kpi.hpp"
#include "core/triage.hpp"
#include "scripted_log.hpp"
#include "store/database.hpp"
#include "table_rows.hpp"

using crisisline::app::shift_log_projection;
using crisisline::report_test::scripted_log;
namespace core = crisisline::core;
namespace kpi = crisisline::core::kpi;
namespace store = crisisline::store;
namespace v1 = crisisline::v1;

using crisisline::report_test::opt_us;
using crisisline::report_test::rows;

namespace {

constexpr auto b_target = std::chrono::minutes(30);

// The server's defaults with two cars and a 30-minute target for category B.
core::settings with_cars() {
  auto s = std::get<core::settings>(crisisline::app::replay_settings(std::nullopt));
  for (const char* id : {"u1", "u2"}) {
    s.dispatch.units.push_back(core::dispatch::unit_config{.id = core::unit_id{id},
                                                           .call_sign = std::string{"MH-"} + id,
                                                           .skills = {"mh_paramedic"},
                                                           .base = {50.90, -1.40},
                                                           .area = {},
                                                           .shifts = {},
                                                           .speed_kmh = {}});
  }
  s.dispatch.targets[1] = std::chrono::duration_cast<core::duration>(b_target);
  return s;
}

std::int64_t us(std::string_view iso) {
  return core::to_micros(crisisline::app::parse_utc(iso).value());
}

template <typename Fill>
std::uint64_t dispatch(scripted_log& log, v1::Actor::Kind kind, const std::string& id, Fill fill) {
  return log.custom("dispatch", [&](v1::Event& e) {
    e.mutable_actor()->set_kind(kind);
    e.mutable_actor()->set_id(id);
    fill(*e.mutable_dispatch());
  });
}

std::uint64_t crew_status(scripted_log& log, const std::string& crew, const std::string& unit,
                          v1::UnitState state, std::uint64_t incident) {
  return log.custom("crew", [&](v1::Event& e) {
    e.mutable_actor()->set_kind(v1::Actor::CREW);
    e.mutable_actor()->set_id(crew);
    auto* s = e.mutable_crew_status();
    s->set_unit_id(unit);
    s->set_state(state);
    s->set_incident_id(incident);
  });
}

void raise(scripted_log& log, std::uint64_t contact) {
  dispatch(log, v1::Actor::INTEGRATION, "desk", [&](v1::DispatchCommand& d) {
    auto* r = d.mutable_raise_incident();
    r->set_contact_id(contact);
    r->mutable_coordinates()->set_latitude(50.91);
    r->mutable_coordinates()->set_longitude(-1.41);
    r->set_address("1 High St");
    r->add_required_skills("mh_paramedic");
    r->set_category(v1::TRIAGE_B);
  });
}

void assign(scripted_log& log, std::uint64_t incident, const std::string& unit) {
  dispatch(log, v1::Actor::INTEGRATION, "desk", [&](v1::DispatchCommand& d) {
    d.mutable_assign_unit()->set_incident_id(incident);
    d.mutable_assign_unit()->set_unit_id(unit);
  });
}

void alert_sent(scripted_log& log, std::uint64_t incident, const std::string& unit) {
  dispatch(log, v1::Actor::SYSTEM, "crew_feed", [&](v1::DispatchCommand& d) {
    d.mutable_alert_sent()->set_incident_id(incident);
    d.mutable_alert_sent()->set_unit_id(unit);
  });
}

// 2024-06-01, two cars, category B target 30 min:
//   1  09:00:00 call CD1 offered (contact 1)
//   2, 3        alice signs on to u1, bob to u2
//   4  09:01:00 incident 1 raised from contact 1, category B
//   5  09:02:00 u1 assigned; 6 09:02:05 alert sent; 7 09:02:35 alice acknowledges
//   8  09:03:00 u1 en route; 9 09:20:00 on scene (19 min after the raise: met)
//   10 10:00:00 u1 clear
//   11 10:10:00 call CD2 offered (contact 11)
//   12 10:11:00 incident 2 raised from it, category B
//   13 10:12:00 u2 assigned; 14 10:12:10 alert sent
//   15 10:13:00 u2 en route without acknowledging: acknowledged is skipped
//   16 10:20:00 u2 stood down, not needed, before reaching the scene
// `after_en_route`, if set, runs after event 8.
void dispatch_log(scripted_log& log, const std::function<void()>& after_en_route = {}) {
  log.at("2024-06-01T09:00:00Z");
  log.call("CD1", v1::CALL_OFFERED, v1::LOCAL_LINE, "", "+447700900001");
  for (const auto& [crew, unit] : {std::pair{"alice", "u1"}, std::pair{"bob", "u2"}}) {
    dispatch(log, v1::Actor::CREW, crew, [&](v1::DispatchCommand& d) {
      d.mutable_crew_sign_on()->set_unit_id(unit);
      d.mutable_crew_sign_on()->add_crew(crew);
    });
  }
  log.at("2024-06-01T09:01:00Z");
  raise(log, 1);
  log.at("2024-06-01T09:02:00Z");
  assign(log, 1, "u1");
  log.at("2024-06-01T09:02:05Z");
  alert_sent(log, 1, "u1");
  log.at("2024-06-01T09:02:35Z");
  dispatch(log, v1::Actor::CREW, "alice", [](v1::DispatchCommand& d) {
    d.mutable_acknowledge()->set_incident_id(1);
    d.mutable_acknowledge()->set_unit_id("u1");
  });
  log.at("2024-06-01T09:03:00Z");
  crew_status(log, "alice", "u1", v1::UNIT_EN_ROUTE, 1);
  if (after_en_route) after_en_route();
  log.at("2024-06-01T09:20:00Z");
  crew_status(log, "alice", "u1", v1::UNIT_ON_SCENE, 1);
  log.at("2024-06-01T10:00:00Z");
  crew_status(log, "alice", "u1", v1::UNIT_CLEAR, 1);

  log.at("2024-06-01T10:10:00Z");
  log.call("CD2", v1::CALL_OFFERED, v1::LOCAL_LINE, "", "+447700900002");
  log.at("2024-06-01T10:11:00Z");
  raise(log, 11);
  log.at("2024-06-01T10:12:00Z");
  assign(log, 2, "u2");
  log.at("2024-06-01T10:12:10Z");
  alert_sent(log, 2, "u2");
  log.at("2024-06-01T10:13:00Z");
  crew_status(log, "bob", "u2", v1::UNIT_EN_ROUTE, 2);
  log.at("2024-06-01T10:20:00Z");
  dispatch(log, v1::Actor::INTEGRATION, "desk", [](v1::DispatchCommand& d) {
    d.mutable_stand_down()->set_incident_id(2);
    d.mutable_stand_down()->set_unit_id("u2");
    d.mutable_stand_down()->set_reason(v1::STAND_DOWN_NOT_NEEDED);
  });
}

constexpr int dispatch_columns = 15;

std::string table_dump(const std::filesystem::path& db) {
  return rows(db,
              "SELECT incident_id, assignment, unit, category, raised_us, assigned_us, "
              "alerted_us, acknowledged_us, en_route_us, on_scene_us, cleared_us, "
              "stood_down_us, skipped_steps, target_s, met FROM dispatch_timings "
              "ORDER BY incident_id, assignment",
              dispatch_columns);
}

// The rows a full replay of the log gives, in table_dump's format.
std::string replayed_dump(const std::filesystem::path& db) {
  core::engine engine(with_cars());
  (void)crisisline::app::replay_into(db, engine);
  std::ostringstream o;
  for (const kpi::dispatch_timing& t : kpi::dispatch_timings_of(engine)) {
    std::string skipped;
    for (const auto s : t.skipped)
      skipped += (skipped.empty() ? "" : ",") + std::string{core::dispatch::state_name(s)};
    o << t.incident.value() << "|" << t.assignment << "|" << t.unit.value() << "|"
      << core::triage_code(t.category) << "|" << core::to_micros(t.raised) << "|"
      << core::to_micros(t.assigned) << "|" << opt_us(t.alerted) << "|" << opt_us(t.acknowledged)
      << "|" << opt_us(t.en_route) << "|" << opt_us(t.on_scene) << "|" << opt_us(t.cleared) << "|"
      << opt_us(t.stood_down) << "|" << skipped << "|"
      << (t.target
              ? std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*t.target).count())
              : "NULL")
      << "|" << (t.met ? (*t.met ? "1" : "0") : "NULL") << "\n";
  }
  return o.str();
}

}  // namespace

TEST_CASE("dispatch_timings rows for a scripted log are the ones worked out by hand") {
  temp_db db;
  shift_log_projection projection(with_cars());
  scripted_log log(db.path());
  dispatch_log(log);
  log.commit(&projection);
  const auto t = [](std::string_view iso) { return std::to_string(us(iso)); };

  const std::string expected = "1|1|u1|B|" + t("2024-06-01T09:01:00Z") + "|" +
                               t("2024-06-01T09:02:00Z") + "|" + t("2024-06-01T09:02:05Z") + "|" +
                               t("2024-06-01T09:02:35Z") + "|" + t("2024-06-01T09:03:00Z") + "|" +
                               t("2024-06-01T09:20:00Z") + "|" + t("2024-06-01T10:00:00Z") +
                               "|NULL||1800|1\n" + "2|1|u2|B|" + t("2024-06-01T10:11:00Z") + "|" +
                               t("2024-06-01T10:12:00Z") + "|" + t("2024-06-01T10:12:10Z") +
                               "|NULL|" + t("2024-06-01T10:13:00Z") + "|NULL|NULL|" +
                               t("2024-06-01T10:20:00Z") + "|acknowledged|1800|NULL\n";
  CHECK(table_dump(db.path()) == expected);
  CHECK(table_dump(db.path()) == replayed_dump(db.path()));

  SECTION("a catch-up over the same log writes the same rows") {
    temp_db behind;
    scripted_log again(behind.path());
    dispatch_log(again);
    again.commit();
    shift_log_projection late(with_cars());
    again.timer();
    again.commit(&late);
    CHECK(table_dump(behind.path()) == expected);
  }

  SECTION("a row is updated in place as its assignment moves on") {
    temp_db staged;
    shift_log_projection live(with_cars());
    scripted_log in_stages(staged.path());
    std::string midway;
    dispatch_log(in_stages, [&] {
      in_stages.commit(&live);
      midway = table_dump(staged.path());
    });
    in_stages.commit(&live);
    // En route, not on scene yet: no on-scene time and no verdict on the target.
    CHECK(midway == "1|1|u1|B|" + t("2024-06-01T09:01:00Z") + "|" + t("2024-06-01T09:02:00Z") +
                        "|" + t("2024-06-01T09:02:05Z") + "|" + t("2024-06-01T09:02:35Z") + "|" +
                        t("2024-06-01T09:03:00Z") + "|NULL|NULL|NULL||1800|NULL\n");
    CHECK(table_dump(staged.path()) == expected);
  }
}

namespace {

core::timestamp at(std::string_view iso) {
  return crisisline::app::parse_utc(iso).value();
}

kpi::dispatch_timing assignment(std::uint64_t incident, core::triage_category category,
                                std::string_view raised, std::string_view assigned) {
  return kpi::dispatch_timing{.incident = core::incident_id{incident},
                              .assignment = 1,
                              .unit = core::unit_id{"u1"},
                              .category = category,
                              .raised = at(raised),
                              .assigned = at(assigned)};
}

}  // namespace

TEST_CASE("dispatch KPIs per category for timings whose figures are known in advance") {
  using namespace std::chrono_literals;
  const auto b = core::triage_category::b;
  const auto f = core::triage_category::f;
  const std::optional<core::duration> target = std::chrono::duration_cast<core::duration>(30min);
  // Category B, target 30 min, window [09:00, 10:00):
  // - incident 1 raised 09:00; unit 1 assigned 09:00, alerted +10 s, acknowledged
  //   +40 s, on scene 09:30 (exactly 30 min: within); unit 2 assigned 09:05,
  //   alerted +20 s, acknowledgement skipped, on scene 09:40 (not the first).
  // - incident 2 raised 09:10, never assigned: not within target.
  // - incident 3 raised 09:20; assigned 09:21, alerted +30 s, acknowledged +60 s,
  //   on scene 09:50:01 (30 min 1 s after the raise: not within).
  // - incident 4 raised 09:59, assigned 10:00 (the next window), on scene 10:20:
  //   within, and counted with the incidents raised in this window.
  // - incident 6 raised 08:50 (last window), assigned 09:00:30, not alerted yet.
  // Category F (no target): incident 5 raised 09:40, assigned 09:41, alerted +5 s.
  auto a1 = assignment(1, b, "2024-06-01T09:00:00Z", "2024-06-01T09:00:00Z");
  a1.alerted = at("2024-06-01T09:00:10Z");
  a1.acknowledged = at("2024-06-01T09:00:40Z");
  a1.on_scene = at("2024-06-01T09:30:00Z");
  auto a2 = assignment(1, b, "2024-06-01T09:00:00Z", "2024-06-01T09:05:00Z");
  a2.assignment = 2;
  a2.alerted = at("2024-06-01T09:05:20Z");
  a2.skipped = {core::unit_state::acknowledged};
  a2.on_scene = at("2024-06-01T09:40:00Z");
  auto a3 = assignment(3, b, "2024-06-01T09:20:00Z", "2024-06-01T09:21:00Z");
  a3.alerted = at("2024-06-01T09:21:30Z");
  a3.acknowledged = at("2024-06-01T09:22:00Z");
  a3.on_scene = at("2024-06-01T09:50:01Z");
  auto a4 = assignment(4, b, "2024-06-01T09:59:00Z", "2024-06-01T10:00:00Z");
  a4.alerted = at("2024-06-01T10:00:01Z");
  a4.on_scene = at("2024-06-01T10:20:00Z");
  auto a6 = assignment(6, b, "2024-06-01T08:50:00Z", "2024-06-01T09:00:30Z");
  auto a5 = assignment(5, f, "2024-06-01T09:40:00Z", "2024-06-01T09:41:00Z");
  a5.alerted = at("2024-06-01T09:41:05Z");

  const auto incident = [&](std::uint64_t id, core::triage_category c, std::string_view raised,
                            std::optional<std::string_view> first_on_scene) {
    return kpi::incident_timing{
        .incident = core::incident_id{id},
        .category = c,
        .raised = at(raised),
        .target = c == b ? target : std::nullopt,
        .first_on_scene = first_on_scene ? std::optional{at(*first_on_scene)} : std::nullopt};
  };
  const std::vector<kpi::incident_timing> incidents{
      incident(1, b, "2024-06-01T09:00:00Z", "2024-06-01T09:30:00Z"),
      incident(2, b, "2024-06-01T09:10:00Z", std::nullopt),
      incident(3, b, "2024-06-01T09:20:00Z", "2024-06-01T09:50:01Z"),
      incident(4, b, "2024-06-01T09:59:00Z", "2024-06-01T10:20:00Z"),
      incident(5, f, "2024-06-01T09:40:00Z", std::nullopt),
      incident(6, b, "2024-06-01T08:50:00Z", std::nullopt)};
  const kpi::window w{at("2024-06-01T09:00:00Z"), at("2024-06-01T10:00:00Z")};

  const auto splits = kpi::compute_dispatch({a1, a2, a3, a4, a5, a6}, incidents, w);
  REQUIRE(splits.size() == 2);
  CHECK(splits[0].category == "B");
  const kpi::dispatch_figures& fb = splits[0].values;
  CHECK(fb.assignments == 4);
  // Alerts after 10, 20 and 30 s (incident 6's unit not alerted yet).
  CHECK(fb.to_alert_median == core::duration{20s});
  CHECK(fb.to_alert_p90 == core::duration{30s});
  // Acknowledged after 40 and 60 s; the skipped acknowledgement is left out.
  CHECK(fb.to_acknowledged_median == core::duration{40s});
  CHECK(fb.to_acknowledged_p90 == core::duration{60s});
  // On scene 29 min 1 s, 30 min and 35 min after assignment.
  CHECK(fb.to_on_scene_median == core::duration{30min});
  CHECK(fb.to_on_scene_p90 == core::duration{35min});
  CHECK(fb.incidents_with_target == 4);
  CHECK(fb.on_scene_within_target == 2);
  CHECK(fb.on_scene_within_target_share == 0.5);

  CHECK(splits[1].category == "F");
  const kpi::dispatch_figures& ff = splits[1].values;
  CHECK(ff.assignments == 1);
  CHECK(ff.to_alert_median == core::duration{5s});
  CHECK_FALSE(ff.to_acknowledged_median);
  CHECK(ff.incidents_with_target == 0);
  CHECK_FALSE(ff.on_scene_within_target_share);

  CHECK(kpi::compute_dispatch({a1}, incidents,
                              {at("2024-06-02T00:00:00Z"), at("2024-06-03T00:00:00Z")})
            .empty());
}

TEST_CASE("report shows the dispatch figures of a replayed log in text, CSV and JSON") {
  using namespace std::chrono_literals;
  temp_db db;
  scripted_log log(db.path());
  dispatch_log(log);
  log.commit();
  core::engine engine(with_cars());
  (void)crisisline::app::replay_into(db.path(), engine);
  const auto r = kpi::report_of(engine, {at("2024-06-01T00:00:00Z"), at("2024-06-02T00:00:00Z")});

  REQUIRE(r.dispatch.size() == 1);
  const kpi::dispatch_figures& f = r.dispatch[0].values;
  CHECK(f.assignments == 2);
  // u1 alerted after 5 s, u2 after 10 s; only u1 acknowledged (35 s) and
  // reached the scene (18 min after assignment, 19 after the raise: within).
  CHECK(f.to_alert_median == core::duration{5s});
  CHECK(f.to_alert_p90 == core::duration{10s});
  CHECK(f.to_acknowledged_median == core::duration{35s});
  CHECK(f.to_on_scene_median == core::duration{18min});
  // Incident 2's unit was stood down before the scene: not within target.
  CHECK(f.incidents_with_target == 2);
  CHECK(f.on_scene_within_target_share == 0.5);

  const crisisline::app::report_source src{.description = "test", .as_of = {}, .shift = {}};
  const std::string csv = crisisline::app::render_csv(r);
  CHECK_THAT(csv, Catch::Contains("dispatch_category,B,assignments,2\n"));
  CHECK_THAT(csv, Catch::Contains("dispatch_category,B,to_on_scene_median_seconds,1080.0000\n"));
  CHECK_THAT(csv, Catch::Contains("dispatch_category,B,on_scene_within_target_share,0.5000\n"));
  CHECK_THAT(csv, Catch::Contains("dispatch_category,B,to_acknowledged_p90_seconds,35.0000\n"));
  const std::string json = crisisline::app::render_json(r, src);
  CHECK_THAT(json, Catch::Contains(R"("dispatch":[{"category":"B","assignments":2,)"));
  CHECK_THAT(json, Catch::Contains(R"("on_scene_within_target_share":5E-1)"));
  const std::string text = crisisline::app::render_text(r, src);
  CHECK_THAT(text, Catch::Contains("Response-car dispatch, by triage category"));
  CHECK_THAT(text, Catch::Contains("1080.0 s"));
  CHECK_THAT(text, Catch::Contains("50.0%"));
}
