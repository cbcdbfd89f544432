#include <catch2/catch.hpp>

#include "codec/clinical_settings.hpp"

using namespace crisisline;

namespace {

core::settings settings_of(std::string_view text) {
  const auto c = codec::parse_config(text, "test");
  if (auto* e = std::get_if<codec::config_error>(&c)) FAIL(e->describe());
  const auto s = codec::clinical_settings(std::get<v1::Config>(c));
  if (auto* e = std::get_if<codec::config_error>(&s)) FAIL(e->describe());
  return std::get<core::settings>(s);
}

std::string error_of(std::string_view text) {
  const auto c = codec::parse_config(text, "test");
  REQUIRE(std::holds_alternative<v1::Config>(c));
  const auto s = codec::clinical_settings(std::get<v1::Config>(c));
  REQUIRE(std::holds_alternative<codec::config_error>(s));
  return std::get<codec::config_error>(s).describe();
}

std::string all_bands(std::string_view a_extra = "emergency: true") {
  std::string out;
  for (const char* code : {"A", "B", "C", "D", "E", "F", "G"}) {
    out += std::string("triage_bands { code: \"") + code +
           "\" label: \"x\" answer_target_seconds: 10 max_wait_seconds: 100 " +
           (std::string(code) == "A" ? std::string(a_extra) : "") + " }\n";
  }
  return out;
}

}  // namespace

TEST_CASE("the embedded risk lexicon is the core's default lexicon") {
  const auto s = settings_of("");
  CHECK(s.lexicon == core::default_risk_lexicon());
  CHECK(s == core::settings{});
}

TEST_CASE("the example configuration yields the default clinical settings") {
  const auto c = codec::default_config();
  const auto s = codec::clinical_settings(std::get<v1::Config>(c));
  REQUIRE(std::holds_alternative<core::settings>(s));
  // Everything but the two example response cars (dispatch_codec_test.cpp).
  auto clinical = std::get<core::settings>(s);
  CHECK(clinical.dispatch.units.size() == 2);
  clinical.dispatch.units.clear();
  CHECK(clinical == core::settings{});
}

TEST_CASE("configured triage bands replace the defaults") {
  const auto s = settings_of(all_bands());
  const auto& b = s.triage.band(core::triage_category::b);
  CHECK(b.answer_target == core::seconds(10));
  CHECK(b.max_wait == core::seconds(100));
  CHECK_FALSE(b.face_to_face_target.has_value());
  CHECK(s.triage.band(core::triage_category::a).emergency);
  CHECK_FALSE(s.triage.band(core::triage_category::b).emergency);
}

TEST_CASE("a partial or repeated triage scale is refused with the band named") {
  CHECK_THAT(error_of(R"(triage_bands { code: "A" answer_target_seconds: 1 max_wait_seconds: 2 })"),
             Catch::Contains("B is missing"));
  CHECK_THAT(error_of(all_bands() + R"(triage_bands { code: "c" max_wait_seconds: 2 })"),
             Catch::Contains("C is listed twice"));
  CHECK_THAT(error_of(R"(triage_bands { code: "Z" })"), Catch::Contains("A-G"));
}

TEST_CASE("queue settings take the configured values and defaults for the rest") {
  const auto s =
      settings_of(R"(queue { offer_timeout_seconds: 15 default_band: "b" danger_digits: "" })");
  CHECK(s.queue.offer_timeout == core::seconds(15));
  CHECK(s.queue.default_band == core::triage_category::b);
  CHECK(s.queue.danger_digits.empty());
  CHECK(s.queue.wrap_up == core::queue_settings{}.wrap_up);
  CHECK(settings_of("").queue.danger_digits == "1");
  CHECK_THAT(error_of(R"(queue { danger_band: "urgent" })"), Catch::Contains("danger_band"));
}

TEST_CASE("an inline risk lexicon replaces the embedded one") {
  const auto s =
      settings_of(R"(risk_lexicon { rules { id: "means_rope" phrases: "rope" raise_to: "B" } })");
  REQUIRE(s.lexicon.rules.size() == 1);
  CHECK(s.lexicon.rules[0].id == "means_rope");
  CHECK(s.lexicon.rules[0].raise_to == core::triage_category::b);
  CHECK_THAT(error_of(R"(risk_lexicon { rules { id: "x" phrases: "y" raise_to: "high" } })"),
             Catch::Contains("raise_to"));
}

TEST_CASE("a missing risk lexicon file is a clear error") {
  CHECK_THAT(error_of(R"(risk_lexicon_file: "/nonexistent/lexicon.textproto")"),
             Catch::Contains("cannot open"));
}
