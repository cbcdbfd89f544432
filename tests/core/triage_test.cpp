#include <catch2/catch.hpp>

#include <chrono>

#include "core/settings.hpp"
#include "core/triage.hpp"

using namespace crisisline::core;
using std::chrono::hours;
using std::chrono::minutes;

TEST_CASE("default triage scale holds the UK MHTS rows from DOMAIN.md") {
  const triage_scale s = default_triage_scale();
  for (std::size_t i = 0; i < triage_band_count; ++i) CHECK(s.bands[i].code == band_at(i));

  CHECK(s.band(triage_category::a).face_to_face_target == duration{0});
  CHECK(s.band(triage_category::b).face_to_face_target == hours{4});
  CHECK(s.band(triage_category::c).face_to_face_target == hours{24});
  CHECK(s.band(triage_category::d).face_to_face_target == hours{72});
  CHECK(s.band(triage_category::e).face_to_face_target == hours{24 * 28});
  CHECK_FALSE(s.band(triage_category::f).face_to_face_target.has_value());
  CHECK_FALSE(s.band(triage_category::g).face_to_face_target.has_value());

  // MHSDS clinical response priority: A->1, B->4, C->2, D/E->3.
  CHECK(s.band(triage_category::a).mhsds_priority == "1");
  CHECK(s.band(triage_category::b).mhsds_priority == "4");
  CHECK(s.band(triage_category::c).mhsds_priority == "2");
  CHECK(s.band(triage_category::d).mhsds_priority == "3");
  CHECK(s.band(triage_category::e).mhsds_priority == "3");

  CHECK(s.band(triage_category::a).action.find("ambulance") != std::string::npos);
}

TEST_CASE("default queue targets: A at once, untriaged C within the NHS 111 60 s standard") {
  const triage_scale s = default_triage_scale();
  CHECK(s.band(triage_category::a).answer_target == duration::zero());
  CHECK(s.band(triage_category::a).emergency);
  CHECK(s.band(triage_category::c).answer_target == seconds(60));
  for (std::size_t i = 1; i < triage_band_count; ++i) {
    INFO("band " << triage_code(band_at(i)));
    CHECK_FALSE(s.bands[i].emergency);
    // Less urgent bands never have a tighter target or ceiling than more urgent ones.
    CHECK(s.bands[i].answer_target >= s.bands[i - 1].answer_target);
    CHECK(s.bands[i].max_wait >= s.bands[i - 1].max_wait);
    CHECK(s.bands[i].max_wait > s.bands[i].answer_target);
  }
}

TEST_CASE("triage codes parse and print") {
  CHECK(parse_triage_code("A") == triage_category::a);
  CHECK(parse_triage_code("g") == triage_category::g);
  CHECK_FALSE(parse_triage_code("H").has_value());
  CHECK_FALSE(parse_triage_code("").has_value());
  CHECK_FALSE(parse_triage_code("AB").has_value());
  CHECK(triage_code(triage_category::d) == "D");
  CHECK(triage_code(triage_category::unspecified) == "?");
  CHECK(more_urgent(triage_category::a, triage_category::b));
  CHECK_FALSE(more_urgent(triage_category::c, triage_category::c));
  CHECK(more_urgent(triage_category::g, triage_category::unspecified));
}

TEST_CASE("default settings are valid and bad ones are named") {
  CHECK(validate(settings{}).empty());

  settings bad;
  bad.triage.bands[2].max_wait = seconds(10);  // below C's 60 s target
  bad.triage.bands[3].code = triage_category::a;
  bad.queue.offer_timeout = duration::zero();
  bad.lexicon.rules.push_back(risk_rule{.id = "", .phrases = {"..."}});
  const auto problems = validate(bad);
  const auto mentions = [&](std::string_view what) {
    return std::any_of(problems.begin(), problems.end(),
                       [&](const std::string& p) { return p.find(what) != std::string::npos; });
  };
  CHECK(mentions("band C: maximum wait is shorter"));
  CHECK(mentions("band D: row holds another band"));
  CHECK(mentions("offer timeout"));
  CHECK(mentions("has no id"));
  CHECK(mentions("has no words"));
}
