// libFuzzer target for configuration loading (protobuf text format + checks).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "codec/config_loader.hpp"

using namespace crisisline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = codec::parse_config(text, "fuzz");
  if (const auto* e = std::get_if<codec::config_error>(&r)) {
    // Every error must say what is wrong.
    if (e->message.empty()) std::abort();
  }
  return 0;
}
