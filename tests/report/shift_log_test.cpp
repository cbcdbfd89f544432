#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <sstream>

#include "../store/temp_db.hpp"
#include "app/report_replay.hpp"
#include "app/shift_log_projection.hpp"
#include "core/kpi.hpp"
#include "core/triage.hpp"
#include "scripted_log.hpp"
#include "store/database.hpp"
#include "table_rows.hpp"
#include "temp_dir.hpp"

using crisisline::app::shift_log_projection;
using crisisline::report_test::scripted_log;
namespace core = crisisline::core;
namespace store = crisisline::store;
namespace v1 = crisisline::v1;

using crisisline::report_test::opt_us;
using crisisline::report_test::rows;

namespace {

core::settings server_settings() {
  return std::get<core::settings>(crisisline::app::replay_settings(std::nullopt));
}

std::int64_t us(std::string_view iso) {
  return core::to_micros(crisisline::app::parse_utc(iso).value());
}

// Every contact_timings row as text, in contact order.
std::string table_dump(const std::filesystem::path& db) {
  return rows(db,
              "SELECT contact_id, channel, route, area, band, offered_us, answered_us, "
              "abandoned_us, abandon_threshold_us, lost, callback_requested_us, "
              "callback_made_us, closed_us, outcome_code, answered_by, shift_id "
              "FROM contact_timings ORDER BY contact_id",
              16);
}

// What a full replay of the log says every row must be, in the table_dump
// format, from core::kpi::timing_of on the final state of a fresh engine.
std::string replayed_dump(const std::filesystem::path& db) {
  core::engine engine(server_settings());
  (void)crisisline::app::replay_into(db, engine);
  std::ostringstream o;
  for (const auto& [id, c] : engine.contacts()) {
    const auto t = core::kpi::timing_of(c);
    if (!t) continue;
    o << id << "|" << core::to_string(t->kind) << "|" << core::kpi::route_name(t->route) << "|"
      << t->area << "|" << core::triage_code(t->band) << "|" << opt_us(t->offered) << "|"
      << opt_us(t->answered) << "|" << opt_us(t->abandoned) << "|30000000|" << (t->lost ? 1 : 0)
      << "|" << opt_us(t->callback_requested) << "|" << opt_us(t->callback_made) << "|"
      << opt_us(c.closed_time) << "|" << c.outcome_code << "|"
      << (c.answered_by ? c.answered_by->value() : "NULL") << "|"
      << (c.answered_shift ? std::to_string(*c.answered_shift) : "NULL") << "\n";
  }
  return o.str();
}

// 2024-05-01, default configuration (30 s offers, 60 s wrap-up, band C
// before triage):
//   1  09:00:00 call CA1 (local line, north) offered
//   2  09:00:10 amy signs on: CA1 is offered to her
//   3  09:00:20 amy accepts: answered after 20 s
//   4  09:01:00 ben signs on
//   5  09:02:00 amy transfers CA1 to ben (the row keeps amy as who answered)
//   6  09:03:00 ben closes CA1, outcome 02
//   7  09:03:30 ben signs off; 8 09:04:00 amy signs off: nobody is on
//   9  09:05:00 call CA2 (111 option 2, south) offered, waits
//   10 09:05:30 CA2 hangs up after exactly 30 s: a likely misdial, and the
//               callback (contact 10) takes its place
//   11 09:05:35 cat signs on and is offered the callback
//   12 09:05:40 cat accepts it: made 10 s after the request
//   13 09:10:00 call CA3 offered (cat is busy); 14 09:10:45 the platform loses
//               it, and a callback (contact 14) is owed, not made
void hand_built_log(scripted_log& log) {
  log.at("2024-05-01T09:00:00Z");
  log.call("CA1", v1::CALL_OFFERED, v1::LOCAL_LINE, "north", "+447700900001");
  log.at("2024-05-01T09:00:10Z");
  log.sign_on("amy");
  log.at("2024-05-01T09:00:20Z");
  log.accept("amy", 1);
  log.at("2024-05-01T09:01:00Z");
  log.sign_on("ben");
  log.at("2024-05-01T09:02:00Z");
  log.console("amy", [](v1::ConsoleCommand& c) {
    c.mutable_transfer()->set_contact_id(1);
    c.mutable_transfer()->set_to_nurse_id("ben");
  });
  log.at("2024-05-01T09:03:00Z");
  log.close("ben", 1, "02");
  log.at("2024-05-01T09:03:30Z");
  log.sign_off("ben");
  log.at("2024-05-01T09:04:00Z");
  log.sign_off("amy");
  log.at("2024-05-01T09:05:00Z");
  log.call("CA2", v1::CALL_OFFERED, v1::NHS111_OPTION2, "south", "+447700900002");
  log.at("2024-05-01T09:05:30Z");
  log.call("CA2", v1::CALL_ABANDONED);
  log.at("2024-05-01T09:05:35Z");
  log.sign_on("cat");
  log.at("2024-05-01T09:05:40Z");
  log.accept("cat", 10);
  log.at("2024-05-01T09:10:00Z");
  log.call("CA3", v1::CALL_OFFERED, v1::NHS111_OPTION2, "south", "+447700900003");
  log.at("2024-05-01T09:10:45Z");
  log.call("CA3", v1::CALL_FAILED);
}

}  // namespace

TEST_CASE("contact_timings rows for a hand-built log are the ones worked out by hand") {
  temp_db db;
  shift_log_projection projection(server_settings());
  scripted_log log(db.path());
  hand_built_log(log);
  log.commit(&projection);

  const std::string n = "NULL";
  const auto t = [](std::string_view iso) { return std::to_string(us(iso)); };
  const std::string expected =
      // Answered at 20 s by amy, transferred to ben, closed by him.
      "1|call|local_line|north|C|" + t("2024-05-01T09:00:00Z") + "|" + t("2024-05-01T09:00:20Z") +
      "|" + n + "|30000000|0|" + n + "|" + n + "|" + t("2024-05-01T09:03:00Z") + "|02|amy|" + n +
      "\n"
      // Abandoned at exactly 30 s (the threshold says a misdial); closed then.
      "9|call|nhs111_option2|south|C|" +
      t("2024-05-01T09:05:00Z") + "|" + n + "|" + t("2024-05-01T09:05:30Z") + "|30000000|0|" + n +
      "|" + n + "|" + t("2024-05-01T09:05:30Z") + "||" + n + "|" + n +
      "\n"
      // The callback owed for it, made 10 s after the hang-up, still open.
      "10|callback|nhs111_option2|south|C|" +
      n + "|" + n + "|" + n + "|30000000|0|" + t("2024-05-01T09:05:30Z") + "|" +
      t("2024-05-01T09:05:40Z") + "|" + n + "||cat|" + n +
      "\n"
      // Lost by the platform: offered, neither answered nor abandoned.
      "13|call|nhs111_option2|south|C|" +
      t("2024-05-01T09:10:00Z") + "|" + n + "|" + n + "|30000000|1|" + n + "|" + n + "|" +
      t("2024-05-01T09:10:45Z") + "||" + n + "|" + n +
      "\n"
      // Its callback, requested when the call was lost and not made yet.
      "14|callback|nhs111_option2|south|C|" +
      n + "|" + n + "|" + n + "|30000000|0|" + t("2024-05-01T09:10:45Z") + "|" + n + "|" + n +
      "||" + n + "|" + n + "\n";
  CHECK(table_dump(db.path()) == expected);
  CHECK(table_dump(db.path()) == replayed_dump(db.path()));

  store::connection c(db.path(), store::connection::mode::read_only);
  CHECK(c.query_int("SELECT projected_seq FROM shift_log_progress") == 14);
  // The cost figure counts every projected event.
  CHECK(projection.events_projected() == 14);
}

TEST_CASE("a log written before the shift log existed is projected when the writer opens") {
  temp_db db;
  scripted_log log(db.path());
  hand_built_log(log);
  log.commit();
  CHECK(table_dump(db.path()).empty());

  shift_log_projection projection(server_settings());
  {
    store::writer w(
        db.path(), {}, [](std::function<void()> fn) { fn(); }, [](const std::string&) {},
        &projection);
  }
  CHECK(projection.last_catch_up().replayed == 14);
  CHECK(projection.last_catch_up().projected == 14);
  CHECK_FALSE(table_dump(db.path()).empty());
  CHECK(table_dump(db.path()) == replayed_dump(db.path()));
}

TEST_CASE("tables behind the log catch up to exactly what live projection wrote") {
  temp_db db;
  scripted_log log(db.path());
  hand_built_log(log);
  shift_log_projection live(server_settings());
  log.commit(&live);
  const std::string expected = table_dump(db.path());
  {
    // Tables that fell behind at seq 6: the rows events 7-14 wrote are gone.
    store::connection c(db.path());
    c.exec("DELETE FROM contact_timings WHERE updated_seq > 6");
    c.exec("UPDATE shift_log_progress SET projected_seq = 6");
  }
  REQUIRE(table_dump(db.path()) != expected);

  shift_log_projection late(server_settings());
  {
    store::writer w(
        db.path(), {}, [](std::function<void()> fn) { fn(); }, [](const std::string&) {}, &late);
  }
  CHECK(late.last_catch_up().replayed == 14);
  CHECK(late.last_catch_up().projected == 8);
  CHECK(table_dump(db.path()) == expected);
}

TEST_CASE("a projection carries on from its own state when its writer is reopened") {
  temp_db db;
  shift_log_projection projection(server_settings());
  scripted_log first(db.path());
  hand_built_log(first);
  first.commit(&projection);
  // More events on the same projection instance, through a new writer.
  first.at("2024-05-01T09:20:00Z");
  first.call("CA4", v1::CALL_OFFERED, v1::LOCAL_LINE, "north", "+447700900004");
  first.at("2024-05-01T09:20:31Z");
  first.call("CA4", v1::CALL_ABANDONED);
  first.commit(&projection);
  CHECK(projection.last_catch_up().replayed == 0);
  CHECK(table_dump(db.path()) == replayed_dump(db.path()));
}

TEST_CASE("an outcome chosen after the platform ended the call updates the closed contact's row") {
  temp_db db;
  shift_log_projection projection(server_settings());
  scripted_log log(db.path());
  log.at("2024-05-01T09:00:00Z");
  log.call("CA1", v1::CALL_OFFERED, v1::LOCAL_LINE, "north", "+447700900001");
  log.sign_on("amy");
  log.at("2024-05-01T09:00:05Z");
  log.accept("amy", 1);
  log.at("2024-05-01T09:04:00Z");
  log.call("CA1", v1::CALL_COMPLETED);
  log.at("2024-05-01T09:05:00Z");
  log.close("amy", 1, "03");
  log.commit(&projection);
  CHECK(table_dump(db.path()).find("|03|amy|") != std::string::npos);
  CHECK(table_dump(db.path()) == replayed_dump(db.path()));
}

TEST_CASE("a long random log projects, event by event, to what a full replay gives") {
  temp_db db;
  shift_log_projection projection(server_settings());
  scripted_log log(db.path());
  std::mt19937 random(20240611);
  const auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  const std::vector<std::string> nurses = {"amy", "ben", "cat"};
  const std::vector<std::string> bodies = {"hello", "I took 800mg paracetamol", "can we talk",
                                           "STOP", "ibuprofen and vodka"};
  const std::vector<v1::CallStatus> statuses = {v1::CALL_ANSWERED, v1::CALL_COMPLETED,
                                                v1::CALL_ABANDONED, v1::CALL_FAILED};
  auto t = crisisline::app::parse_utc("2024-05-01T09:00:00Z").value();
  int calls = 0;
  for (int i = 0; i < 2000; ++i) {
    t += std::chrono::seconds{1 + pick(20)};
    log.at(crisisline::app::iso8601(t));
    const auto contact = static_cast<std::uint64_t>(1 + pick(i + 1));
    const std::string& nurse = nurses[static_cast<std::size_t>(pick(3))];
    switch (pick(10)) {
      case 0:
        log.call("CA" + std::to_string(++calls), v1::CALL_OFFERED, v1::NHS111_OPTION2, "north",
                 "+4477009000" + std::to_string(10 + pick(30)));
        break;
      case 1:
        if (calls > 0) {
          log.call("CA" + std::to_string(1 + pick(calls)),
                   statuses[static_cast<std::size_t>(pick(4))], v1::ROUTE_OF_ACCESS_UNSPECIFIED, "",
                   "");
        }
        break;
      case 2:
        log.keyword_text("SM" + std::to_string(i), "+4477009001" + std::to_string(10 + pick(30)),
                         bodies[static_cast<std::size_t>(pick(5))], "north");
        break;
      case 3:
        log.console(nurse, [](v1::ConsoleCommand& c) { c.mutable_sign_on(); });
        break;
      case 4:
        log.console(nurse, [](v1::ConsoleCommand& c) { c.mutable_sign_off(); });
        break;
      case 5:
        log.console(nurse,
                    [&](v1::ConsoleCommand& c) { c.mutable_accept()->set_contact_id(contact); });
        break;
      case 6:
        log.console(nurse, [&](v1::ConsoleCommand& c) {
          c.mutable_close()->set_contact_id(contact);
          c.mutable_close()->set_outcome_code("0" + std::to_string(1 + pick(6)));
        });
        break;
      case 7:
        log.console(nurse, [&](v1::ConsoleCommand& c) {
          c.mutable_transfer()->set_contact_id(contact);
          c.mutable_transfer()->set_to_nurse_id(nurses[static_cast<std::size_t>(pick(3))]);
        });
        break;
      case 8:
        log.console(nurse, [&](v1::ConsoleCommand& c) {
          c.mutable_set_triage()->set_contact_id(contact);
          c.mutable_set_triage()->set_category(static_cast<v1::TriageCategory>(1 + pick(7)));
        });
        break;
      default:
        log.timer();
        break;
    }
  }
  log.commit(&projection);
  const std::string rows = table_dump(db.path());
  CHECK(std::count(rows.begin(), rows.end(), '\n') > 100);
  CHECK(rows == replayed_dump(db.path()));
}

namespace {

// 2024-05-02, default configuration:
//   1  08:00:00 amy starts a shift (shift 1)
//   2  08:00:05 a text arrives (contact 2) and is offered to amy
//   3  08:00:15 amy accepts it: answered on shift 1
//   4  08:10:00 ben starts a shift (shift 4)
//   5  08:10:30 ben tries to start another: refused, no new shift
//   6  09:00:00 amy ends her shift handing over to ben (handover 6): the
//               conversation, answered on shift 1, carries on in shift 4
//   7  09:00:30 ben acknowledges handover 6
//   8  09:05:00 ben closes contact 2
//   9  09:10:00 a call (contact 9) is offered to ben
//   10 09:10:20 ben accepts it: answered on shift 4
//   11 09:12:00 the call ends
//   12 10:00:00 ben ends his shift with nobody to hand to (handover 12)
void two_shift_log(scripted_log& log) {
  log.at("2024-05-02T08:00:00Z");
  log.console("amy", [](v1::ConsoleCommand& c) { c.mutable_start_shift(); });
  log.at("2024-05-02T08:00:05Z");
  log.custom("sms", [](v1::Event& e) {
    auto* t = e.mutable_text();
    t->set_message_id("SM1");
    t->set_from("+447700900010");
    t->set_to("85258");
    t->set_body("can we talk");
    t->set_route(v1::SMS_KEYWORD);
  });
  log.at("2024-05-02T08:00:15Z");
  log.accept("amy", 2);
  log.at("2024-05-02T08:10:00Z");
  log.console("ben", [](v1::ConsoleCommand& c) { c.mutable_start_shift(); });
  log.at("2024-05-02T08:10:30Z");
  log.console("ben", [](v1::ConsoleCommand& c) { c.mutable_start_shift(); });
  log.at("2024-05-02T09:00:00Z");
  log.console("amy", [](v1::ConsoleCommand& c) {
    c.mutable_end_shift()->set_handover_to("ben");
    c.mutable_end_shift()->set_note("quiet night");
  });
  log.at("2024-05-02T09:00:30Z");
  log.console("ben",
              [](v1::ConsoleCommand& c) { c.mutable_acknowledge_handover()->set_handover_id(6); });
  log.at("2024-05-02T09:05:00Z");
  log.close("ben", 2, "02");
  log.at("2024-05-02T09:10:00Z");
  log.call("CA1", v1::CALL_OFFERED, v1::LOCAL_LINE, "north", "+447700900011");
  log.at("2024-05-02T09:10:20Z");
  log.accept("ben", 9);
  log.at("2024-05-02T09:12:00Z");
  log.call("CA1", v1::CALL_COMPLETED);
  log.at("2024-05-02T10:00:00Z");
  log.console("ben", [](v1::ConsoleCommand& c) { c.mutable_end_shift(); });
}

}  // namespace

TEST_CASE("shifts, handovers and each contact's answering shift for a log spanning two shifts") {
  temp_db db;
  shift_log_projection projection(server_settings());
  scripted_log log(db.path());
  two_shift_log(log);
  log.commit(&projection);
  const auto t = [](std::string_view iso) { return std::to_string(us(iso)); };

  CHECK(rows(db.path(),
             "SELECT shift_id, nurse, started_us, ended_us, handover_id FROM shifts "
             "ORDER BY shift_id",
             5) == "1|amy|" + t("2024-05-02T08:00:00Z") + "|" + t("2024-05-02T09:00:00Z") +
                       "|6\n"
                       "4|ben|" +
                       t("2024-05-02T08:10:00Z") + "|" + t("2024-05-02T10:00:00Z") + "|12\n");
  CHECK(rows(db.path(),
             "SELECT handover_id, from_nurse, to_nurse, shift_id, created_us, acknowledged_by, "
             "acknowledged_us, open_conversations, pending_callbacks, high_risk FROM handovers "
             "ORDER BY handover_id",
             10) == "6|amy|ben|1|" + t("2024-05-02T09:00:00Z") + "|ben|" +
                        t("2024-05-02T09:00:30Z") +
                        "|1|0|0\n"
                        "12|ben|NULL|4|" +
                        t("2024-05-02T10:00:00Z") + "|NULL|NULL|0|0|0\n");
  // The text was answered by amy on shift 1 and closed by ben on shift 4: it
  // belongs to the shift that answered it.
  CHECK(rows(db.path(),
             "SELECT contact_id, answered_by, shift_id FROM contact_timings ORDER BY contact_id",
             3) == "2|amy|1\n9|ben|4\n");
  CHECK(table_dump(db.path()) == replayed_dump(db.path()));

  SECTION("a catch-up over the same log writes the same rows") {
    temp_db behind;
    scripted_log again(behind.path());
    two_shift_log(again);
    again.commit();
    shift_log_projection late(server_settings());
    again.timer();
    again.commit(&late);
    const std::string shifts_sql =
        "SELECT shift_id, nurse, started_us, ended_us, handover_id FROM shifts ORDER BY shift_id";
    CHECK(rows(behind.path(), shifts_sql, 5) == rows(db.path(), shifts_sql, 5));
    const std::string handovers_sql =
        "SELECT handover_id, acknowledged_by, acknowledged_us, open_conversations FROM handovers "
        "ORDER BY handover_id";
    CHECK(rows(behind.path(), handovers_sql, 4) == rows(db.path(), handovers_sql, 4));
  }
}

TEST_CASE("a shift's KPIs cover its window and count its own nurse's answers") {
  core::engine engine(server_settings());
  temp_db db;
  scripted_log log(db.path());
  two_shift_log(log);
  log.commit();
  (void)crisisline::app::replay_into(db.path(), engine);
  const auto late = crisisline::app::parse_utc("2024-05-03T00:00:00Z").value();

  const auto first = core::kpi::shift_figures_of(engine, 1, late);
  REQUIRE(first);
  CHECK(first->span ==
        core::kpi::window{crisisline::app::parse_utc("2024-05-02T08:00:00Z").value(),
                          crisisline::app::parse_utc("2024-05-02T09:00:00Z").value()});
  CHECK(first->answered_by_nurse == 1);
  const auto r1 = core::kpi::compute_report(core::kpi::timings_of(engine), first->span);
  CHECK(r1.find(core::kpi::dimension::all, "all")->values.offered == 1);
  CHECK(r1.find(core::kpi::dimension::all, "all")->values.answered == 1);

  // ben held amy's conversation but did not answer it: only the call counts.
  const auto second = core::kpi::shift_figures_of(engine, 4, late);
  REQUIRE(second);
  CHECK(second->answered_by_nurse == 1);
  const auto r4 = core::kpi::compute_report(core::kpi::timings_of(engine), second->span);
  CHECK(r4.find(core::kpi::dimension::all, "all")->values.offered == 1);
  CHECK(r4.find(core::kpi::dimension::all, "all")->values.answered_within_20s == 1);

  CHECK_FALSE(core::kpi::shift_figures_of(engine, 2, late));
  CHECK_FALSE(core::kpi::shift_figures_of(engine, 5, late));
}

TEST_CASE("report --shift prints the shift's KPIs and refuses an unknown shift") {
  temp_db db;
  scripted_log log(db.path());
  two_shift_log(log);
  log.commit();
  crisisline::test::temp_dir scratch{"crisisline-shift"};
  const auto text = crisisline::report_test::run_binary(
      {"report", "--db", db.path().string(), "--shift", "4"}, scratch.path());
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("KPI report, 2024-05-02T08:10:00.000Z to "
                                       "2024-05-02T10:00:00.000Z"));
  CHECK_THAT(text.out, Catch::Contains("Shift 4, nurse ben, started 2024-05-02T08:10:00.000Z, "
                                       "ended 2024-05-02T10:00:00.000Z, handover 12"));
  CHECK_THAT(text.out, Catch::Contains("Answered by ben on this shift: 1"));

  const auto json = crisisline::report_test::run_binary(
      {"report", "--db", db.path().string(), "--shift", "1", "--format", "json"}, scratch.path());
  REQUIRE(json.exit_code == 0);
  CHECK_THAT(json.out, Catch::Contains("\"answered_by_nurse\":1"));
  CHECK_THAT(json.out, Catch::Contains("\"handover_id\":6"));

  const auto csv = crisisline::report_test::run_binary(
      {"report", "--db", db.path().string(), "--shift", "1", "--format", "csv"}, scratch.path());
  REQUIRE(csv.exit_code == 0);
  CHECK_THAT(csv.out, Catch::Contains(",shift,amy,answered_by_nurse,1\n"));

  const auto unknown = crisisline::report_test::run_binary(
      {"report", "--db", db.path().string(), "--shift", "2"}, scratch.path());
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("there is no shift 2"));
  const auto bad = crisisline::report_test::run_binary(
      {"report", "--db", db.path().string(), "--shift", "x1"}, scratch.path());
  CHECK(bad.exit_code == 2);
}
