#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "../core/harness.hpp"
#include "app/report_endpoints.hpp"
#include "app/report_format.hpp"
#include "net/router.hpp"
#include "token_authenticator.hpp"

using namespace crisisline;
using app::iso8601;
using app::parse_utc;
namespace json = boost::json;

TEST_CASE("report windows are read as ISO 8601 UTC") {
  CHECK(iso8601(parse_utc("2024-05-01T09:30:15Z").value()) == "2024-05-01T09:30:15.000Z");
  CHECK(iso8601(parse_utc("2024-05-01T09:30Z").value()) == "2024-05-01T09:30:00.000Z");
  CHECK(iso8601(parse_utc("2024-05-01").value()) == "2024-05-01T00:00:00.000Z");
  CHECK(iso8601(parse_utc("2024-05-01T09:30:15.250Z").value()) == "2024-05-01T09:30:15.250Z");
  CHECK(iso8601(parse_utc("2024-05-01T09:30:15+00:00").value()) == "2024-05-01T09:30:15.000Z");
  // Local times are refused rather than silently shifted by an hour in summer.
  CHECK_FALSE(parse_utc("2024-05-01T09:30:15+01:00"));
  CHECK_FALSE(parse_utc("2024-05-01T09:30:15"));
  CHECK_FALSE(parse_utc("2024-02-30"));
  CHECK_FALSE(parse_utc("2024-05-01T24:00Z"));
  CHECK_FALSE(parse_utc("yesterday"));
  CHECK_FALSE(parse_utc(""));
}

TEST_CASE("a monthly return covers the calendar month, across a year end and a leap day") {
  const auto dec = app::month_window("2023-12").value();
  CHECK(iso8601(dec.from) == "2023-12-01T00:00:00.000Z");
  CHECK(iso8601(dec.to) == "2024-01-01T00:00:00.000Z");
  const auto feb = app::month_window("2024-02").value();
  CHECK(feb.to - feb.from == std::chrono::hours{24 * 29});
  CHECK_FALSE(app::month_window("2024-13"));
  CHECK_FALSE(app::month_window("2024-5"));
}

namespace {

struct live {
  core::testing::harness h;
  test::token_authenticator auth;
  net::router routes;

  live() {
    auth.add("s3cret", app::principal{.id = "sam", .role = app::staff_role::supervisor});
    auth.add("nurse", app::principal{.id = "nina", .role = app::staff_role::nurse});
    routes.add("GET", "/v1/reports/kpi",
               app::guarded(auth, {app::staff_role::supervisor, app::staff_role::admin},
                            app::kpi_report(h.eng, [this] { return h.now; })));
    h.now = parse_utc("2024-05-01T09:00:00Z").value();
    h.call("CA1", "+447700900001", "north");
    h.advance(core::seconds(12));
    h.call_status_of("CA1", core::call_status::answered, "pbx-agent");
    h.advance(core::seconds(60));
    h.call("CA2", "+447700900002", "south");
    h.advance(core::seconds(45));
    h.call_status_of("CA2", core::call_status::abandoned);
  }

  net::http_response get(std::string target, std::string token = "s3cret") {
    net::http_request req;
    req.method = "GET";
    const auto q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
    std::optional<net::http_response> out;
    routes.dispatch(std::move(req), [&](net::http_response r) { out = std::move(r); });
    REQUIRE(out.has_value());
    return *out;
  }
};

}  // namespace

TEST_CASE("supervisors get the KPIs over HTTP from the live state") {
  live l;
  SECTION("json by default, with percent-encoded times") {
    const auto r = l.get("/v1/reports/kpi?from=2024-05-01T09%3A00%3A00Z&to=2024-05-01T10:00:00Z");
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/json");
    const auto doc = json::parse(r.body).as_object();
    CHECK(doc.at("from") == "2024-05-01T09:00:00.000Z");
    const auto& all = doc.at("splits").as_array().at(0).as_object();
    CHECK(all.at("offered").to_number<std::uint64_t>() == 2);
    CHECK(all.at("answered_within_20s").to_number<std::uint64_t>() == 1);
    CHECK(all.at("average_speed_to_answer_seconds").as_double() == Approx(12));
    CHECK(all.at("abandoned_after_30s_share").as_double() == Approx(0.5));
    CHECK(all.at("callbacks_offered").to_number<std::uint64_t>() == 1);
    // The callback is still waiting: offered, not made.
    CHECK(all.at("callbacks_within_10min_share").as_double() == Approx(0));
    CHECK(doc.at("source").as_string().starts_with("live state"));
  }
  SECTION("csv for a month") {
    const auto r = l.get("/v1/reports/kpi?month=2024-05&format=csv");
    REQUIRE(r.status == 200);
    CHECK(r.content_type.starts_with("text/csv"));
    CHECK(r.body.find("all,all,offered,2\n") != std::string::npos);
  }
  SECTION("a shift: its window up to now while it runs, with its nurse's own answers") {
    l.h.advance(core::seconds(60));
    (void)l.h.console("omar", core::start_shift{});
    const auto shift = l.h.eng.stats().last_seq;
    // The callback owed to CA2's caller is offered to omar at once; he makes it.
    const auto offer = l.h.nurse_of("omar").offered_contact;
    REQUIRE(offer.has_value());
    l.h.advance(core::seconds(8));
    (void)l.h.accept("omar", offer->value());
    l.h.advance(core::seconds(130));
    const auto r = l.get("/v1/reports/kpi?shift=" + std::to_string(shift));
    REQUIRE(r.status == 200);
    const auto doc = json::parse(r.body).as_object();
    CHECK(doc.at("from").as_string() == iso8601(l.h.now - core::seconds(138)).c_str());
    CHECK(doc.at("to").as_string() == iso8601(l.h.now).c_str());
    const auto& s = doc.at("shift").as_object();
    CHECK(s.at("nurse") == "omar");
    CHECK(s.at("ended").is_null());
    CHECK(s.at("answered_by_nurse").to_number<std::uint64_t>() == 1);
    // CA1 and CA2, and the callback's request, came before the shift.
    const auto& all = doc.at("splits").as_array().at(0).as_object();
    CHECK(all.at("offered").to_number<std::uint64_t>() == 0);
    CHECK(all.at("callbacks_offered").to_number<std::uint64_t>() == 0);

    const auto unknown = l.get("/v1/reports/kpi?shift=999");
    CHECK(unknown.status == 404);
    CHECK(json::parse(unknown.body).at("error") == "unknown_shift");
    CHECK(l.get("/v1/reports/kpi?shift=-4").status == 400);
  }
  SECTION("errors") {
    CHECK(l.get("/v1/reports/kpi?from=2024-05-01", "").status == 401);
    CHECK(l.get("/v1/reports/kpi?from=2024-05-01", "wrong").status == 401);
    const auto nurse = l.get("/v1/reports/kpi?month=2024-05", "nurse");
    CHECK(nurse.status == 403);
    CHECK(json::parse(nurse.body).at("detail") ==
          "the nurse role may not use this; it is for: supervisor, admin");
    const auto no_to = l.get("/v1/reports/kpi?from=2024-05-01");
    CHECK(no_to.status == 400);
    CHECK(json::parse(no_to.body).at("error") == "invalid_window");
    CHECK(l.get("/v1/reports/kpi?from=2024-05-02&to=2024-05-01").status == 400);
    const auto fmt = l.get("/v1/reports/kpi?month=2024-05&format=xml");
    CHECK(fmt.status == 400);
    CHECK(json::parse(fmt.body).at("error") == "invalid_format");
  }
}

TEST_CASE("the text report leads with the NHS figures and their standards") {
  core::kpi::report r = core::kpi::compute_report(
      {}, {parse_utc("2024-05-01").value(), parse_utc("2024-05-02").value()});
  const std::string text = app::render_text(r, {.description = "event log x up to seq 0"});
  CHECK(text.find("Answered within 60 s") != std::string::npos);
  CHECK(text.find("NHS 111 standard: 95% or more") != std::string::npos);
  CHECK(text.find("within 30 s (likely misdial)") != std::string::npos);
  CHECK(text.find("n/a") != std::string::npos);
  CHECK(text.find("By route of access") != std::string::npos);
}
