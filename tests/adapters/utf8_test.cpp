#include <catch2/catch.hpp>

#include <string>

#include "adapters/utf8.hpp"

using namespace crisisline::adapters;
using namespace std::string_literals;

namespace {

const std::string fffd = "\xEF\xBF\xBD";

}  // namespace

TEST_CASE("valid UTF-8 passes through repair unchanged") {
  const std::string text = "I can't cope \xF0\x9F\x98\xA2 caf\xC3\xA9 \xE2\x82\xAC";
  CHECK(is_valid_utf8(text));
  const auto r = repair_utf8(text);
  CHECK(r.text == text);
  CHECK_FALSE(r.replaced());
}

TEST_CASE("NUL and control characters are valid UTF-8 and kept") {
  const std::string text = "a\0b\x01"s;
  CHECK(is_valid_utf8(text));
  CHECK(repair_utf8(text).text == text);
}

TEST_CASE("a stray byte is replaced and the words around it survive") {
  const auto r = repair_utf8("please \xFF help");
  CHECK(r.text == "please " + fffd + " help");
  CHECK(r.replacements == 1);
  CHECK(r.replaced());
}

TEST_CASE("overlong encodings are replaced, never decoded") {
  // "/" as two bytes, and NUL as two bytes (modified UTF-8): C0 and C1 are
  // never valid, so each byte is its own ill-formed subsequence.
  CHECK_FALSE(is_valid_utf8("\xC0\xAF"));
  CHECK(repair_utf8("\xC0\xAF").text == fffd + fffd);
  CHECK(repair_utf8("\xC0\x80").replacements == 2);
  // Three-byte overlong of '/': E0 must be followed by A0..BF.
  CHECK(repair_utf8("\xE0\x80\xAF").text == fffd + fffd + fffd);
  // Four-byte overlong.
  CHECK(repair_utf8("\xF0\x80\x80\xAF").replacements == 4);
}

TEST_CASE("surrogates encoded in UTF-8 (CESU-8 / WTF-8) are replaced") {
  // A lone high surrogate U+D83D, and a pair that should have been one 4-byte sequence.
  CHECK_FALSE(is_valid_utf8("\xED\xA0\xBD"));
  CHECK(repair_utf8("\xED\xA0\xBD").text == fffd + fffd + fffd);
  CHECK(repair_utf8("x\xED\xA0\xBD\xED\xB8\xA2y").replacements == 6);
  // U+D7FF, just below the surrogates, is fine.
  CHECK(is_valid_utf8("\xED\x9F\xBF"));
}

TEST_CASE("code points above U+10FFFF are replaced") {
  CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));
  CHECK_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));
}

TEST_CASE("a truncated sequence becomes one replacement, and the next character survives") {
  // An emoji cut short by a broken SMS gateway, followed by text.
  const auto r = repair_utf8("hi \xF0\x9F\x98 there");
  CHECK(r.text == "hi " + fffd + " there");
  CHECK(r.replacements == 1);
  // Cut at the very end.
  CHECK(repair_utf8("end\xE2\x82").text == "end" + fffd);
}

TEST_CASE("repair output is always valid UTF-8") {
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes.push_back(static_cast<char>(i));
  const auto r = repair_utf8(all_bytes + all_bytes);
  CHECK(is_valid_utf8(r.text));
  CHECK(r.replaced());
}

TEST_CASE("lengths are bounded by bytes and by code points") {
  const std::string emoji = "\xF0\x9F\x98\xA2";  // 4 bytes, 1 code point
  CHECK(code_point_count(emoji + emoji + "ab") == 4);
  CHECK(check_length(emoji + emoji, 8, 2) == length_verdict::ok);
  CHECK(check_length(emoji + emoji, 7, 10) == length_verdict::too_many_bytes);
  CHECK(check_length("abc", 10, 2) == length_verdict::too_many_code_points);
  CHECK(check_length("", 0, 0) == length_verdict::ok);
}

TEST_CASE("truncation never cuts a character in half") {
  const std::string text = "ab\xE2\x82\xAC";  // "ab€"
  CHECK(truncate_utf8(text, 4) == "ab");
  CHECK(truncate_utf8(text, 5) == text);
  CHECK(truncate_utf8(text, 0).empty());
}

TEST_CASE("decoding and encoding round-trip, with U+FFFD for what cannot be encoded") {
  const std::u32string cps = decode_utf8("a\xC3\xA9\xF0\x9F\x98\xA2");
  CHECK(cps == U"a\u00E9\U0001F622");
  std::string out;
  for (const char32_t c : cps) append_utf8(out, c);
  CHECK(out == "a\xC3\xA9\xF0\x9F\x98\xA2");
  std::string bad;
  append_utf8(bad, 0xD800);
  append_utf8(bad, 0x110000);
  CHECK(bad == fffd + fffd);
}
