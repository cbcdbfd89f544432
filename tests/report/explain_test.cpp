#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "scripted_log.hpp"
#include "temp_dir.hpp"

using namespace crisisline;
using report_test::run_binary;
namespace json = boost::json;

namespace {

// A morning on the line, 2024-05-01 (UTC). Seqs in brackets.
//  [3]  a 111 call from the north is offered to amy, who declines it [4];
//       ben is offered it and lets the offer time out [5]; cat signs on [6]
//       and takes it [8] (ben's late accept is refused [7]) after 1 min 40 s;
//       she triages it B [9], adds a note [10] and closes it, outcome 05 [11].
//  [12] a keyword text ("i took the lot") fires a risk rule to band A; amy
//       takes it [13] and replies [14].
//  [15] a local-line call is offered to cat, who does not answer; the caller
//       hangs up after 45 s [16]; callback 16 goes to ben when he is back [17]
//       and is made at 09:28:10 [18], closed [19].
struct morning {
  test::temp_dir dir{"crisisline-report"};
  std::filesystem::path db = dir / "crisisline.db";

  morning() {
    report_test::scripted_log log(db);
    log.at("2024-05-01T09:00:00Z");
    log.console("amy", [](v1::ConsoleCommand& c) { c.mutable_sign_on(); });
    log.console("ben", [](v1::ConsoleCommand& c) { c.mutable_sign_on(); });
    log.at("2024-05-01T09:01:00Z");
    log.call("CA1", v1::CALL_OFFERED, v1::NHS111_OPTION2, "north", "+447700900123");
    log.at("2024-05-01T09:01:10Z");
    log.console("amy", [](v1::ConsoleCommand& c) {
      c.mutable_decline()->set_contact_id(3);
      c.mutable_decline()->set_reason("finishing notes on the previous caller");
    });
    log.at("2024-05-01T09:01:50Z");
    log.timer();
    log.at("2024-05-01T09:02:30Z");
    log.console("cat", [](v1::ConsoleCommand& c) { c.mutable_sign_on(); });
    log.at("2024-05-01T09:02:35Z");
    log.console("ben", [](v1::ConsoleCommand& c) { c.mutable_accept()->set_contact_id(3); });
    log.at("2024-05-01T09:02:40Z");
    log.console("cat", [](v1::ConsoleCommand& c) { c.mutable_accept()->set_contact_id(3); });
    log.at("2024-05-01T09:03:00Z");
    log.console("cat", [](v1::ConsoleCommand& c) {
      c.mutable_set_triage()->set_contact_id(3);
      c.mutable_set_triage()->set_category(v1::TRIAGE_B);
      c.mutable_set_triage()->set_reason("recent self-harm, no supports");
    });
    log.at("2024-05-01T09:04:00Z");
    log.console("cat", [](v1::ConsoleCommand& c) {
      c.mutable_add_note()->set_contact_id(3);
      c.mutable_add_note()->set_text("Caller agreed a safety plan with sister");
    });
    log.at("2024-05-01T09:10:00Z");
    log.console("cat", [](v1::ConsoleCommand& c) {
      c.mutable_close()->set_contact_id(3);
      c.mutable_close()->set_outcome_code("05");
    });
    log.at("2024-05-01T09:12:00Z");
    log.keyword_text("SM1", "+447700900999", "i took the lot", "north");
    log.at("2024-05-01T09:12:05Z");
    log.console("amy", [](v1::ConsoleCommand& c) { c.mutable_accept()->set_contact_id(12); });
    log.at("2024-05-01T09:13:00Z");
    log.console("amy", [](v1::ConsoleCommand& c) {
      c.mutable_reply()->set_contact_id(12);
      c.mutable_reply()->set_body("We are sending help now");
      c.mutable_reply()->set_clinically_necessary(true);
    });
    log.at("2024-05-01T09:20:00Z");
    log.call("CA2", v1::CALL_OFFERED, v1::LOCAL_LINE, "south", "+447700900555");
    log.at("2024-05-01T09:20:45Z");
    log.call("CA2", v1::CALL_ABANDONED);
    log.at("2024-05-01T09:28:00Z");
    log.console("ben", [](v1::ConsoleCommand& c) {
      c.mutable_set_status()->set_status(v1::NURSE_AVAILABLE);
    });
    log.at("2024-05-01T09:28:10Z");
    log.console("ben", [](v1::ConsoleCommand& c) { c.mutable_accept()->set_contact_id(16); });
    log.at("2024-05-01T09:35:00Z");
    log.console("ben", [](v1::ConsoleCommand& c) {
      c.mutable_close()->set_contact_id(16);
      c.mutable_close()->set_outcome_code("02");
    });
    log.commit();
  }

  report_test::run_result run(std::vector<std::string> args) const {
    return run_binary(args, dir.path());
  }
  report_test::run_result explain(std::uint64_t id, const std::string& format = "text") const {
    return run({"explain", "contact", std::to_string(id), "--db", db.string(), "--format", format});
  }
};

// The timeline line for (seq, tag), e.g. "     4  2024-...  #3  declined  ...".
std::string line_of(const std::string& out, std::uint64_t seq, std::string_view what) {
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l)) {
    std::istringstream words(l);
    std::string s, time, contact, tag;
    words >> s >> time >> contact >> tag;
    if (s == std::to_string(seq) && tag == what) return l;
  }
  return {};
}

bool has(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("explain shows why a call waited: a decline, a timed-out offer, then an answer") {
  const morning m;
  const auto r = m.explain(3);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);

  CHECK(has(r.out, "Contact 3: call via nhs111_option2, area north, band B (set by nurse)"));
  CHECK(has(r.out, "Offers 3, declined 1, timed out 1"));

  const auto arrived = line_of(r.out, 3, "arrived");
  CHECK(has(arrived, "2024-05-01T09:01:00.000Z"));
  CHECK(has(arrived, "call arrived via nhs111_option2, area north"));
  CHECK(has(line_of(r.out, 3, "band"), "band set to C (High risk"));
  CHECK(has(line_of(r.out, 3, "queued"), "rank 1 of 1"));
  CHECK(has(line_of(r.out, 3, "queued"), "nurses signed on: 2 (2 free"));
  CHECK(has(line_of(r.out, 3, "offer"), "offered to nurse amy"));

  const auto declined = line_of(r.out, 4, "declined");
  CHECK(has(declined, "declined by nurse amy: finishing notes on the previous caller"));
  CHECK(has(line_of(r.out, 4, "offer"), "offered to nurse ben"));

  // The timeout is found when the next event (the timer at 09:01:50) is applied.
  const auto timeout = line_of(r.out, 5, "offer_timeout");
  CHECK(has(timeout, "2024-05-01T09:01:50.000Z"));
  CHECK(has(timeout,
            "offer to nurse ben timed out: not answered within 30 s (expired "
            "2024-05-01T09:01:40.000Z)"));

  CHECK(has(line_of(r.out, 6, "offer"), "offered to nurse cat"));
  CHECK(has(line_of(r.out, 7, "refused"), "nurse ben's accept_offer was refused"));
  CHECK(has(line_of(r.out, 8, "answered"), "answered by nurse cat after 1 min 40 s"));
  CHECK(has(line_of(r.out, 9, "band"), "band C -> B (Very high risk"));
  CHECK(has(line_of(r.out, 9, "band"), "set by nurse cat: recent self-harm, no supports"));
  // The supervisors were told as its wait passed its answer target.
  CHECK(has(r.out, "breach_100"));

  // The note by reference only: seq and length, never the words.
  CHECK(has(line_of(r.out, 10, "note"), "note by cat (seq 10, 39 characters)"));
  CHECK_FALSE(has(r.out, "safety plan"));
  CHECK(has(line_of(r.out, 11, "closed"), "closed after 7 min 20 s with nurse cat"));
  CHECK(has(line_of(r.out, 11, "outcome"),
            "outcome 05 (urgent referral for face-to-face assessment)"));
  CHECK_FALSE(has(r.out, "+44"));
}

TEST_CASE("explain shows the risk rule that raised a text, and messages only by reference") {
  const morning m;
  const auto r = m.explain(12);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(
      has(line_of(r.out, 12, "arrived"), "text conversation started via sms_keyword, area north"));
  CHECK(has(line_of(r.out, 12, "message"), "message 1 in (seq 12, 14 characters)"));
  bool raised = false;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);) {
    if (has(l, "-> A (") && has(l, "set by risk_rule act_in_progress")) raised = true;
  }
  CHECK(raised);
  CHECK(has(r.out, "emergency_services"));
  CHECK(has(line_of(r.out, 13, "answered"), "answered by nurse amy after 5 s"));
  CHECK(has(line_of(r.out, 14, "reply"),
            "reply by amy (seq 14, 23 characters, clinically necessary)"));
  CHECK_FALSE(has(r.out, "took the lot"));
  CHECK_FALSE(has(r.out, "sending help"));
  CHECK_FALSE(has(r.out, "+44"));
}

TEST_CASE("explain follows an abandoned call to its callback") {
  const morning m;
  const auto r = m.explain(15);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(has(r.out, "Also followed: contact 16"));
  CHECK(has(line_of(r.out, 15, "offer"), "offered to nurse cat"));
  CHECK(has(line_of(r.out, 16, "offer_timeout"), "offer to nurse cat timed out"));
  CHECK(has(line_of(r.out, 16, "hung_up"),
            "caller hung up before answer after 45 s (more than 30 s: counts against the "
            "abandonment standard)"));
  CHECK(has(line_of(r.out, 16, "arrived"), "#16"));
  CHECK(has(line_of(r.out, 16, "arrived"),
            "callback owed for contact 15 after the caller hung up before answer"));
  CHECK(has(line_of(r.out, 17, "offer"), "offered to nurse ben"));
  CHECK(has(line_of(r.out, 18, "answered"),
            "callback made by nurse ben, 7 min 25 s after it was owed (within the 10-minute "
            "standard)"));
  // The offer had timed out before the caller gave up: that comes first.
  CHECK(r.out.find("offer to nurse cat timed out") < r.out.find("caller hung up"));
  CHECK(has(line_of(r.out, 19, "outcome"), "outcome 02 (advice on call only)"));
}

TEST_CASE("explain --format json gives every line its seq and time") {
  const morning m;
  const auto r = m.explain(3, "json");
  REQUIRE(r.exit_code == 0);
  const auto doc = json::parse(r.out).as_object();
  CHECK(doc.at("contact").as_int64() == 3);
  CHECK(doc.at("band") == "B");
  CHECK(doc.at("outcome_code") == "05");
  CHECK(doc.at("answered") == "2024-05-01T09:02:40.000Z");
  CHECK(doc.at("declines").as_int64() == 1);
  const auto& tl = doc.at("timeline").as_array();
  REQUIRE(tl.size() > 10);
  bool saw_decline = false;
  for (const auto& v : tl) {
    const auto& e = v.as_object();
    CHECK(e.at("seq").as_int64() > 0);
    CHECK(e.at("at").as_string().starts_with("2024-05-01T09:"));
    if (e.at("what") == "declined") {
      saw_decline = true;
      CHECK(e.at("seq").as_int64() == 4);
    }
  }
  CHECK(saw_decline);
  CHECK_FALSE(has(r.out, "safety plan"));
}

TEST_CASE("explain of a contact that is not in the log fails clearly") {
  const morning m;
  const auto missing = m.explain(999);
  CHECK(missing.exit_code == 1);
  CHECK(has(missing.err, "no contact 999"));
  // Seq 1 is a sign-on, which is not a contact.
  CHECK(m.explain(1).exit_code == 1);
  const auto bad = m.run({"explain", "contact", "abc", "--db", m.db.string()});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("report prints the KPIs of the scripted morning from the log") {
  const morning m;
  SECTION("csv: one row per split and measure") {
    const auto r = m.run({"report", "--db", m.db.string(), "--from", "2024-05-01T09:00:00Z", "--to",
                          "2024-05-01T10:00:00Z", "--format", "csv"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.starts_with("from,to,dimension,group,measure,value\n"));
    const std::string w = "2024-05-01T09:00:00.000Z,2024-05-01T10:00:00.000Z,";
    // Contacts 3 (100 s), 12 (text, 5 s) and 15 (hung up after 45 s).
    CHECK(has(r.out, w + "all,all,offered,3\n"));
    CHECK(has(r.out, w + "all,all,answered,2\n"));
    CHECK(has(r.out, w + "all,all,answered_within_20s,1\n"));
    CHECK(has(r.out, w + "all,all,average_speed_to_answer_seconds,52.5000\n"));
    CHECK(has(r.out, w + "all,all,answer_time_p95_seconds,100.0000\n"));
    CHECK(has(r.out, w + "all,all,abandoned_after_30s_share,0.3333\n"));
    // Callback 16: hung up 09:20:45, made 09:28:10.
    CHECK(has(r.out, w + "all,all,callbacks_within_10min_share,1.0000\n"));
    CHECK(has(r.out, w + "route,sms_keyword,answered_within_20s_share,1.0000\n"));
    CHECK(has(r.out, w + "route,professional_line,average_speed_to_answer_seconds,\n"));
    CHECK(has(r.out, w + "band,A,offered,1\n"));
    CHECK(has(r.out, w + "area,south,abandoned_after_30s,1\n"));
  }
  SECTION("text: readable by a manager") {
    const auto r = m.run({"report", "--db", m.db.string(), "--from", "2024-05-01T09:00Z", "--to",
                          "2024-05-01T10:00Z"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "KPI report, 2024-05-01T09:00:00.000Z to 2024-05-01T10:00:00.000Z (UTC)"));
    CHECK(has(r.out, "up to seq 19"));
    CHECK(has(r.out, "Average speed to answer"));
    CHECK(has(r.out, "52.5 s"));
    CHECK(has(r.out, "33.3% of offered"));
    CHECK(has(r.out, "By route of access"));
  }
  SECTION("json") {
    const auto r = m.run({"report", "--db", m.db.string(), "--from", "2024-05-01", "--to",
                          "2024-05-02", "--format", "json"});
    REQUIRE(r.exit_code == 0);
    const auto doc = json::parse(r.out).as_object();
    const auto& all = doc.at("splits").as_array().at(0).as_object();
    CHECK(all.at("group") == "all");
    CHECK(all.at("offered").to_number<std::uint64_t>() == 3);
    CHECK(all.at("sl_20s").as_double() == Approx(0.5));
  }
  SECTION("monthly return as CSV") {
    const auto r =
        m.run({"report", "--db", m.db.string(), "--monthly", "2024-05", "--format", "csv"});
    REQUIRE(r.exit_code == 0);
    CHECK(has(r.out, "2024-05-01T00:00:00.000Z,2024-06-01T00:00:00.000Z,all,all,offered,3\n"));
    const auto april =
        m.run({"report", "--db", m.db.string(), "--monthly", "2024-04", "--format", "csv"});
    CHECK(has(april.out, "2024-04-01T00:00:00.000Z,2024-05-01T00:00:00.000Z,all,all,offered,0\n"));
  }
}

TEST_CASE("report refuses what it cannot do with a clear message and exit 2") {
  const morning m;
  const auto shift = m.run({"report", "--db", m.db.string(), "--shift", "7"});
  CHECK(shift.exit_code == 2);
  CHECK(has(shift.err, "there is no shift 7"));
  const auto bad_time = m.run(
      {"report", "--db", m.db.string(), "--from", "yesterday", "--to", "2024-05-02T00:00:00Z"});
  CHECK(bad_time.exit_code == 2);
  CHECK(has(bad_time.err, "--from is not an ISO 8601 UTC time"));
  const auto backwards =
      m.run({"report", "--db", m.db.string(), "--from", "2024-05-02", "--to", "2024-05-01"});
  CHECK(backwards.exit_code == 2);
  const auto no_window = m.run({"report", "--db", m.db.string()});
  CHECK(no_window.exit_code == 2);
  const auto format =
      m.run({"report", "--db", m.db.string(), "--monthly", "2024-05", "--format", "xml"});
  CHECK(format.exit_code == 2);
  const auto no_db =
      m.run({"report", "--db", (m.dir / "nope.db").string(), "--monthly", "2024-05"});
  CHECK(no_db.exit_code == 1);
  CHECK_FALSE(std::filesystem::exists(m.dir / "nope.db"));
}
