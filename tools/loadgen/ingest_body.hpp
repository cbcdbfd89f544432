#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace crisisline::loadgen {

enum class body_format { proto, json };

std::string_view content_type(body_format format);

// Builds an EventBatch of `count` text events whose source_event_ids are
// "<run_id>-<first>", "<run_id>-<first+1>", ...: unique per run, so every
// acknowledgement must be COMMITTED.
std::string make_batch(body_format format, std::string_view source, std::string_view run_id,
                       std::uint64_t first, std::uint32_t count);

struct ingest_outcome {
  bool ok = false;
  std::uint32_t committed = 0;
  std::uint32_t duplicate = 0;
  // Why `ok` is false: unparsable body, wrong number of results, unknown status.
  std::string error;
};

// Checks a 200 response body against the batch size that was sent.
ingest_outcome parse_response(body_format format, std::string_view body, std::uint32_t expected);

}  // namespace crisisline::loadgen
