#include "adapters/sms_keywords.hpp"

#include <algorithm>
#include <cctype>

namespace crisisline::adapters {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool is_ascii_punct(char c) {
  const auto b = static_cast<unsigned char>(c);
  return b < 0x80 && std::ispunct(b) != 0;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

const std::string* find_word(std::string_view w, const std::vector<std::string>& set) {
  const auto it =
      std::find_if(set.begin(), set.end(), [&](const auto& s) { return iequals(w, s); });
  return it == set.end() ? nullptr : &*it;
}

}  // namespace

opt_words default_opt_words() {
  return {
      {"STOP", "UNSUBSCRIBE", "END", "QUIT", "STOPALL", "REVOKE", "OPTOUT", "CANCEL"},
      {"START", "YES", "UNSTOP"},
      {"HELP", "INFO"},
      {"END", "QUIT"},
  };
}

opt_match classify_opt_keyword(std::string_view body, const opt_words& words) {
  while (!body.empty() && is_space(body.front())) body.remove_prefix(1);
  while (!body.empty() && (is_space(body.back()) || is_ascii_punct(body.back()))) {
    body.remove_suffix(1);
  }
  if (body.empty() || std::any_of(body.begin(), body.end(), is_space)) return {};
  if (const auto* w = find_word(body, words.opt_out)) {
    return {opt_keyword::opt_out, *w, find_word(body, words.ambiguous_in_crisis) != nullptr};
  }
  if (const auto* w = find_word(body, words.opt_in)) return {opt_keyword::opt_in, *w, false};
  if (const auto* w = find_word(body, words.help)) return {opt_keyword::help, *w, false};
  return {};
}

std::optional<keyword_route> route_by_keyword(std::string_view body,
                                              std::span<const area_keywords> table) {
  while (!body.empty() && (is_space(body.front()) || is_ascii_punct(body.front()))) {
    body.remove_prefix(1);
  }
  const auto end = std::find_if(body.begin(), body.end(),
                                [](char c) { return is_space(c) || is_ascii_punct(c); });
  const std::string_view word = body.substr(0, static_cast<std::size_t>(end - body.begin()));
  if (word.empty()) return std::nullopt;
  for (const auto& entry : table) {
    if (const auto* k = find_word(word, entry.keywords)) return keyword_route{entry.area, *k};
  }
  return std::nullopt;
}

}  // namespace crisisline::adapters
