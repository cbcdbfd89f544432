#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace crisisline::core;
using namespace crisisline::core::dispatch;
using namespace crisisline::core::dispatch::testing;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

std::vector<std::string> order(const recommendation& r) {
  std::vector<std::string> out;
  for (const auto& c : r.eligible) out.push_back(c.call_sign);
  return out;
}

std::vector<std::string> why_excluded(const recommendation& r, const std::string& call_sign) {
  for (const auto& e : r.excluded)
    if (e.call_sign == call_sign) return e.reasons;
  return {};
}

bool is_eligible(const recommendation& r, const std::string& call_sign) {
  for (const auto& c : r.eligible)
    if (c.call_sign == call_sign) return true;
  return false;
}

incident_id raise_at(harness& h, std::optional<geo_point> where, area_id area = {},
                     std::vector<std::string> skills = {},
                     std::optional<police_request> police = std::nullopt) {
  const auto fx = h.ok(raise_incident{.contact = contact_id{1},
                                      .coordinates = where,
                                      .address = "somewhere",
                                      .area = std::move(area),
                                      .required_skills = std::move(skills),
                                      .category = triage_category::b,
                                      .police = std::move(police),
                                      .note = {},
                                      .monitor_only = false},
                       nurse());
  return all_of_type<incident_raised>(fx).at(0).incident;
}

// A replacement estimator: fixed minutes per unit, whatever the distance.
class table_eta final : public eta_estimator {
 public:
  explicit table_eta(std::map<std::string, int> by_unit) : minutes_(std::move(by_unit)) {}
  std::optional<duration> estimate(const unit_config& u, const geo_point&,
                                   const geo_point&) const override {
    const auto it = minutes_.find(u.id.value());
    if (it == minutes_.end()) return std::nullopt;
    return std::chrono::duration_cast<duration>(minutes{it->second});
  }

 private:
  std::map<std::string, int> minutes_;
};

}  // namespace

TEST_CASE("haversine distance matches known distances") {
  CHECK(haversine_km({51.5074, -0.1278}, {48.8566, 2.3522}) == Approx(343.5).margin(1.0));
  CHECK(haversine_km(portsmouth, portsmouth) == 0.0);
  CHECK(haversine_km(portsmouth, cosham) == Approx(3.2).margin(0.1));
}

TEST_CASE("straight-line ETA is distance over speed, per unit if configured") {
  const straight_line_eta eta{40.0};
  unit_config u;
  // 3.2 km at 40 km/h is about 4.8 minutes.
  const auto t = eta.estimate(u, portsmouth, cosham);
  REQUIRE(t);
  CHECK(std::chrono::duration_cast<std::chrono::seconds>(*t).count() == Approx(288).margin(6));
  CHECK(describe_eta(*t) == "5 min");
  u.speed_kmh = 80.0;
  CHECK(describe_eta(*eta.estimate(u, portsmouth, cosham)) == "3 min");
  CHECK(describe_eta(duration::zero()) == "1 min");
}

TEST_CASE("eligible units are ranked by ETA, each with its reasons") {
  harness h;
  h.now = utc(18, 30);
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  h.sign_on("mhrc3");
  const auto inc = raise_at(h, cosham, {}, {"mh_paramedic"});
  const auto rec = *h.board.recommend_for(inc, h.now);
  CHECK(order(rec) == std::vector<std::string>{"MHRC1", "MHRC2", "MHRC3"});
  CHECK(rec.excluded.empty());
  CHECK(rec.eligible[0].reasons ==
        std::vector<std::string>{"available", "has mh_paramedic", "ETA 5 min (3.2 km from base)"});
  CHECK(rec.eligible[1].reasons == std::vector<std::string>{"available", "has mh_paramedic",
                                                            "on shift 13:00-01:00",
                                                            "ETA 38 min (24.8 km from base)"});
  CHECK(*rec.eligible[0].eta < *rec.eligible[1].eta);
  CHECK(*rec.eligible[1].eta < *rec.eligible[2].eta);
  CHECK(rec.eligible[1].distance_km == Approx(24.8).margin(0.1));
}

TEST_CASE("a unit's last reported location beats its base") {
  harness h;
  h.sign_on("mhrc1");
  h.ok(
      crew_sign_on{
          .unit = unit_id{"mhrc2"}, .crew = {"x"}, .skills = std::nullopt, .location = cosham},
      crew_of("mhrc2"));
  const auto inc = raise_at(h, cosham);
  const auto rec = *h.board.recommend_for(inc, h.now);
  CHECK(order(rec).at(0) == "MHRC2");
  CHECK(rec.eligible[0].reasons.back() == "ETA 1 min (0.0 km from last reported location)");
}

TEST_CASE("units lacking a required skill are excluded with the skill named") {
  harness h;
  h.now = utc(18, 30);
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  h.sign_on("mhrc3");
  const auto inc =
      raise_at(h, cosham, {}, {"mh_nurse"},
               police_request{.reason = police_reason::risk_to_life, .detail = "knife"});
  const auto rec = *h.board.recommend_for(inc, h.now);
  CHECK(order(rec) == std::vector<std::string>{"MHRC2"});
  CHECK(why_excluded(rec, "MHRC1") == std::vector<std::string>{"lacks police"});
  CHECK(why_excluded(rec, "MHRC3") == std::vector<std::string>{"lacks mh_nurse, police"});
}

TEST_CASE("skills given at sign-on replace the configured ones for the shift") {
  harness h;
  h.ok(crew_sign_on{.unit = unit_id{"mhrc2"},
                    .crew = {"para", "nurse"},
                    .skills = std::vector<std::string>{"mh_paramedic", "mh_nurse"}},
       crew_of("mhrc2"));
  const auto inc = raise_at(h, cosham, {}, {},
                            police_request{.reason = police_reason::crime, .detail = "assault"});
  CHECK(h.get(inc).state == incident_state::queued);
  CHECK(why_excluded(*h.board.recommend_for(inc, h.now), "MHRC2") ==
        std::vector<std::string>{"lacks police"});
  CHECK(h.run(
             crew_sign_on{
                 .unit = unit_id{"mhrc1"}, .crew = {}, .skills = std::vector<std::string>{"pilot"}},
             crew_of("mhrc1"))
            .reason == "unknown skill \"pilot\"");
}

TEST_CASE("shift windows that cross midnight: 13:00-01:00") {
  harness h;
  h.sign_on("mhrc2");
  const auto inc = raise_at(h, cosham);
  const auto eligible_at = [&](timestamp t) {
    return is_eligible(*h.board.recommend_for(inc, t), "MHRC2");
  };
  CHECK_FALSE(eligible_at(utc(12, 59)));
  CHECK(eligible_at(utc(13, 0)));
  CHECK(eligible_at(utc(23, 59)));
  // Past midnight, the next calendar day, still inside.
  CHECK(eligible_at(utc(24, 0)));
  CHECK(eligible_at(utc(24, 59)));
  CHECK_FALSE(eligible_at(utc(25, 0)));
  CHECK(why_excluded(*h.board.recommend_for(inc, utc(25, 0)), "MHRC2") ==
        std::vector<std::string>{"off shift (runs 13:00-01:00)"});
}

TEST_CASE("shift windows are read in the configured local time") {
  auto s = three_units();
  s.utc_offset = minutes{60};
  harness h{s};
  h.sign_on("mhrc2");
  const auto inc = raise_at(h, cosham);
  // 12:30 UTC is 13:30 local (BST): on shift. 00:30 UTC is 01:30 local: off.
  CHECK(is_eligible(*h.board.recommend_for(inc, utc(12, 30)), "MHRC2"));
  CHECK_FALSE(is_eligible(*h.board.recommend_for(inc, utc(24, 30)), "MHRC2"));
  CHECK(local_minute_of_day(utc(23, 30), minutes{60}) == 30);
  CHECK(local_minute_of_day(utc(0, 30), minutes{-60}) == 23 * 60 + 30);
}

TEST_CASE("shift window arithmetic") {
  CHECK(contains(shift_hours(13, 0, 1, 0), 0));
  CHECK_FALSE(contains(shift_hours(13, 0, 1, 0), 60));
  CHECK(contains(shift_hours(8, 0, 20, 0), 8 * 60));
  CHECK_FALSE(contains(shift_hours(8, 0, 20, 0), 20 * 60));
  CHECK(contains(shift_hours(0, 0, 24, 0), 1439));
  CHECK(describe(shift_hours(18, 0, 2, 0)) == "18:00-02:00");
}

TEST_CASE("other areas are excluded unless configured otherwise") {
  auto s = three_units();
  s.allow_other_areas = false;
  harness h{s};
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto inc = raise_at(h, cosham, area_id{"portsmouth"});
  auto rec = *h.board.recommend_for(inc, h.now);
  CHECK(order(rec) == std::vector<std::string>{"MHRC1"});
  CHECK(why_excluded(rec, "MHRC2") ==
        std::vector<std::string>{"area southampton, incident is in portsmouth"});

  harness open{three_units()};
  open.sign_on("mhrc1");
  open.sign_on("mhrc2");
  const auto inc2 = raise_at(open, cosham, area_id{"portsmouth"});
  rec = *open.board.recommend_for(inc2, open.now);
  CHECK(order(rec) == std::vector<std::string>{"MHRC1", "MHRC2"});
  CHECK(rec.eligible[1].reasons.at(2) == "from another area (southampton)");
}

TEST_CASE("a unit with no area is a regional one and serves every area") {
  auto s = three_units();
  s.allow_other_areas = false;
  s.units[1].area = area_id{};
  harness h{s};
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto inc = raise_at(h, cosham, area_id{"portsmouth"});
  const auto rec = *h.board.recommend_for(inc, h.now);
  CHECK(order(rec) == std::vector<std::string>{"MHRC1", "MHRC2"});
  CHECK(rec.eligible[1].reasons.at(2) == "regional unit");
}

TEST_CASE("units not signed on, busy or unavailable are excluded, with every reason") {
  harness h;
  h.sign_on("mhrc1");
  h.sign_on("mhrc2");
  const auto first = raise_at(h, cosham);
  h.assign(first, "mhrc1");
  h.status("mhrc2", unit_state::unavailable);
  const auto second = raise_at(h, cosham, {}, {"camhs"});
  const auto rec = *h.board.recommend_for(second, utc(15));
  CHECK(rec.eligible.empty());
  CHECK(why_excluded(rec, "MHRC1") ==
        std::vector<std::string>{"busy: assigned for incident 1", "lacks camhs"});
  CHECK(why_excluded(rec, "MHRC2") ==
        std::vector<std::string>{"unavailable (meal)", "lacks camhs"});
  CHECK(why_excluded(rec, "MHRC3") ==
        std::vector<std::string>{"not signed on", "off shift (runs 18:00-02:00)"});
}

TEST_CASE("the ETA estimator is replaceable and drives the ranking") {
  auto eta = std::make_shared<table_eta>(std::map<std::string, int>{{"mhrc1", 30}, {"mhrc2", 7}});
  dispatch_board board{three_units(), eta};
  const auto t = utc(14);
  REQUIRE(board.apply(crew_sign_on{.unit = unit_id{"mhrc1"}}, dispatcher(), t).accepted);
  REQUIRE(board.apply(crew_sign_on{.unit = unit_id{"mhrc2"}}, dispatcher(), t).accepted);
  const auto r = board.apply(raise_incident{.contact = contact_id{1},
                                            .coordinates = cosham,
                                            .address = {},
                                            .area = {},
                                            .required_skills = {},
                                            .category = triage_category::c,
                                            .police = std::nullopt,
                                            .note = {},
                                            .monitor_only = false},
                             nurse(), t);
  REQUIRE(r.accepted);
  const auto rec = all_of_type<recommendation_made>(r.effects).at(0).rec;
  CHECK(order(rec) == std::vector<std::string>{"MHRC2", "MHRC1"});
  CHECK(rec.eligible[0].reasons.back() == "ETA 7 min (24.8 km from base)");
}

TEST_CASE("without coordinates every eligible unit is listed, ETA unknown, by call sign") {
  harness h;
  h.sign_on("mhrc2");
  h.sign_on("mhrc1");
  const auto inc = raise_at(h, std::nullopt);
  const auto rec = *h.board.recommend_for(inc, h.now);
  CHECK(order(rec) == std::vector<std::string>{"MHRC1", "MHRC2"});
  CHECK_FALSE(rec.eligible[0].eta.has_value());
  CHECK(rec.eligible[0].reasons.back() == "ETA unknown: incident has no coordinates");
  // The nurse is told the unit is assigned, without a made-up ETA.
  CHECK(nurse_texts(h.assign(inc, "mhrc1"), contact_id{1}) ==
        std::vector<std::string>{"Unit MHRC1 assigned"});
}

TEST_CASE("recommend is a query: the answer is an effect and nothing changes") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = raise_at(h, cosham);
  const auto before = h.board.dump();
  const auto fx = h.ok(recommend{.incident = inc}, nurse());
  const auto rec = all_of_type<recommendation_made>(fx);
  REQUIRE(rec.size() == 1);
  CHECK(order(rec[0].rec) == std::vector<std::string>{"MHRC1"});
  CHECK(fx.size() == 1);
  CHECK(h.run(recommend{.incident = inc}, crew_of("mhrc1")).kind == rejection::forbidden);
  CHECK(h.run(recommend{.incident = incident_id{99}}, nurse()).kind == rejection::not_found);
  // Only the board's clock moved.
  CHECK(h.board.dump().substr(h.board.dump().find('\n')) == before.substr(before.find('\n')));
}

TEST_CASE("assigning a unit the recommendation would exclude is allowed but flagged") {
  harness h;
  h.sign_on("mhrc1");
  const auto inc = raise_at(h, cosham, {}, {},
                            police_request{.reason = police_reason::crime, .detail = "assault"});
  const auto fx = h.assign(inc, "mhrc1");
  const auto n = notices(fx, notice_kind::unit_not_recommended);
  REQUIRE(n.size() == 1);
  CHECK(n[0].text ==
        "MHRC1 was assigned to incident 1 although it would not be recommended: lacks police;");
}
