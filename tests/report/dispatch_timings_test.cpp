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

using crisisline::app::shift_log_projection;
using crisisline::report_test::scripted_log;
namespace core = crisisline::core;
namespace kpi = crisisline::core::kpi;
namespace store = crisisline::store;
namespace v1 = crisisline::v1;

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

std::string field(store::statement& st, int i) {
  return st.column_is_null(i) ? std::string{"NULL"} : std::string{st.column_text(i)};
}

constexpr int dispatch_columns = 15;

std::string table_dump(const std::filesystem::path& db) {
  store::connection c(db, store::connection::mode::read_only);
  store::statement st(c,
                      "SELECT incident_id, assignment, unit, category, raised_us, assigned_us, "
                      "alerted_us, acknowledged_us, en_route_us, on_scene_us, cleared_us, "
                      "stood_down_us, skipped_steps, target_s, met FROM dispatch_timings "
                      "ORDER BY incident_id, assignment");
  std::ostringstream o;
  while (st.step()) {
    for (int i = 0; i < dispatch_columns; ++i)
      o << field(st, i) << (i + 1 == dispatch_columns ? "\n" : "|");
  }
  return o.str();
}

std::string opt_us(const std::optional<core::timestamp>& t) {
  return t ? std::to_string(core::to_micros(*t)) : std::string{"NULL"};
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
