// libFuzzer target for the UTF-8 repairer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/utf8.hpp"

using namespace crisisline::adapters;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto r = repair_utf8(in);
  const bool valid = is_valid_utf8(in);
  // Repair always yields valid UTF-8, changes valid input not at all, and
  // keeps one code point per code point (or ill-formed subsequence) read.
  if (!is_valid_utf8(r.text)) std::abort();
  if (valid != !r.replaced()) std::abort();
  if (valid && r.text != in) std::abort();
  if (code_point_count(r.text) != code_point_count(in)) std::abort();
  if (decode_utf8(in).size() != code_point_count(in)) std::abort();
  // Repairing twice changes nothing more.
  if (repair_utf8(r.text).text != r.text) std::abort();
  const auto cut = truncate_utf8(r.text, size / 2);
  if (cut.size() > size / 2 || !is_valid_utf8(cut)) std::abort();
  return 0;
}
