// libFuzzer target for native ingest: an EventBatch body in protobuf binary or
// JSON (first byte selects), checked and converted as POST /v1/events does.
#include <google/protobuf/util/json_util.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "codec/event_codec.hpp"

using namespace crisisline;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  v1::EventBatch batch;
  const bool ok = (data[0] & 1) ? batch.ParseFromString(body)
                                : google::protobuf::util::JsonStringToMessage(body, &batch).ok();
  if (!ok) return 0;
  for (const auto& e : batch.events()) {
    if (codec::ingest_problem(e)) continue;
    const auto c = codec::to_core(e);
    (void)codec::payload_kind(e);
    (void)codec::actor_label(e.actor());
    (void)c;
  }
  return 0;
}
