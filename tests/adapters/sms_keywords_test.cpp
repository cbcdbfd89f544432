#include <catch2/catch.hpp>

#include <vector>

#include "adapters/sms_keywords.hpp"

using namespace crisisline::adapters;

namespace {

const opt_words defaults = default_opt_words();

opt_keyword kind(std::string_view body) {
  return classify_opt_keyword(body, defaults).kind;
}

const std::vector<area_keywords> areas = {
    {"solent", {"SOLENT", "PORTSMOUTH"}},
    {"wessex", {"Wessex", "dorset2"}},
};

std::optional<keyword_route> route(std::string_view body) {
  return route_by_keyword(body, areas);
}

}  // namespace

TEST_CASE("every default opt-out, opt-in and help word is recognised") {
  for (const char* w :
       {"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"}) {
    INFO(w);
    CHECK(kind(w) == opt_keyword::opt_out);
  }
  for (const char* w : {"START", "YES", "UNSTOP"}) CHECK(kind(w) == opt_keyword::opt_in);
  for (const char* w : {"HELP", "INFO"}) CHECK(kind(w) == opt_keyword::help);
}

TEST_CASE("opt-out words ignore case, surrounding space and trailing punctuation") {
  CHECK(kind("stop") == opt_keyword::opt_out);
  CHECK(kind("Stop.") == opt_keyword::opt_out);
  CHECK(kind("  STOP!!\r\n") == opt_keyword::opt_out);
  CHECK(kind("\tstart?") == opt_keyword::opt_in);
  CHECK(classify_opt_keyword("stop!", defaults).word == "STOP");
}

TEST_CASE("an opt-out word inside a sentence is an ordinary message") {
  CHECK(kind("please stop") == opt_keyword::none);
  CHECK(kind("stop texting me") == opt_keyword::none);
  CHECK(kind("I want it to END") == opt_keyword::none);
  CHECK(kind("I need help") == opt_keyword::none);
  CHECK(kind("STOP STOP") == opt_keyword::none);
  CHECK(kind("stopping") == opt_keyword::none);
  CHECK(kind("\"stop") == opt_keyword::none);
  CHECK(kind("") == opt_keyword::none);
  CHECK(kind("...") == opt_keyword::none);
}

TEST_CASE("END and QUIT opt out but must be shown to a human") {
  const auto end = classify_opt_keyword("end.", defaults);
  CHECK(end.kind == opt_keyword::opt_out);
  CHECK(end.ambiguous_in_crisis);
  CHECK(classify_opt_keyword("Quit", defaults).ambiguous_in_crisis);
  CHECK_FALSE(classify_opt_keyword("STOP", defaults).ambiguous_in_crisis);
}

TEST_CASE("word sets are configurable") {
  opt_words custom = default_opt_words();
  custom.opt_out.push_back("STOPP");
  custom.help = {"HJELP"};
  custom.ambiguous_in_crisis.clear();
  CHECK(classify_opt_keyword("stopp", custom).kind == opt_keyword::opt_out);
  CHECK(classify_opt_keyword("help", custom).kind == opt_keyword::none);
  CHECK(classify_opt_keyword("hjelp", custom).kind == opt_keyword::help);
  CHECK_FALSE(classify_opt_keyword("END", custom).ambiguous_in_crisis);
}

TEST_CASE("the first word routes to its area, whatever its case") {
  const auto r = route("solent I need to talk");
  REQUIRE(r.has_value());
  CHECK(r->area == "solent");
  CHECK(r->keyword == "SOLENT");
  CHECK(route("WESSEX")->area == "wessex");
  CHECK(route("wessex")->keyword == "Wessex");
  CHECK(route("Portsmouth please")->area == "solent");
  CHECK(route("Dorset2")->area == "wessex");
}

TEST_CASE("punctuation around the keyword is tolerated") {
  CHECK(route("Solent, can someone call me")->area == "solent");
  CHECK(route("#SOLENT")->area == "solent");
  CHECK(route("  \"solent\": hi")->area == "solent");
  CHECK(route("solent,help")->area == "solent");
  CHECK(route("\n\nSOLENT!")->area == "solent");
}

TEST_CASE("no keyword in first position means no route") {
  CHECK_FALSE(route("help me solent").has_value());
  CHECK_FALSE(route("solentx").has_value());
  CHECK_FALSE(route("").has_value());
  CHECK_FALSE(route("!!!").has_value());
  CHECK_FALSE(route("\xF0\x9F\x98\xA2 solent").has_value());
  CHECK_FALSE(route_by_keyword("solent", {}).has_value());
}

TEST_CASE("when two areas list a keyword, the first in the table wins") {
  const std::vector<area_keywords> dup = {{"a", {"X"}}, {"b", {"x"}}};
  CHECK(route_by_keyword("x", dup)->area == "a");
}
