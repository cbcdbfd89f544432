#include "adapters/utf8.hpp"

namespace crisisline::adapters {
namespace {

struct decoded {
  char32_t code_point;
  // Bytes consumed: the whole sequence when valid, the maximal ill-formed
  // subpart (at least 1) when not.
  std::size_t length;
  bool valid;
};

constexpr bool in(unsigned char b, unsigned char lo, unsigned char hi) {
  return b >= lo && b <= hi;
}

// Table 3-7 of the Unicode standard: the second byte's range depends on the
// first so overlongs, surrogates and values above U+10FFFF are rejected by
// range checks alone.
decoded decode_one(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {b0, 1, true};
  std::size_t need = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t cp = 0;
  if (in(b0, 0xC2, 0xDF)) {
    need = 1;
    cp = b0 & 0x1Fu;
  } else if (in(b0, 0xE0, 0xEF)) {
    need = 2;
    cp = b0 & 0x0Fu;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (in(b0, 0xF0, 0xF4)) {
    need = 3;
    cp = b0 & 0x07u;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return {replacement_character, 1, false};
  }
  std::size_t used = 1;
  for (std::size_t k = 0; k < need; ++k) {
    if (i + used >= s.size()) return {replacement_character, used, false};
    const auto b = static_cast<unsigned char>(s[i + used]);
    if (!in(b, lo, hi)) return {replacement_character, used, false};
    cp = (cp << 6) | (b & 0x3Fu);
    ++used;
    lo = 0x80;
    hi = 0xBF;
  }
  return {cp, used, true};
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t i = 0; i < bytes.size();) {
    const auto d = decode_one(bytes, i);
    if (!d.valid) return false;
    i += d.length;
  }
  return true;
}

repaired_utf8 repair_utf8(std::string_view bytes) {
  repaired_utf8 out;
  out.text.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const auto d = decode_one(bytes, i);
    if (d.valid) {
      out.text.append(bytes.substr(i, d.length));
    } else {
      append_utf8(out.text, replacement_character);
      ++out.replacements;
    }
    i += d.length;
  }
  return out;
}

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const auto d = decode_one(bytes, i);
    out.push_back(d.code_point);
    i += d.length;
  }
  return out;
}

void append_utf8(std::string& out, char32_t cp) {
  if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) cp = replacement_character;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::size_t code_point_count(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++n) i += decode_one(text, i).length;
  return n;
}

length_verdict check_length(std::string_view text, std::size_t max_bytes,
                            std::size_t max_code_points) {
  if (text.size() > max_bytes) return length_verdict::too_many_bytes;
  // Each code point takes at least one byte, so short text needs no decoding.
  if (text.size() <= max_code_points) return length_verdict::ok;
  if (code_point_count(text) > max_code_points) return length_verdict::too_many_code_points;
  return length_verdict::ok;
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto d = decode_one(text, i);
    if (i + d.length > max_bytes) break;
    i += d.length;
    end = i;
  }
  return text.substr(0, end);
}

}  // namespace crisisline::adapters
