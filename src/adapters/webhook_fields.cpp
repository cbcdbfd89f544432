#include "adapters/webhook_fields.hpp"

#include <algorithm>
#include <charconv>
#include <map>

namespace crisisline::adapters {
namespace {

constexpr std::size_t max_sid_length = 64;
// Twilio sends at most 10 media items; the bound keeps a hostile form from
// making us build an enormous index.
constexpr std::size_t max_media_index_digits = 3;

bool ascii_alpha(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
bool ascii_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string get(const form_body& form, std::string_view name) {
  return std::string(form.value_or(name, ""));
}

std::optional<field_error> require_sid(const form_body& form, std::string_view name,
                                       std::string& out) {
  const auto v = form.find(name);
  if (!v || v->empty()) return field_error{std::string(name), "missing"};
  if (!plausible_sid(*v)) {
    return field_error{
        std::string(name),
        "not a plausible id (two letters, then letters, digits, '-' or '_', at most " +
            std::to_string(max_sid_length) + " characters)"};
  }
  out = std::string(*v);
  return std::nullopt;
}

std::optional<field_error> read_count(const form_body& form, std::string_view name,
                                      std::optional<std::int64_t>& out) {
  const auto v = form.find(name);
  if (!v || v->empty()) return std::nullopt;
  std::int64_t n = 0;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc{} || end != v->data() + v->size() || n < 0) {
    return field_error{std::string(name), "not a non-negative integer"};
  }
  out = n;
  return std::nullopt;
}

std::vector<media_item> read_media(const form_body& form) {
  constexpr std::string_view prefix = "MediaUrl";
  std::map<int, media_item> by_index;
  for (const auto& [name, value] : form) {
    if (!name.starts_with(prefix)) continue;
    const std::string_view index = std::string_view(name).substr(prefix.size());
    if (index.empty() || index.size() > max_media_index_digits ||
        !std::all_of(index.begin(), index.end(), ascii_digit)) {
      continue;
    }
    auto& item = by_index[std::stoi(std::string(index))];
    if (!item.url.empty()) continue;
    item.url = value;
    item.content_type = get(form, "MediaContentType" + std::string(index));
  }
  std::vector<media_item> out;
  out.reserve(by_index.size());
  for (auto& [i, item] : by_index) out.push_back(std::move(item));
  return out;
}

}  // namespace

std::string field_error::describe() const {
  return field + ": " + message;
}

bool plausible_sid(std::string_view sid) {
  if (sid.size() < 3 || sid.size() > max_sid_length) return false;
  if (!ascii_alpha(sid[0]) || !ascii_alpha(sid[1])) return false;
  return std::all_of(sid.begin() + 2, sid.end(), [](char c) {
    return ascii_alpha(c) || ascii_digit(c) || c == '-' || c == '_';
  });
}

message_status parse_message_status(std::string_view s) {
  if (s == "accepted") return message_status::accepted;
  if (s == "queued") return message_status::queued;
  if (s == "sending") return message_status::sending;
  if (s == "sent") return message_status::sent;
  if (s == "delivered") return message_status::delivered;
  if (s == "undelivered") return message_status::undelivered;
  if (s == "failed") return message_status::failed;
  if (s == "receiving") return message_status::receiving;
  if (s == "received") return message_status::received;
  if (s == "read") return message_status::read;
  if (s == "canceled") return message_status::canceled;
  if (s == "scheduled") return message_status::scheduled;
  return message_status::unknown;
}

call_status parse_call_status(std::string_view s) {
  if (s == "queued") return call_status::queued;
  if (s == "ringing") return call_status::ringing;
  if (s == "in-progress") return call_status::in_progress;
  if (s == "completed") return call_status::completed;
  if (s == "busy") return call_status::busy;
  if (s == "failed") return call_status::failed;
  if (s == "no-answer") return call_status::no_answer;
  if (s == "canceled") return call_status::canceled;
  return call_status::unknown;
}

std::variant<inbound_sms, field_error> parse_inbound_sms(const form_body& form) {
  inbound_sms m;
  if (auto e = require_sid(form, "MessageSid", m.message_sid)) return *e;
  if (auto e = read_count(form, "NumSegments", m.num_segments)) return *e;
  if (auto e = read_count(form, "NumMedia", m.num_media)) return *e;
  m.account_sid = get(form, "AccountSid");
  m.messaging_service_sid = get(form, "MessagingServiceSid");
  m.from = get(form, "From");
  m.to = get(form, "To");
  m.body = get(form, "Body");
  m.media = read_media(form);
  m.opt_out_type = get(form, "OptOutType");
  return m;
}

std::variant<sms_status_callback, field_error> parse_sms_status(const form_body& form) {
  sms_status_callback s;
  if (auto e = require_sid(form, "MessageSid", s.message_sid)) return *e;
  if (auto e = read_count(form, "ErrorCode", s.error_code)) return *e;
  s.account_sid = get(form, "AccountSid");
  // Older callbacks name it SmsStatus.
  s.status_text = get(form, form.contains("MessageStatus") ? "MessageStatus" : "SmsStatus");
  s.status = parse_message_status(s.status_text);
  return s;
}

std::variant<voice_webhook, field_error> parse_voice_webhook(const form_body& form) {
  voice_webhook v;
  if (auto e = require_sid(form, "CallSid", v.call_sid)) return *e;
  if (auto e = read_count(form, "SequenceNumber", v.sequence_number)) return *e;
  if (auto e = read_count(form, "CallDuration", v.call_duration_seconds)) return *e;
  v.account_sid = get(form, "AccountSid");
  v.from = get(form, "From");
  v.to = get(form, "To");
  v.status_text = get(form, "CallStatus");
  v.status = parse_call_status(v.status_text);
  v.direction = get(form, "Direction");
  v.forwarded_from = get(form, "ForwardedFrom");
  v.digits = get(form, "Digits");
  v.timestamp = get(form, "Timestamp");
  return v;
}

}  // namespace crisisline::adapters
