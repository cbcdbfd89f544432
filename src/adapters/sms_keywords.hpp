#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// Words in inbound texts that change how we treat the sender: opt-out words
// (DOMAIN.md §6) and area keywords. Pure; any thread.
namespace crisisline::adapters {

enum class opt_keyword { none, opt_out, opt_in, help };

// Case is ignored. An opt-out only stops non-essential outbound messages; it
// never stops the person reaching help (DOMAIN.md §6, crisis-safe rule).
struct opt_words {
  std::vector<std::string> opt_out;
  std::vector<std::string> opt_in;
  std::vector<std::string> help;
  // Opt-out words a person in crisis may mean literally ("END"): a match is
  // still an opt-out but must be shown to a human.
  std::vector<std::string> ambiguous_in_crisis;
};

// STOP UNSUBSCRIBE END QUIT STOPALL REVOKE OPTOUT CANCEL / START YES UNSTOP /
// HELP INFO; END and QUIT ambiguous.
[[nodiscard]] opt_words default_opt_words();

struct opt_match {
  opt_keyword kind = opt_keyword::none;
  // The configured word that matched; empty for none.
  std::string word;
  bool ambiguous_in_crisis = false;
};

// Matches only when the whole text is one word from a set, ignoring case,
// surrounding whitespace and trailing punctuation ("stop.", "STOP!!"). "stop
// texting me" or "please stop" are ordinary messages. A word in several sets
// is taken as opt_out first, then opt_in, then help.
[[nodiscard]] opt_match classify_opt_keyword(std::string_view body, const opt_words& words);

struct area_keywords {
  std::string area;
  std::vector<std::string> keywords;
};

struct keyword_route {
  std::string area;
  // As configured, not as typed.
  std::string keyword;
};

// Matches the first word of `body` (letters, digits and any non-ASCII bytes,
// after skipping leading whitespace and punctuation, so "#SOLENT", "Solent,"
// and "solent: I need help" all give "solent") against the table, ignoring
// ASCII case. The first area listing the word wins. nullopt when none does.
[[nodiscard]] std::optional<keyword_route> route_by_keyword(std::string_view body,
                                                            std::span<const area_keywords> table);

}  // namespace crisisline::adapters
