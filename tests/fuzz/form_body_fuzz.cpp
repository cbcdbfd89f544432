// libFuzzer target for parse_form (built with -DCRISISLINE_FUZZ=ON; see tests/fuzz/CMakeLists.txt).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/form_body.hpp"

using namespace crisisline::adapters;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  constexpr form_limits limits{4096, 64};
  const auto r = parse_form(body, limits);
  if (const auto* f = std::get_if<form_body>(&r)) {
    if (body.size() > limits.max_bytes || f->size() > limits.max_params) std::abort();
    // What we parsed must re-encode to something that parses to the same thing.
    const auto again = parse_form(encode_form(*f), form_limits{1 << 20, limits.max_params});
    const auto* g = std::get_if<form_body>(&again);
    if (g == nullptr || g->params() != f->params()) std::abort();
  } else {
    const auto& e = std::get<form_error>(r);
    if (e.message.empty() || e.offset > body.size()) std::abort();
  }
  return 0;
}
