#include "core/risk.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include "core/triage.hpp"

namespace crisisline::core {

namespace {

// Phrases shorter than this are matched exactly even in a rule that tolerates
// slips: "noose" is one letter from "loose" and "moose".
constexpr std::size_t min_fuzzy_length = 6;

struct word_list {
  std::string buffer;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;

  [[nodiscard]] std::size_t size() const { return spans.size(); }
  [[nodiscard]] std::string_view word(std::size_t i) const {
    return std::string_view{buffer}.substr(spans[i].first, spans[i].second);
  }
};

struct decoded {
  char32_t code_point = 0;
  std::size_t length = 1;
  bool valid = false;
};

decoded decode_utf8(std::string_view s, std::size_t i) {
  const auto lead = static_cast<unsigned char>(s[i]);
  std::size_t length = 0;
  char32_t cp = 0;
  if ((lead & 0xE0U) == 0xC0U) {
    length = 2;
    cp = lead & 0x1FU;
  } else if ((lead & 0xF0U) == 0xE0U) {
    length = 3;
    cp = lead & 0x0FU;
  } else if ((lead & 0xF8U) == 0xF0U) {
    length = 4;
    cp = lead & 0x07U;
  } else {
    return {};
  }
  if (i + length > s.size()) return {};
  for (std::size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0U) != 0x80U) return {};
    cp = (cp << 6U) | (b & 0x3FU);
  }
  return {cp, length, true};
}

enum class char_class { letter, separator, ignored, symbol };

// Without Unicode tables: Latin, Greek, Cyrillic and the like (below U+2000)
// are letters; General Punctuation (curly quotes, dashes, zero-width joiner)
// separates words; emoji and other symbols from U+2070 up are words of their
// own, so "took💊" is two words. Variation selectors only choose how an emoji
// is drawn and are dropped, so "💊\uFE0F" still matches "💊".
char_class classify(char32_t cp) {
  if (cp == 0xFE0E || cp == 0xFE0F || cp == 0xFEFF) return char_class::ignored;
  if (cp == 0xB5) return char_class::letter;
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7) return char_class::separator;
  if (cp < 0x2000) return char_class::letter;
  if (cp < 0x2070 || cp == 0x3000) return char_class::separator;
  return char_class::symbol;
}

void split_words(std::string_view text, word_list& out) {
  out.buffer.clear();
  out.spans.clear();
  out.buffer.reserve(text.size());
  bool in_word = false;
  const auto start_word = [&] {
    if (!in_word) {
      out.spans.emplace_back(static_cast<std::uint32_t>(out.buffer.size()), 0);
      in_word = true;
    }
  };
  const auto end_word = [&] {
    if (in_word) {
      out.spans.back().second =
          static_cast<std::uint32_t>(out.buffer.size()) - out.spans.back().first;
      in_word = false;
    }
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const char ch = text[i];
    const auto byte = static_cast<unsigned char>(ch);
    if (byte < 0x80U) {
      if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
        start_word();
        out.buffer.push_back(ch);
      } else if (ch >= 'A' && ch <= 'Z') {
        start_word();
        out.buffer.push_back(static_cast<char>(ch - 'A' + 'a'));
      } else {
        end_word();
      }
      ++i;
      continue;
    }
    const decoded d = decode_utf8(text, i);
    if (!d.valid) {
      end_word();
      ++i;
      continue;
    }
    switch (classify(d.code_point)) {
      case char_class::letter:
        start_word();
        out.buffer.append(text.substr(i, d.length));
        break;
      case char_class::separator:
        end_word();
        break;
      case char_class::ignored:
        break;
      case char_class::symbol:
        end_word();
        start_word();
        out.buffer.append(text.substr(i, d.length));
        end_word();
        break;
    }
    i += d.length;
  }
  end_word();
}

std::string joined_key(std::string_view phrase) {
  word_list words;
  split_words(phrase, words);
  std::string key;
  for (std::size_t i = 0; i < words.size(); ++i) key.append(words.word(i));
  return key;
}

// Optimal string alignment distance of at most one: one substitution,
// insertion, deletion or swap of neighbours.
bool within_one_edit(std::string_view a, std::string_view b) {
  if (a.size() > b.size()) std::swap(a, b);
  if (b.size() - a.size() > 1) return false;
  std::size_t i = 0;
  while (i < a.size() && a[i] == b[i]) ++i;
  if (i == a.size()) return true;
  if (a.size() == b.size()) {
    if (a.substr(i + 1) == b.substr(i + 1)) return true;
    return i + 1 < a.size() && a[i] == b[i + 1] && a[i + 1] == b[i] &&
           a.substr(i + 2) == b.substr(i + 2);
  }
  return a.substr(i) == b.substr(i + 1);
}

std::uint16_t pair_key(char first, char second) {
  return static_cast<std::uint16_t>((static_cast<unsigned char>(first) << 8U) |
                                    static_cast<unsigned char>(second));
}

bool ascii_letters_only(std::string_view w) {
  return std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

}  // namespace

std::vector<std::string> risk_words(std::string_view text) {
  word_list words;
  split_words(text, words);
  std::vector<std::string> out;
  out.reserve(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) out.emplace_back(words.word(i));
  return out;
}

std::vector<std::string> validate(const risk_lexicon& lexicon) {
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const risk_rule& r : lexicon.rules) {
    const std::string name = r.id.empty() ? std::string{"(rule without id)"} : r.id;
    if (r.id.empty()) problems.push_back("a risk rule has no id");
    if (!r.id.empty() && !seen.insert(r.id).second) problems.push_back(name + ": repeated id");
    if (r.raise_to == triage_category::unspecified) {
      problems.push_back(name + ": no band to raise to");
    }
    if (r.phrases.empty() && !r.dose_pattern) problems.push_back(name + ": nothing to match");
    for (const std::string& p : r.phrases) {
      if (joined_key(p).empty()) problems.push_back(name + ": phrase \"" + p + "\" has no words");
    }
    if (r.dose_pattern && r.dose_units.empty()) problems.push_back(name + ": dose with no units");
    for (const std::string& u : r.dose_units) {
      if (risk_words(u).size() != 1)
        problems.push_back(name + ": unit \"" + u + "\" is not one word");
    }
    if (r.max_edits > 1) problems.push_back(name + ": max_edits above 1 is not supported");
  }
  return problems;
}

risk_detector::risk_detector(const risk_lexicon& lexicon) : trie_(1) {
  for (const risk_rule& r : lexicon.rules) {
    const auto rule = static_cast<std::uint32_t>(ids_.size());
    ids_.push_back(r.id);
    raise_to_.push_back(r.raise_to);
    for (const std::string& p : r.phrases) {
      const std::vector<std::string> words = risk_words(p);
      const std::string key = joined_key(p);
      if (key.empty()) continue;
      add_phrase(key, rule);
      if (r.max_edits >= 1 && words.size() == 1 && key.size() >= min_fuzzy_length &&
          ascii_letters_only(key)) {
        const auto index = static_cast<std::uint32_t>(fuzzy_.size());
        fuzzy_.push_back({key, rule});
        fuzzy_by_head_.emplace_back(pair_key(key[0], key[1]), index);
        fuzzy_by_tail_.emplace_back(pair_key(key[key.size() - 2], key.back()), index);
      }
    }
    if (r.dose_pattern) {
      dose_rule d{rule, {}};
      for (const std::string& u : r.dose_units) {
        std::string unit = joined_key(u);
        if (!unit.empty()) d.units.push_back(std::move(unit));
      }
      doses_.push_back(std::move(d));
    }
  }
  std::sort(fuzzy_by_head_.begin(), fuzzy_by_head_.end());
  std::sort(fuzzy_by_tail_.begin(), fuzzy_by_tail_.end());
}

void risk_detector::add_phrase(std::string_view key, std::uint32_t rule) {
  std::uint32_t node = 0;
  for (const char ch : key) {
    const auto c = static_cast<unsigned char>(ch);
    if (const auto next = child(node, c)) {
      node = *next;
    } else {
      const auto created = static_cast<std::uint32_t>(trie_.size());
      trie_.emplace_back();
      trie_[node].children.emplace_back(c, created);
      node = created;
    }
  }
  auto& rules = trie_[node].rules;
  if (std::find(rules.begin(), rules.end(), rule) == rules.end()) rules.push_back(rule);
}

std::optional<std::uint32_t> risk_detector::child(std::uint32_t node, unsigned char c) const {
  for (const auto& [label, next] : trie_[node].children) {
    if (label == c) return next;
  }
  return std::nullopt;
}

bool risk_detector::is_unit(const dose_rule& d, std::string_view word) const {
  return std::any_of(d.units.begin(), d.units.end(),
                     [&](const std::string& u) { return u == word; });
}

risk_assessment risk_detector::assess(std::string_view text) const {
  word_list words;
  split_words(text, words);
  std::vector<char> fired(ids_.size(), 0);

  const auto fuzzy_candidates = [&](const auto& index, std::uint16_t key, std::string_view w) {
    auto it = std::lower_bound(index.begin(), index.end(), std::make_pair(key, std::uint32_t{0}));
    for (; it != index.end() && it->first == key; ++it) {
      const fuzzy_word& f = fuzzy_[it->second];
      if (!fired[f.rule] && within_one_edit(w, f.word)) fired[f.rule] = 1;
    }
  };

  for (std::size_t i = 0; i < words.size(); ++i) {
    // Phrases may span words ("co codamol" is "cocodamol") but must start at
    // this word and end at the end of one.
    std::uint32_t node = 0;
    for (std::size_t j = i; j < words.size(); ++j) {
      bool matched_word = true;
      for (const char ch : words.word(j)) {
        const auto next = child(node, static_cast<unsigned char>(ch));
        if (!next) {
          matched_word = false;
          break;
        }
        node = *next;
      }
      if (!matched_word) break;
      for (const std::uint32_t r : trie_[node].rules) fired[r] = 1;
    }

    const std::string_view w = words.word(i);
    if (!fuzzy_.empty() && w.size() + 1 >= min_fuzzy_length) {
      fuzzy_candidates(fuzzy_by_head_, pair_key(w[0], w[1]), w);
      fuzzy_candidates(fuzzy_by_tail_, pair_key(w[w.size() - 2], w.back()), w);
    }

    if (!doses_.empty() && w[0] >= '0' && w[0] <= '9') {
      const auto skip_digits = [&](std::size_t from) {
        while (from < w.size() && w[from] >= '0' && w[from] <= '9') ++from;
        return from;
      };
      std::size_t digits = skip_digits(0);
      // "2x500mg" written as one word: the count, an x, then the dose.
      if (digits + 1 < w.size() && w[digits] == 'x' && w[digits + 1] >= '0' &&
          w[digits + 1] <= '9') {
        digits = skip_digits(digits + 1);
      }
      for (const dose_rule& d : doses_) {
        if (fired[d.rule]) continue;
        const bool dose = digits < w.size()
                              ? is_unit(d, w.substr(digits))
                              : (i + 1 < words.size() && is_unit(d, words.word(i + 1)));
        if (dose) fired[d.rule] = 1;
      }
    }
  }

  risk_assessment result;
  for (std::size_t r = 0; r < fired.size(); ++r) {
    if (!fired[r]) continue;
    result.fired.push_back(ids_[r]);
    if (!result.raise_to || more_urgent(raise_to_[r], *result.raise_to)) {
      result.raise_to = raise_to_[r];
    }
  }
  if (result.raise_to == triage_category::unspecified) result.raise_to.reset();
  return result;
}

risk_lexicon default_risk_lexicon() {
  const auto rule = [](std::string id, triage_category band, std::uint32_t max_edits,
                       std::vector<std::string> phrases) {
    risk_rule r;
    r.id = std::move(id);
    r.raise_to = band;
    r.max_edits = max_edits;
    r.phrases = std::move(phrases);
    return r;
  };
  risk_lexicon lex;
  // Band A: an act already under way. Kept to first-person, past or present
  // statements, because band A also tells supervisors to call emergency services.
  lex.rules.push_back(rule("act_in_progress", triage_category::a, 0,
                           {"taken an overdose",
                            "took an overdose",
                            "i have overdosed",
                            "ive overdosed",
                            "i overdosed",
                            "just overdosed",
                            "already overdosed",
                            "taken all my tablets",
                            "took all my tablets",
                            "taken all my pills",
                            "took all my pills",
                            "swallowed all my",
                            "swallowed the lot",
                            "taken the lot",
                            "took the lot",
                            "drank antifreeze",
                            "drunk antifreeze",
                            "drank bleach",
                            "drunk bleach",
                            "cut my wrists",
                            "slit my wrists",
                            "ligature round my neck",
                            "ligature around my neck",
                            "noose round my neck",
                            "noose around my neck",
                            "rope round my neck",
                            "rope around my neck",
                            "standing on the bridge",
                            "on the edge of the bridge",
                            "on the train tracks",
                            "on the railway tracks",
                            "about to jump off",
                            "i have a gun",
                            "ive got a gun",
                            "i have a knife",
                            "ive got a knife"}));
  // Band B: means and doses (the strongest predictors of imminent risk).
  lex.rules.push_back(rule("overdose", triage_category::b, 0,
                           {"overdose", "overdosed", "overdosing", "overdoses", "overdoze", "od"}));
  lex.rules.push_back(
      rule("means_paracetamol", triage_category::b, 1,
           {"paracetamol", "paracetemol", "paracetomol", "parecetamol", "parcetamol",
            "acetaminophen", "tylenol", "panadol", "calpol", "co-codamol", "solpadeine"}));
  lex.rules.push_back(rule("means_nsaid", triage_category::b, 1,
                           {"ibuprofen", "ibuprofin", "ibroprofen", "ibuprophen", "nurofen",
                            "neurofen", "naproxen", "diclofenac", "excedrin"}));
  // Exact only: "aspirin" is one letter from "aspiring".
  lex.rules.push_back(
      rule("means_medication", triage_category::b, 0,
           {"aspirin",    "asprin",         "codeine",         "tramadol",    "morphine",
            "oxycodone",  "fentanyl",       "methadone",       "sertraline",  "citalopram",
            "fluoxetine", "amitriptyline",  "mirtazapine",     "venlafaxine", "quetiapine",
            "olanzapine", "lithium",        "propranolol",     "diazepam",    "zopiclone",
            "insulin",    "sleeping pills", "sleeping tablets"}));
  lex.rules.push_back(
      rule("means_poison", triage_category::b, 1,
           {"antifreeze", "weedkiller", "rat poison", "poison myself", "drink bleach",
            "drinking bleach", "carbon monoxide", "exhaust fumes"}));
  lex.rules.push_back(
      rule("means_ligature", triage_category::b, 1,
           {"ligature", "ligatures", "noose", "hang myself", "hanging myself", "hung myself"}));
  lex.rules.push_back(rule(
      "means_height_or_traffic", triage_category::b, 0,
      {"off a bridge", "off the bridge", "off a building", "off the roof", "in front of a train",
       "in front of a lorry", "in front of a car", "throw myself off"}));
  lex.rules.push_back(rule("pill_emoji", triage_category::b, 0, {"\U0001F48A"}));
  risk_rule dose;
  dose.id = "dose_amount";
  dose.raise_to = triage_category::b;
  dose.dose_pattern = true;
  dose.dose_units = {"mg",    "mgs",     "milligram", "milligrams", "mcg",     "\u00B5g",
                     "ug",    "gram",    "grams",     "tablet",     "tablets", "pill",
                     "pills", "capsule", "capsules",  "\U0001F48A"};
  lex.rules.push_back(std::move(dose));
  // Band C (the default band before triage): recorded so the nurse sees them,
  // and they raise a contact if the service's default band is lower.
  lex.rules.push_back(rule("self_harm", triage_category::c, 0,
                           {"self harm", "self harming", "cut myself", "cutting myself",
                            "hurt myself", "hurting myself", "burn myself", "burning myself"}));
  lex.rules.push_back(rule("suicidal_ideation", triage_category::c, 1,
                           {"suicide", "suicidal", "sucidal", "kill myself", "killing myself",
                            "end my life", "ending my life", "take my own life", "end it all",
                            "want to die", "wanna die", "better off dead", "no reason to live",
                            "dont want to be here", "dont want to be alive", "cant go on"}));
  return lex;
}

}  // namespace crisisline::core
