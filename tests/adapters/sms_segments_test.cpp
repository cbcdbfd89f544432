#include <catch2/catch.hpp>

#include <string>

#include "adapters/sms_segments.hpp"

using namespace crisisline::adapters;

namespace {

std::string repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

const std::string euro = "\xE2\x82\xAC";
const std::string emoji = "\xF0\x9F\x98\xA2";  // U+1F622, a surrogate pair in UTF-16
const std::string cyrillic = "\xD0\xB4";       // U+0434

}  // namespace

TEST_CASE("plain English is GSM-7 and fits 160 characters in one segment") {
  const auto s = count_sms_segments("We have your message. A nurse will reply soon.");
  CHECK(s.encoding == sms_encoding::gsm7);
  CHECK(s.units == 46);
  CHECK(s.segments == 1);
  CHECK(count_sms_segments(repeat("a", 160)).segments == 1);
}

TEST_CASE("longer GSM-7 texts split into 153-septet segments") {
  CHECK(count_sms_segments(repeat("a", 161)).segments == 2);
  CHECK(count_sms_segments(repeat("a", 306)).segments == 2);
  CHECK(count_sms_segments(repeat("a", 307)).segments == 3);
}

TEST_CASE("the GSM basic set includes accented letters, Greek capitals and symbols") {
  const auto s =
      count_sms_segments("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\r\n");
  CHECK(s.encoding == sms_encoding::gsm7);
  CHECK(s.units == 64);
}

TEST_CASE("extension characters stay GSM-7 but count as two septets") {
  const auto s = count_sms_segments("{[~]}|\\^" + euro + "\f");
  CHECK(s.encoding == sms_encoding::gsm7);
  CHECK(s.units == 20);
  CHECK(count_sms_segments(repeat(euro, 80)).segments == 1);
  CHECK(count_sms_segments(repeat(euro, 81)).segments == 2);
}

TEST_CASE("an escape pair is never split across segments") {
  // 306 septets would be two segments, but the euro sign cannot straddle the boundary.
  const auto s = count_sms_segments(repeat("a", 152) + euro + repeat("a", 152));
  CHECK(s.units == 306);
  CHECK(s.segments == 3);
}

TEST_CASE("one emoji turns the whole text into UCS-2") {
  const auto s = count_sms_segments("I'm not ok " + emoji);
  CHECK(s.encoding == sms_encoding::ucs2);
  // 11 characters + a surrogate pair.
  CHECK(s.units == 13);
  CHECK(s.segments == 1);
}

TEST_CASE("a phone's curly apostrophe or a tab is enough for UCS-2") {
  CHECK(count_sms_segments("I\xE2\x80\x99m scared").encoding == sms_encoding::ucs2);
  CHECK(count_sms_segments("a\tb").encoding == sms_encoding::ucs2);
  CHECK(count_sms_segments("`").encoding == sms_encoding::ucs2);
}

TEST_CASE("UCS-2 fits 70 units in one segment, 67 per segment after that") {
  CHECK(count_sms_segments(repeat(cyrillic, 70)).segments == 1);
  CHECK(count_sms_segments(repeat(cyrillic, 71)).segments == 2);
  CHECK(count_sms_segments(repeat(cyrillic, 134)).segments == 2);
  CHECK(count_sms_segments(repeat(cyrillic, 135)).segments == 3);
  CHECK(count_sms_segments(repeat(emoji, 35)).segments == 1);
  CHECK(count_sms_segments(repeat(emoji, 35)).units == 70);
  CHECK(count_sms_segments(repeat(emoji, 36)).segments == 2);
}

TEST_CASE("a surrogate pair is never split across segments") {
  const auto s = count_sms_segments(repeat("a", 66) + emoji + repeat("a", 66));
  CHECK(s.units == 134);
  CHECK(s.segments == 3);
}

TEST_CASE("empty and invalid text") {
  const auto empty = count_sms_segments("");
  CHECK(empty.encoding == sms_encoding::gsm7);
  CHECK(empty.units == 0);
  CHECK(empty.segments == 1);
  const auto bad = count_sms_segments("ok\xFF");
  CHECK(bad.encoding == sms_encoding::ucs2);
  CHECK(bad.units == 3);
}

TEST_CASE("septet costs per character") {
  CHECK(gsm7_septets(U'a') == 1);
  CHECK(gsm7_septets(U'€') == 2);
  CHECK(gsm7_septets(U'ç') == 0);
  CHECK(gsm7_septets(U'\0') == 0);
}
