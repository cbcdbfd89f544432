#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "adapters/form_body.hpp"

// Twilio-compatible webhook forms mapped to plain structs (DOMAIN.md §6).
// Parameters we don't know are ignored, never rejected: providers add them
// without notice. Strings are kept as sent (not UTF-8 checked; see utf8.hpp).
// Pure; any thread.
namespace crisisline::adapters {

struct field_error {
  // The parameter at fault, e.g. "MessageSid".
  std::string field;
  std::string message;

  // "MessageSid: missing"
  [[nodiscard]] std::string describe() const;
};

struct media_item {
  std::string url;
  // MediaContentType{N}; empty when not sent.
  std::string content_type;
};

struct inbound_sms {
  std::string message_sid;
  std::string account_sid;
  std::string messaging_service_sid;
  std::string from;
  std::string to;
  std::string body;
  std::optional<std::int64_t> num_segments;
  std::optional<std::int64_t> num_media;
  // Every MediaUrl{N} sent, by N, whatever NumMedia says.
  std::vector<media_item> media;
  // "STOP", "START" or "HELP" when the provider's own opt-out handling
  // matched; empty otherwise.
  std::string opt_out_type;
};

enum class message_status {
  accepted,
  queued,
  sending,
  sent,
  delivered,
  undelivered,
  failed,
  receiving,
  received,
  read,
  canceled,
  scheduled,
  unknown,
};

struct sms_status_callback {
  std::string message_sid;
  std::string account_sid;
  message_status status = message_status::unknown;
  // As sent, so an unknown status can still be recorded.
  std::string status_text;
  // 21610: the recipient opted out at the carrier.
  std::optional<std::int64_t> error_code;
};

enum class call_status {
  queued,
  ringing,
  in_progress,
  completed,
  busy,
  failed,
  no_answer,
  canceled,
  unknown,
};

// An incoming-call webhook, a <Gather> action or a call status callback: the
// same parameters, the later ones adding Digits or Timestamp, SequenceNumber
// and CallDuration.
struct voice_webhook {
  std::string call_sid;
  std::string account_sid;
  std::string from;
  std::string to;
  call_status status = call_status::unknown;
  std::string status_text;
  // "inbound", "outbound-api", "outbound-dial".
  std::string direction;
  std::string forwarded_from;
  std::string digits;
  // Status callbacks may arrive out of order; this orders them per call.
  std::optional<std::int64_t> sequence_number;
  // RFC 2822 date as sent, e.g. "Tue, 10 Jan 2023 13:03:53 +0000".
  std::string timestamp;
  std::optional<std::int64_t> call_duration_seconds;
};

// Errors: the SID (MessageSid / CallSid) missing or implausible (two ASCII
// letters, then letters, digits, '-' or '_', at most 64 in all), or a numeric
// field present but not a non-negative decimal integer. An empty numeric
// field counts as absent.
[[nodiscard]] std::variant<inbound_sms, field_error> parse_inbound_sms(const form_body& form);
[[nodiscard]] std::variant<sms_status_callback, field_error> parse_sms_status(
    const form_body& form);
[[nodiscard]] std::variant<voice_webhook, field_error> parse_voice_webhook(const form_body& form);

[[nodiscard]] bool plausible_sid(std::string_view sid);
[[nodiscard]] message_status parse_message_status(std::string_view s);
[[nodiscard]] call_status parse_call_status(std::string_view s);

}  // namespace crisisline::adapters
