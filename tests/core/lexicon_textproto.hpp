#pragma once

#include <string>

#include "core/risk.hpp"
#include "core/triage.hpp"

// Writes a lexicon as crisisline.v1.RiskLexicon in protobuf text format, the
// way config/risk_lexicon.textproto is laid out, so the shipped file can be
// checked against default_risk_lexicon() without protobuf in the core tests.
namespace crisisline::core::testing {

inline std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

inline std::string lexicon_header() {
  return "# Default risk lexicon (crisisline.v1.RiskLexicon, protobuf text format).\n"
         "#\n"
         "# Automatic risk detection runs on every inbound text before a nurse has\n"
         "# triaged it. A rule only ever raises a contact's band, the rule ids that fired\n"
         "# are recorded on the contact, and a nurse's triage overrides them.\n"
         "#\n"
         "# Matching ignores ASCII case, punctuation and spacing (\"Co-Codamol\" and\n"
         "# \"cocodamol\" are the same phrase), a phrase must start and end on a word\n"
         "# boundary, and emoji match as words of their own. max_edits: 1 tolerates one\n"
         "# typing slip in one-word phrases of 6+ letters. dose_pattern fires on a number\n"
         "# followed by one of dose_units (\"800mg\", \"800 mg\", \"2 x 500mg\", \"16 tablets\").\n"
         "#\n"
         "# This file must stay identical to core::default_risk_lexicon(); tests check it.\n";
}

inline std::string to_textproto(const risk_lexicon& lexicon) {
  std::string out = lexicon_header();
  for (const risk_rule& r : lexicon.rules) {
    out += "\nrules {\n";
    out += "  id: " + quoted(r.id) + "\n";
    for (const std::string& p : r.phrases) out += "  phrases: " + quoted(p) + "\n";
    out += "  raise_to: " + quoted(std::string{triage_code(r.raise_to)}) + "\n";
    if (r.dose_pattern) out += "  dose_pattern: true\n";
    for (const std::string& u : r.dose_units) out += "  dose_units: " + quoted(u) + "\n";
    if (r.max_edits != 0) out += "  max_edits: " + std::to_string(r.max_edits) + "\n";
    out += "}\n";
  }
  return out;
}

}  // namespace crisisline::core::testing
