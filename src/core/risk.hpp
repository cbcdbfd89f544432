#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

// Automatic risk detection on what a person writes, before a nurse has
// triaged them (DOMAIN.md §2). Words for means and doses predict imminent risk
// better than the word "suicide", so the lexicon is mostly those. Detection only
// ever raises urgency; the engine records which rules fired and lets a nurse's
// triage override it.
namespace crisisline::core {

// Mirrors crisisline.v1.RiskRule.
struct risk_rule {
  // Recorded on the contact when the rule fires ("means_paracetamol").
  std::string id;
  // Phrases that fire the rule. Matching ignores ASCII case, punctuation and
  // spacing ("co-codamol", "Co Codamol" and "cocodamol" are the same phrase) but
  // a phrase must start and end on a word boundary ("die" does not fire on "diet").
  std::vector<std::string> phrases;
  // Band the contact is raised to; never used to lower one.
  triage_category raise_to = triage_category::unspecified;
  // Fires on "<number><unit>" or "<number> <unit>" for any unit in dose_units
  // ("800mg", "800 mg", "2 x 500mg", "16 tablets").
  bool dose_pattern = false;
  std::vector<std::string> dose_units;
  // Typing slips tolerated: 0 = exact, 1 = one letter wrong, missing, extra or
  // two neighbours swapped ("paracetemol", "ibuprofin"). Applies to one-word
  // phrases of 6 letters or more; shorter words are too easy to hit by accident.
  std::uint32_t max_edits = 0;

  friend bool operator==(const risk_rule&, const risk_rule&) = default;
};

// Mirrors crisisline.v1.RiskLexicon.
struct risk_lexicon {
  std::vector<risk_rule> rules;

  friend bool operator==(const risk_lexicon&, const risk_lexicon&) = default;
};

// The defaults shipped in config/risk_lexicon.textproto (kept identical; a
// codec/ test compares them).
[[nodiscard]] risk_lexicon default_risk_lexicon();

// Problems that make a lexicon unusable (empty or repeated ids, no band, a
// phrase with no words, max_edits above 1). Empty when the lexicon is fine.
[[nodiscard]] std::vector<std::string> validate(const risk_lexicon& lexicon);

// The words the matcher sees: ASCII lowercased, punctuation and spacing
// dropped, UTF-8 kept whole. Emoji and other symbols are words of their own,
// emoji variation selectors are dropped. Exposed for tests and for explaining
// a match.
[[nodiscard]] std::vector<std::string> risk_words(std::string_view text);

struct risk_assessment {
  // The most urgent band among the rules that fired; nullopt if none fired.
  std::optional<triage_category> raise_to;
  // Ids of the rules that fired, in lexicon order, each once.
  std::vector<std::string> fired;
};

// A lexicon compiled for matching. Immutable after construction, so one
// instance may be shared by any number of threads.
class risk_detector {
 public:
  explicit risk_detector(const risk_lexicon& lexicon);

  [[nodiscard]] risk_assessment assess(std::string_view text) const;

 private:
  struct trie_node {
    std::vector<std::pair<unsigned char, std::uint32_t>> children;
    std::vector<std::uint32_t> rules;
  };
  struct fuzzy_word {
    std::string word;
    std::uint32_t rule = 0;
  };
  struct dose_rule {
    std::uint32_t rule = 0;
    std::vector<std::string> units;
  };

  void add_phrase(std::string_view key, std::uint32_t rule);
  [[nodiscard]] std::optional<std::uint32_t> child(std::uint32_t node, unsigned char c) const;
  [[nodiscard]] bool is_unit(const dose_rule& d, std::string_view word) const;

  std::vector<std::string> ids_;
  std::vector<triage_category> raise_to_;
  std::vector<trie_node> trie_;
  std::vector<fuzzy_word> fuzzy_;
  // Indexes into fuzzy_ by the first two and by the last two letters: a word
  // within one edit of another shares one of them (for words of 5+ letters).
  std::vector<std::pair<std::uint16_t, std::uint32_t>> fuzzy_by_head_;
  std::vector<std::pair<std::uint16_t, std::uint32_t>> fuzzy_by_tail_;
  std::vector<dose_rule> doses_;
};

}  // namespace crisisline::core
