#pragma once

#include <cstddef>
#include <string_view>

// How many SMS segments a text costs (and how long a reply may be before it
// splits). Pure; any thread.
namespace crisisline::adapters {

enum class sms_encoding {
  // GSM 03.38 default alphabet: 7-bit septets.
  gsm7,
  // Anything outside it (one emoji is enough): UTF-16 code units.
  ucs2,
};

struct sms_segmentation {
  sms_encoding encoding = sms_encoding::gsm7;
  // Septets for gsm7 (extension-table characters such as '€' and '{' take 2),
  // UTF-16 code units for ucs2 (characters outside the BMP take 2).
  std::size_t units = 0;
  // 160 septets / 70 units fit in one segment; longer texts carry a header
  // and hold 153 / 67 per segment. A character is never split across
  // segments, so a segment may hold one unit less than that. An empty text
  // still occupies one segment.
  std::size_t segments = 1;
};

// `text` is UTF-8; invalid bytes count as U+FFFD (which forces ucs2).
[[nodiscard]] sms_segmentation count_sms_segments(std::string_view text);

// Septets `c` takes in the GSM 03.38 default alphabet with its extension
// table: 1, 2, or 0 when it is not representable.
[[nodiscard]] int gsm7_septets(char32_t c);

}  // namespace crisisline::adapters
