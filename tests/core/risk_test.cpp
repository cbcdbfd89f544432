#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "core/risk.hpp"
#include "lexicon_textproto.hpp"

using namespace crisisline::core;

namespace {

const risk_detector& detector() {
  static const risk_detector d{default_risk_lexicon()};
  return d;
}

bool fires(std::string_view text, std::string_view rule) {
  const auto a = detector().assess(text);
  return std::find(a.fired.begin(), a.fired.end(), rule) != a.fired.end();
}

std::optional<triage_category> band_for(std::string_view text) {
  return detector().assess(text).raise_to;
}

}  // namespace

TEST_CASE("risk words: ASCII lowercased, punctuation and spacing dropped, emoji kept whole") {
  CHECK(risk_words("Don\u2019t  STOP\u2014now!! \U0001F48A\uFE0F") ==
        std::vector<std::string>{"don", "t", "stop", "now", "\U0001F48A"});
  CHECK(risk_words("took\U0001F48A\U0001F48A") ==
        std::vector<std::string>{"took", "\U0001F48A", "\U0001F48A"});
  // Accented letters stay inside their word rather than splitting it.
  CHECK(risk_words("caf\u00E9 ok") == std::vector<std::string>{"caf\u00E9", "ok"});
  CHECK(risk_words("").empty());
}

TEST_CASE("doses fire in the forms people type them") {
  for (const char* text : {"i took 800mg", "800 mg", "2 x 500mg", "2x500mg", "16 tablets",
                           "about 20 PILLS", "0.5mg", "20\U0001F48A", "taken 300 MG's"}) {
    INFO(text);
    CHECK(fires(text, "dose_amount"));
    CHECK(band_for(text) == triage_category::b);
  }
}

TEST_CASE("numbers without a dose unit do not fire the dose rule") {
  for (const char* text :
       {"no 5g signal here", "walked 800 metres", "mg", "call me at 10", "tablets"}) {
    INFO(text);
    CHECK_FALSE(fires(text, "dose_amount"));
  }
}

TEST_CASE("means fire despite case, punctuation, spacing and common misspellings") {
  for (const char* text :
       {"paracetamol", "PARACETAMOL!!!", "para-cetamol", "para cetamol", "paracetemol",
        "paracetomol", "parcetamol", "paracetamols", "co-codamol", "Co Codamol", "cocodamol"}) {
    INFO(text);
    CHECK(fires(text, "means_paracetamol"));
  }
  for (const char* text :
       {"ibuprofen", "ibuprofin", "Ibroprofen", "ibuprofen.", "nurofen", "iubprofen"}) {
    INFO(text);
    CHECK(fires(text, "means_nsaid"));
  }
  CHECK(fires("a bottle of anti-freeze", "means_poison"));
  CHECK(fires("antifreze", "means_poison"));
  CHECK(fires("bought a ligature", "means_ligature"));
}

TEST_CASE("slip tolerance does not turn ordinary words into means") {
  // One letter from "aspirin", "noose" and "overdose"; none of them is a risk.
  CHECK_FALSE(fires("an aspiring artist", "means_medication"));
  CHECK_FALSE(fires("my shoe is loose", "means_ligature"));
  CHECK_FALSE(fires("I overdone it at the gym", "overdose"));
  CHECK(detector().assess("had a lovely day at the beach").fired.empty());
}

TEST_CASE("phrases start and end on word boundaries") {
  CHECK(fires("i want to die", "suicidal_ideation"));
  CHECK_FALSE(fires("i want to diet", "suicidal_ideation"));
  CHECK_FALSE(fires("that is odd", "overdose"));
  CHECK_FALSE(fires("good", "overdose"));
  CHECK(fires("gonna OD tonight", "overdose"));
  CHECK(fires("KILL   MY-SELF", "suicidal_ideation"));
}

TEST_CASE("the pill emoji matches with or without a variation selector") {
  CHECK(fires("\U0001F48A", "pill_emoji"));
  CHECK(fires("\U0001F48A\uFE0F\U0001F48A", "pill_emoji"));
  CHECK(fires("look\U0001F48Ahere", "pill_emoji"));
  CHECK(band_for("\U0001F48A") == triage_category::b);
  // Another emoji sharing the pill's first three bytes is not the pill.
  CHECK_FALSE(fires("\U0001F48B", "pill_emoji"));
}

TEST_CASE("broken UTF-8 is tolerated without splitting or matching half a character") {
  // The pill emoji cut short, lone continuation bytes and an overlong lead.
  const std::string cut = std::string{"\xF0\x9F\x92"} + " paracetamol";
  CHECK_FALSE(fires(cut, "pill_emoji"));
  CHECK(fires(cut, "means_paracetamol"));
  CHECK_NOTHROW(detector().assess("\x80\x80\xC0\xFF\xF0"));
  CHECK(detector().assess(std::string_view{"\xF0\x9F\x92\x8A", 3}).fired.empty());
}

TEST_CASE("an act in progress raises to A, the most urgent rule decides the band") {
  const auto a = detector().assess("I've taken an overdose, 30 paracetamol. want to die");
  CHECK(a.raise_to == triage_category::a);
  CHECK(a.fired == std::vector<std::string>{"act_in_progress", "overdose", "means_paracetamol",
                                            "suicidal_ideation"});
  CHECK(band_for("ive OVERDOSED") == triage_category::a);
  CHECK(band_for("I've got a knife") == triage_category::a);
}

TEST_CASE("ideation alone is recorded at band C, the default before triage") {
  const auto a = detector().assess("feeling suicidal tonight");
  CHECK(a.fired == std::vector<std::string>{"suicidal_ideation"});
  CHECK(a.raise_to == triage_category::c);
}

TEST_CASE("a custom lexicon is honoured, including its own units and slips") {
  risk_lexicon lex;
  lex.rules.push_back({.id = "river", .phrases = {"the river"}, .raise_to = triage_category::b});
  lex.rules.push_back({.id = "litres",
                       .raise_to = triage_category::d,
                       .dose_pattern = true,
                       .dose_units = {"litres"}});
  lex.rules.push_back(
      {.id = "mirtaz", .phrases = {"mirtazapine"}, .raise_to = triage_category::c, .max_edits = 1});
  REQUIRE(validate(lex).empty());
  const risk_detector d{lex};
  CHECK(d.assess("going to THE  river").fired == std::vector<std::string>{"river"});
  CHECK(d.assess("2 litres of vodka").raise_to == triage_category::d);
  CHECK(d.assess("mirtazapin").fired == std::vector<std::string>{"mirtaz"});
  CHECK(d.assess("paracetamol").fired.empty());
}

TEST_CASE("lexicon validation names the problem") {
  risk_lexicon lex;
  lex.rules.push_back({.id = "x", .phrases = {"a"}, .raise_to = triage_category::b});
  lex.rules.push_back({.id = "x", .phrases = {"b"}, .raise_to = triage_category::unspecified});
  lex.rules.push_back({.id = "y", .raise_to = triage_category::b, .dose_pattern = true});
  lex.rules.push_back(
      {.id = "z", .phrases = {"zz"}, .raise_to = triage_category::b, .max_edits = 2});
  const auto p = validate(lex);
  CHECK(p.size() == 4);
  CHECK(validate(default_risk_lexicon()).empty());
}

TEST_CASE("config/risk_lexicon.textproto is exactly default_risk_lexicon()") {
  std::ifstream in{CRISISLINE_SOURCE_DIR "/config/risk_lexicon.textproto", std::ios::binary};
  REQUIRE(in);
  std::stringstream file;
  file << in.rdbuf();
  CHECK(file.str() == testing::to_textproto(default_risk_lexicon()));
}
