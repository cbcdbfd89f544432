#include <catch2/catch.hpp>

#include "../core/harness.hpp"
#include "app/report_format.hpp"
#include "core/kpi.hpp"

using namespace crisisline::core;
using crisisline::core::testing::harness;
namespace kpi = crisisline::core::kpi;

namespace {

// 2024-05-01T09:00:00Z.
const timestamp nine = crisisline::app::parse_utc("2024-05-01T09:00:00Z").value();

timestamp at(int h, int m, int s) {
  return nine + std::chrono::hours{h - 9} + std::chrono::minutes{m} + std::chrono::seconds{s};
}

settings test_settings() {
  settings s;
  // Long offers and no wrap-up, so answers happen exactly when the log says.
  s.queue.offer_timeout = std::chrono::hours{1};
  s.queue.wrap_up = duration::zero();
  return s;
}

// A hand-built log where every figure is known in advance. Times are 2024-05-01.
//
// | contact | offered  | route        | area  | outcome                                   |
// |---------|----------|--------------|-------|-------------------------------------------|
// | c1      | 09:00:00 | local line   | north | answered 20 s (exactly)                   |
// | c2      | 09:05:00 | 111 option 2 | north | answered 60 s (exactly)                   |
// | c3      | 09:10:00 | 111 option 2 | south | answered 61 s (by the PBX, not a nurse)   |
// | c4      | 09:15:00 | 111 option 2 | south | hung up at 30 s; callback made at 9:59    |
// | c5      | 09:30:00 | 111 option 2 | north | hung up at 31 s; callback made at 10:01   |
// | text    | 09:41:00 | SMS keyword  | north | answered 40 s                             |
// | c6      | 09:45:00 | professional | north | pressed 1 (band A), answered 5 s, then    |
// |         |          |              |       | transferred to another nurse              |
// | c7      | 09:59:50 | local line   | east  | answered 10:00:30 (40 s): spans windows   |
// | c8      | 10:10:00 | 111 option 2 | north | answered 10 s                             |
// | c9      | 10:20:00 | 111 option 2 | south | still waiting                             |
// | c10     | 10:30:00 | 111 option 2 | south | lost by the telephony platform at 45 s;   |
// |         |          |              |       | its callback is not made                  |
struct scenario {
  harness h{test_settings()};
  std::uint64_t c1 = 0, c2 = 0, c3 = 0, c4 = 0, cb4 = 0, c5 = 0, cb5 = 0, text = 0, c6 = 0, c7 = 0,
                c8 = 0, c9 = 0, c10 = 0;

  std::uint64_t offered(timestamp t, const std::string& call_id, route_of_access route,
                        const std::string& area, const std::string& from,
                        const std::string& digits = "") {
    h.now = t;
    h.push(call_event{.call_id = call_id,
                      .status = call_status::offered,
                      .from = from,
                      .route = route,
                      .area = area,
                      .digits = digits});
    return h.seq;
  }
  // A nurse signs on (the single waiting contact is offered to them) and accepts.
  void answer(timestamp t, const std::string& nurse, std::uint64_t contact) {
    h.now = t;
    h.sign_on(nurse);
    REQUIRE(testing::has_offer(h.last, contact, nurse));
    h.accept(nurse, contact);
    REQUIRE(h.get(contact).answered_time == t);
  }
  void finish(timestamp t, const std::string& nurse, std::uint64_t contact) {
    h.now = t;
    h.close(nurse, contact);
    h.console(nurse, nurse_sign_off{});
    REQUIRE_FALSE(testing::rejected(h.last));
  }
  void status(timestamp t, const std::string& call_id, call_status s,
              const std::string& nurse = "") {
    h.now = t;
    h.call_status_of(call_id, s, nurse);
  }

  scenario() {
    c1 = offered(at(9, 0, 0), "CA1", route_of_access::local_line, "north", "+447700900001");
    answer(at(9, 0, 20), "amy", c1);
    finish(at(9, 3, 0), "amy", c1);

    c2 = offered(at(9, 5, 0), "CA2", route_of_access::nhs111_option2, "north", "+447700900002");
    answer(at(9, 6, 0), "ben", c2);
    finish(at(9, 8, 0), "ben", c2);

    c3 = offered(at(9, 10, 0), "CA3", route_of_access::nhs111_option2, "south", "+447700900003");
    status(at(9, 11, 1), "CA3", call_status::answered, "pbx-agent-7");
    status(at(9, 12, 0), "CA3", call_status::completed);

    c4 = offered(at(9, 15, 0), "CA4", route_of_access::nhs111_option2, "south", "+447700900004");
    status(at(9, 15, 30), "CA4", call_status::abandoned);
    cb4 = h.seq;
    REQUIRE(h.get(cb4).callback_of == contact_id{c4});
    answer(at(9, 25, 29), "cat", cb4);
    finish(at(9, 27, 0), "cat", cb4);

    c5 = offered(at(9, 30, 0), "CA5", route_of_access::nhs111_option2, "north", "+447700900005");
    status(at(9, 30, 31), "CA5", call_status::abandoned);
    cb5 = h.seq;
    answer(at(9, 40, 32), "dan", cb5);
    finish(at(9, 40, 50), "dan", cb5);

    h.now = at(9, 41, 0);
    text = h.keyword("+447700900100", "hello, can someone talk", "north");
    answer(at(9, 41, 40), "eve", text);
    finish(at(9, 44, 0), "eve", text);

    c6 = offered(at(9, 45, 0), "CA6", route_of_access::professional_line, "north", "+447700900006",
                 "1");
    REQUIRE(h.get(c6).band == triage_category::a);
    answer(at(9, 45, 5), "fay", c6);
    h.now = at(9, 47, 0);
    h.sign_on("gus");
    h.now = at(9, 48, 0);
    h.console("fay", transfer{.contact_id = c6, .to_nurse_id = "gus"});
    REQUIRE(h.get(c6).nurse == nurse_id{"gus"});
    h.console("fay", nurse_sign_off{});
    finish(at(9, 55, 0), "gus", c6);

    c7 = offered(at(9, 59, 50), "CA7", route_of_access::local_line, "east", "+447700900007");
    answer(at(10, 0, 30), "hal", c7);
    finish(at(10, 5, 0), "hal", c7);

    c8 = offered(at(10, 10, 0), "CA8", route_of_access::nhs111_option2, "north", "+447700900008");
    answer(at(10, 10, 10), "ivy", c8);
    finish(at(10, 12, 0), "ivy", c8);

    c9 = offered(at(10, 20, 0), "CA9", route_of_access::nhs111_option2, "south", "+447700900009");
    c10 = offered(at(10, 30, 0), "CA10", route_of_access::nhs111_option2, "south", "+447700900010");
    status(at(10, 30, 45), "CA10", call_status::failed);
    h.now = at(10, 59, 0);
    h.tick();
  }

  [[nodiscard]] kpi::report report(timestamp from, timestamp to) const {
    return kpi::compute_report(kpi::timings_of(h.eng), kpi::window{from, to});
  }
};

const kpi::figures& of(const kpi::report& r, kpi::dimension d, std::string_view group) {
  const kpi::split* s = r.find(d, group);
  INFO("split " << kpi::to_string(d) << "=" << group);
  REQUIRE(s != nullptr);
  return s->values;
}

double secs(const std::optional<duration>& d) {
  REQUIRE(d.has_value());
  return std::chrono::duration<double>(*d).count();
}

}  // namespace

TEST_CASE("KPIs for a window match figures worked out by hand from the log") {
  const scenario s;
  const auto r = s.report(at(9, 0, 0), at(10, 0, 0));
  const kpi::figures& f = of(r, kpi::dimension::all, "all");

  // c1-c7 and the text; c8-c10 belong to the next window.
  CHECK(f.offered == 8);
  // c1 20 s, c2 60 s, c3 61 s, text 40 s, c6 5 s, c7 40 s.
  CHECK(f.answered == 6);
  // Exactly 20 s counts as within 20 s; exactly 60 s as within 60 s; 61 s is neither.
  CHECK(f.answered_within_20s == 2);
  CHECK(f.answered_within_60s == 5);
  CHECK(f.answered_within_20s_share == Approx(2.0 / 6));
  CHECK(f.answered_within_60s_share == Approx(5.0 / 6));
  CHECK(secs(f.average_speed_to_answer) == Approx(226.0 / 6));
  // Nearest rank of [5, 20, 40, 40, 60, 61]: the 6th.
  CHECK(secs(f.answer_time_p95) == Approx(61));
  // Hanging up at exactly 30 s is a likely misdial; at 31 s it counts.
  CHECK(f.abandoned == 2);
  CHECK(f.abandoned_within_30s == 1);
  CHECK(f.abandoned_after_30s == 1);
  CHECK(f.abandoned_after_30s_share == Approx(1.0 / 8));
  CHECK(f.lost == 0);
  CHECK(f.unanswered == 0);
  CHECK(f.sl == Approx(2.0 / 6));
  // Neither hang-up was within 20 s: (2 + 0) / (6 + 2).
  CHECK(f.sl2 == Approx(2.0 / 8));
  // Callback made 9 min 59 s after the hang-up counts; 10 min 1 s does not.
  CHECK(f.callbacks_offered == 2);
  CHECK(f.callbacks_made == 2);
  CHECK(f.callbacks_within_10min == 1);
  CHECK(f.callbacks_within_10min_share == Approx(0.5));
}

TEST_CASE("KPIs are split by route of access, area, triage band and channel") {
  const scenario s;
  const auto r = s.report(at(9, 0, 0), at(10, 0, 0));

  const auto& nhs111 = of(r, kpi::dimension::route, "nhs111_option2");
  CHECK(nhs111.offered == 4);
  CHECK(nhs111.answered == 2);
  CHECK(nhs111.answered_within_20s == 0);
  CHECK(nhs111.answered_within_60s == 1);
  CHECK(secs(nhs111.average_speed_to_answer) == Approx(60.5));
  CHECK(nhs111.abandoned_after_30s_share == Approx(0.25));
  CHECK(nhs111.callbacks_offered == 2);
  CHECK(nhs111.callbacks_within_10min == 1);

  const auto& local = of(r, kpi::dimension::route, "local_line");
  CHECK(local.offered == 2);
  CHECK(local.answered_within_20s == 1);
  CHECK(secs(local.average_speed_to_answer) == Approx(30));
  CHECK(local.callbacks_offered == 0);
  CHECK_FALSE(local.callbacks_within_10min_share.has_value());

  CHECK(of(r, kpi::dimension::route, "sms_keyword").answered == 1);
  CHECK(of(r, kpi::dimension::route, "professional_line").answered_within_20s == 1);

  const auto& north = of(r, kpi::dimension::area, "north");
  CHECK(north.offered == 5);
  CHECK(north.answered == 4);
  CHECK(north.abandoned_after_30s == 1);
  CHECK(north.callbacks_offered == 1);
  CHECK(north.callbacks_within_10min == 0);
  const auto& south = of(r, kpi::dimension::area, "south");
  CHECK(south.offered == 2);
  CHECK(south.abandoned_within_30s == 1);
  CHECK(south.callbacks_within_10min == 1);
  CHECK(of(r, kpi::dimension::area, "east").offered == 1);

  // c6 pressed 1 and waited as band A; everything else waited as the default C.
  const auto& band_a = of(r, kpi::dimension::band, "A");
  CHECK(band_a.offered == 1);
  CHECK(secs(band_a.average_speed_to_answer) == Approx(5));
  CHECK(of(r, kpi::dimension::band, "C").offered == 7);
  CHECK(r.find(kpi::dimension::band, "B") == nullptr);

  CHECK(of(r, kpi::dimension::channel, "call").offered == 7);
  CHECK(of(r, kpi::dimension::channel, "call").callbacks_offered == 2);
  CHECK(of(r, kpi::dimension::channel, "text").offered == 1);
}

TEST_CASE("a transferred contact counts once, with the time of its first answer") {
  const scenario s;
  const auto r = s.report(at(9, 45, 0), at(9, 46, 0));
  const auto& f = of(r, kpi::dimension::all, "all");
  CHECK(f.offered == 1);
  CHECK(f.answered == 1);
  CHECK(secs(f.average_speed_to_answer) == Approx(5));
}

TEST_CASE("a contact spanning two windows counts in the window where it was offered") {
  const scenario s;
  const auto first = s.report(at(9, 50, 0), at(10, 0, 0));
  CHECK(of(first, kpi::dimension::all, "all").offered == 1);
  CHECK(of(first, kpi::dimension::area, "east").answered == 1);
  CHECK(secs(of(first, kpi::dimension::area, "east").average_speed_to_answer) == Approx(40));

  const auto second = s.report(at(10, 0, 0), at(11, 0, 0));
  const auto& f = of(second, kpi::dimension::all, "all");
  // c8, c9, c10: not c7, though it was answered at 10:00:30.
  CHECK(f.offered == 3);
  CHECK(second.find(kpi::dimension::area, "east") == nullptr);
  CHECK(f.answered == 1);
  CHECK(secs(f.average_speed_to_answer) == Approx(10));
  CHECK(f.lost == 1);
  CHECK(f.unanswered == 1);
  CHECK(f.abandoned == 0);
  CHECK(f.abandoned_after_30s_share == Approx(0.0));
  // The lost call is owed a callback too (from 10:30:45); nobody has made it yet.
  CHECK(f.callbacks_offered == 1);
  CHECK(f.callbacks_made == 0);
  CHECK(f.callbacks_within_10min_share == Approx(0.0));
}

TEST_CASE("an empty window has zero counts and no averages or shares") {
  const scenario s;
  const auto r = s.report(at(8, 0, 0), at(9, 0, 0));
  const auto& f = of(r, kpi::dimension::all, "all");
  CHECK(f == kpi::figures{});
  CHECK_FALSE(f.average_speed_to_answer.has_value());
  CHECK_FALSE(f.answer_time_p95.has_value());
  CHECK_FALSE(f.abandoned_after_30s_share.has_value());
  CHECK_FALSE(f.sl2.has_value());
  // The same rows every time, so a monthly return lines up; no areas or bands.
  CHECK(r.find(kpi::dimension::route, "nhs111_option2") != nullptr);
  CHECK(r.find(kpi::dimension::channel, "text") != nullptr);
  CHECK(r.find(kpi::dimension::area, "north") == nullptr);
  CHECK(r.find(kpi::dimension::band, "C") == nullptr);
}

TEST_CASE("the figures come from the log: replaying it into a fresh engine gives the same report") {
  const scenario s;
  engine replayed(test_settings());
  for (const event& e : s.h.log) (void)replayed.apply(e);
  const kpi::window w{at(9, 0, 0), at(11, 0, 0)};
  CHECK(kpi::compute_report(kpi::timings_of(replayed), w) == s.report(w.from, w.to));
}

TEST_CASE("threshold edges are inclusive to the microsecond") {
  const timestamp t = nine;
  const auto rec = [&](std::uint64_t id) {
    kpi::timing_record r;
    r.contact = contact_id{id};
    r.offered = t;
    return r;
  };
  std::vector<kpi::timing_record> rs;
  auto a = rec(1);
  a.abandoned = t + seconds(30) + duration{1};
  rs.push_back(a);
  auto b = rec(2);
  b.answered = t + seconds(20) + duration{1};
  rs.push_back(b);
  auto cb = rec(3);
  cb.offered.reset();
  cb.kind = channel::callback;
  cb.callback_requested = t;
  cb.callback_made = t + seconds(600);
  rs.push_back(cb);
  const auto f = kpi::compute(rs, {t, t + seconds(3600)});
  CHECK(f.abandoned_after_30s == 1);
  CHECK(f.answered_within_20s == 0);
  CHECK(f.answered_within_60s == 1);
  CHECK(f.callbacks_within_10min == 1);
}

TEST_CASE("the 95th percentile is the nearest rank") {
  std::vector<kpi::timing_record> rs;
  for (std::uint64_t i = 1; i <= 20; ++i) {
    kpi::timing_record r;
    r.contact = contact_id{i};
    r.offered = nine;
    r.answered = nine + seconds(static_cast<std::int64_t>(i));
    rs.push_back(r);
  }
  const auto f = kpi::compute(rs, {nine, nine + seconds(60)});
  // ceil(0.95 * 20) = 19th of 1..20 s.
  CHECK(secs(f.answer_time_p95) == Approx(19));
  CHECK(secs(f.average_speed_to_answer) == Approx(10.5));
}
