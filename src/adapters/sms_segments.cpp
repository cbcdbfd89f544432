#include "adapters/sms_segments.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "adapters/utf8.hpp"

namespace crisisline::adapters {
namespace {

// Non-ASCII characters of the GSM 03.38 basic table.
constexpr std::array<char32_t, 39> basic_non_ascii = {
    U'£', U'¥', U'è', U'é', U'ù', U'ì', U'ò', U'Ç', U'Ø', U'ø', U'Å', U'å', U'Δ',
    U'Φ', U'Γ', U'Λ', U'Ω', U'Π', U'Ψ', U'Σ', U'Θ', U'Ξ', U'Æ', U'æ', U'ß', U'É',
    U'¤', U'¡', U'Ä', U'Ö', U'Ñ', U'Ü', U'§', U'¿', U'ä', U'ö', U'ñ', U'ü', U'à'};

// Reached through the escape septet, so each costs two.
constexpr std::u32string_view extension = U"\f^{}\\[~]|€";

constexpr std::size_t gsm7_single = 160;
constexpr std::size_t gsm7_multi = 153;
constexpr std::size_t ucs2_single = 70;
constexpr std::size_t ucs2_multi = 67;

// Fills segments of `per_segment` units in order without splitting a
// character, as handsets and providers do.
template <typename UnitsOf>
std::size_t pack(const std::u32string& chars, std::size_t per_segment, UnitsOf units_of) {
  std::size_t segments = 1;
  std::size_t used = 0;
  for (const char32_t c : chars) {
    const std::size_t u = units_of(c);
    if (used + u > per_segment) {
      ++segments;
      used = 0;
    }
    used += u;
  }
  return segments;
}

}  // namespace

int gsm7_septets(char32_t c) {
  if (c == U'\n' || c == U'\r') return 1;
  if (c >= 0x20 && c < 0x7F) {
    if (c == U'`') return 0;
    return extension.find(c) == std::u32string_view::npos ? 1 : 2;
  }
  if (extension.find(c) != std::u32string_view::npos) return 2;
  return std::find(basic_non_ascii.begin(), basic_non_ascii.end(), c) != basic_non_ascii.end() ? 1
                                                                                               : 0;
}

sms_segmentation count_sms_segments(std::string_view text) {
  const std::u32string chars = decode_utf8(text);
  const bool gsm =
      std::all_of(chars.begin(), chars.end(), [](char32_t c) { return gsm7_septets(c) > 0; });
  sms_segmentation out;
  if (gsm) {
    const auto septets = [](char32_t c) { return static_cast<std::size_t>(gsm7_septets(c)); };
    out.encoding = sms_encoding::gsm7;
    for (const char32_t c : chars) out.units += septets(c);
    out.segments = out.units <= gsm7_single ? 1 : pack(chars, gsm7_multi, septets);
  } else {
    const auto code_units = [](char32_t c) -> std::size_t { return c > 0xFFFF ? 2 : 1; };
    out.encoding = sms_encoding::ucs2;
    for (const char32_t c : chars) out.units += code_units(c);
    out.segments = out.units <= ucs2_single ? 1 : pack(chars, ucs2_multi, code_units);
  }
  return out;
}

}  // namespace crisisline::adapters
