#include "ingest_body.hpp"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <functional>

#include "crisisline/v1/event.pb.h"

namespace crisisline::loadgen {
namespace {

// A Twilio-looking MessageSid: "SM" + 32 hex digits.
std::string message_id(std::string_view run_id, std::uint64_t n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "SM%016llx%016llx",
                static_cast<unsigned long long>(std::hash<std::string_view>{}(run_id)),
                static_cast<unsigned long long>(n));
  return buf;
}

std::string sender(std::uint64_t n) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "+4477009%05llu", static_cast<unsigned long long>(n % 100000));
  return buf;
}

}  // namespace

std::string_view content_type(body_format format) {
  switch (format) {
    case body_format::proto:
      return "application/x-protobuf";
    case body_format::json:
      return "application/json";
  }
  return "application/octet-stream";
}

std::string make_batch(body_format format, std::string_view source, std::string_view run_id,
                       std::uint64_t first, std::uint32_t count) {
  switch (format) {
    case body_format::proto: {
      crisisline::v1::EventBatch batch;
      for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t n = first + i;
        auto* event = batch.add_events();
        event->set_source(std::string(source));
        event->set_source_event_id(std::string(run_id) + "-" + std::to_string(n));
        auto* text = event->mutable_text();
        text->set_message_id(message_id(run_id, n));
        text->set_from(sender(n));
        text->set_to("+447700900000");
        text->set_body("loadgen message " + std::to_string(n));
        text->set_num_segments(1);
      }
      return batch.SerializeAsString();
    }
    case body_format::json: {
      // Built by hand: protobuf's JSON printer would cost more client CPU than
      // the server spends parsing, on a machine whose cores the two share.
      std::string out = "{\"events\":[";
      for (std::uint32_t i = 0; i < count; ++i) {
        const std::uint64_t n = first + i;
        if (i != 0) out += ',';
        out += "{\"source\":\"";
        out += source;
        out += "\",\"sourceEventId\":\"";
        out += run_id;
        out += '-';
        out += std::to_string(n);
        out += "\",\"text\":{\"messageId\":\"";
        out += message_id(run_id, n);
        out += "\",\"from\":\"";
        out += sender(n);
        out += "\",\"to\":\"+447700900000\",\"body\":\"loadgen message ";
        out += std::to_string(n);
        out += "\",\"numSegments\":1}}";
      }
      out += "]}";
      return out;
    }
  }
  return {};
}

ingest_outcome parse_response(body_format format, std::string_view body, std::uint32_t expected) {
  ingest_outcome outcome;
  crisisline::v1::IngestResponse response;
  switch (format) {
    case body_format::proto:
      if (!response.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
        outcome.error = "unparsable protobuf IngestResponse";
        return outcome;
      }
      break;
    case body_format::json: {
      auto status = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(body.data(), body.size()), &response);
      if (!status.ok()) {
        outcome.error = "unparsable JSON IngestResponse: " + status.ToString();
        return outcome;
      }
      break;
    }
  }
  if (static_cast<std::uint32_t>(response.results_size()) != expected) {
    outcome.error = "expected " + std::to_string(expected) + " results, got " +
                    std::to_string(response.results_size());
    return outcome;
  }
  for (const auto& result : response.results()) {
    if (result.seq() == 0) {
      outcome.error = "result without seq";
      return outcome;
    }
    switch (result.status()) {
      case crisisline::v1::IngestResult::COMMITTED:
        ++outcome.committed;
        break;
      case crisisline::v1::IngestResult::DUPLICATE:
        ++outcome.duplicate;
        break;
      case crisisline::v1::IngestResult::STATUS_UNSPECIFIED:
      case crisisline::v1::IngestResult_Status_IngestResult_Status_INT_MIN_SENTINEL_DO_NOT_USE_:
      case crisisline::v1::IngestResult_Status_IngestResult_Status_INT_MAX_SENTINEL_DO_NOT_USE_:
        outcome.error = "result with status " + std::to_string(result.status());
        return outcome;
    }
  }
  outcome.ok = true;
  return outcome;
}

}  // namespace crisisline::loadgen
