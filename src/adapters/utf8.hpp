#pragma once

#include <cstddef>
#include <string>
#include <string_view>

// UTF-8 checks for text that arrives from outside (SMS bodies, caller names).
// Nothing here rejects text: invalid bytes are replaced so the words around
// them still reach a human. Pure functions; any thread.
namespace crisisline::adapters {

inline constexpr char32_t replacement_character = U'\uFFFD';

[[nodiscard]] bool is_valid_utf8(std::string_view bytes);

struct repaired_utf8 {
  std::string text;
  // How many ill-formed subsequences became U+FFFD; 0 means `text` equals the input.
  std::size_t replacements = 0;

  [[nodiscard]] bool replaced() const { return replacements != 0; }
};

// Replaces each maximal ill-formed subsequence (Unicode 15 §3.9, the same
// policy as the WHATWG decoder) with U+FFFD: overlong forms, encoded
// surrogates, code points above U+10FFFF, stray continuation bytes and
// truncated sequences. NUL and other control characters are valid UTF-8 and
// are kept.
[[nodiscard]] repaired_utf8 repair_utf8(std::string_view bytes);

// Decodes with the same replacement policy as repair_utf8.
[[nodiscard]] std::u32string decode_utf8(std::string_view bytes);

// Appends the UTF-8 encoding of `cp`; a surrogate or a value above U+10FFFF is
// written as U+FFFD.
void append_utf8(std::string& out, char32_t cp);

// Code points in `text`, counting each ill-formed subsequence as one (as it
// would count after repair_utf8).
[[nodiscard]] std::size_t code_point_count(std::string_view text);

enum class length_verdict { ok, too_many_bytes, too_many_code_points };

// Bytes are checked first: they bound memory; code points bound what a person
// reads (an emoji is 4 bytes but one character).
[[nodiscard]] length_verdict check_length(std::string_view text, std::size_t max_bytes,
                                          std::size_t max_code_points);

// The longest prefix of `text` of at most `max_bytes` that does not end inside
// a well-formed multi-byte sequence.
[[nodiscard]] std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes);

}  // namespace crisisline::adapters
