#include <catch2/catch.hpp>

#include "adapters/webhook_fields.hpp"

using namespace crisisline::adapters;

namespace {

constexpr form_limits limits{64 * 1024, 200};

form_body form(std::string_view body) {
  auto r = parse_form(body, limits);
  REQUIRE(std::holds_alternative<form_body>(r));
  return std::get<form_body>(std::move(r));
}

// By value: callers pass temporaries.
template <typename T>
T ok(std::variant<T, field_error> r) {
  if (const auto* e = std::get_if<field_error>(&r)) FAIL(e->describe());
  return std::get<T>(std::move(r));
}

template <typename T>
field_error err(std::variant<T, field_error> r) {
  REQUIRE(std::holds_alternative<field_error>(r));
  return std::get<field_error>(std::move(r));
}

constexpr std::string_view sms_sid = "SM0123456789abcdef0123456789abcdef";
constexpr std::string_view call_sid = "CA0123456789abcdef0123456789abcdef";

}  // namespace

TEST_CASE("an inbound SMS maps to its fields") {
  const auto f = form(
      "ToCountry=GB&ToState=&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=2"
      "&ToCity=&FromZip=&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=&SmsStatus=received"
      "&FromCity=&Body=Solent+I+can%27t+do+this+anymore&FromCountry=GB&To=%2B447700900000"
      "&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&ToZip=&NumSegments=1"
      "&MessageSid=SM0123456789abcdef0123456789abcdef"
      "&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B447700900123&ApiVersion=2010-04-01"
      "&MediaUrl1=https%3A%2F%2Fapi.example%2Fm1&MediaContentType1=image%2Fpng"
      "&MediaUrl0=https%3A%2F%2Fapi.example%2Fm0&MediaContentType0=image%2Fjpeg"
      "&SomeFieldAddedNextYear=whatever");
  const auto& m = ok(parse_inbound_sms(f));
  CHECK(m.message_sid == sms_sid);
  CHECK(m.account_sid == "AC0123456789abcdef0123456789abcdef");
  CHECK(m.messaging_service_sid == "MG0123456789abcdef0123456789abcdef");
  CHECK(m.from == "+447700900123");
  CHECK(m.to == "+447700900000");
  CHECK(m.body == "Solent I can't do this anymore");
  CHECK(m.num_segments == 1);
  CHECK(m.num_media == 2);
  REQUIRE(m.media.size() == 2);
  CHECK(m.media[0].url == "https://api.example/m0");
  CHECK(m.media[0].content_type == "image/jpeg");
  CHECK(m.media[1].url == "https://api.example/m1");
  CHECK(m.opt_out_type.empty());
}

TEST_CASE("a minimal inbound SMS is accepted and absent fields stay empty") {
  const auto& m = ok(parse_inbound_sms(form("MessageSid=SMx1&OptOutType=STOP")));
  CHECK(m.message_sid == "SMx1");
  CHECK(m.body.empty());
  CHECK_FALSE(m.num_segments.has_value());
  CHECK_FALSE(m.num_media.has_value());
  CHECK(m.media.empty());
  CHECK(m.opt_out_type == "STOP");
}

TEST_CASE("a body with NUL bytes and emoji is kept byte for byte") {
  const auto& m = ok(parse_inbound_sms(form("MessageSid=SMx1&Body=a%00b%F0%9F%98%A2")));
  CHECK(m.body == std::string("a\0b\xF0\x9F\x98\xA2", 7));
}

TEST_CASE("a missing or implausible MessageSid is an error naming it") {
  CHECK(err(parse_inbound_sms(form("Body=hello"))).describe() == "MessageSid: missing");
  CHECK(err(parse_inbound_sms(form("MessageSid=&Body=hello"))).field == "MessageSid");
  for (const char* bad : {"MessageSid=S", "MessageSid=SM", "MessageSid=12345", "MessageSid=SM+1",
                          "MessageSid=SM%0A1", "MessageSid=S1abc"}) {
    INFO(bad);
    const auto& e = err(parse_inbound_sms(form(bad)));
    CHECK(e.field == "MessageSid");
    CHECK_THAT(e.message, Catch::Contains("plausible"));
  }
  const std::string long_sid(65, 'a');
  CHECK(err(parse_inbound_sms(form("MessageSid=" + long_sid))).field == "MessageSid");
  CHECK(ok(parse_inbound_sms(form("MessageSid=" + long_sid.substr(1)))).message_sid.size() == 64);
}

TEST_CASE("any two-letter SID prefix is accepted, for compatible providers") {
  CHECK(plausible_sid("MM0123456789abcdef0123456789abcdef"));
  CHECK(plausible_sid("xy-4f1c_9"));
  CHECK_FALSE(plausible_sid("4f1c"));
}

TEST_CASE("numeric fields that do not parse are errors naming the field") {
  CHECK(err(parse_inbound_sms(form("MessageSid=SMx1&NumMedia=two"))).describe() ==
        "NumMedia: not a non-negative integer");
  CHECK(err(parse_inbound_sms(form("MessageSid=SMx1&NumSegments=-1"))).field == "NumSegments");
  CHECK(err(parse_inbound_sms(form("MessageSid=SMx1&NumSegments=1.5"))).field == "NumSegments");
  CHECK(err(parse_inbound_sms(form("MessageSid=SMx1&NumSegments=+1"))).field == "NumSegments");
  CHECK(err(parse_inbound_sms(form("MessageSid=SMx1&NumSegments=99999999999999999999"))).field ==
        "NumSegments");
  // Sent empty is the same as not sent.
  CHECK_FALSE(ok(parse_inbound_sms(form("MessageSid=SMx1&NumMedia="))).num_media.has_value());
}

TEST_CASE("media URLs are collected by index, ignoring look-alikes") {
  const auto& m = ok(parse_inbound_sms(
      form("MessageSid=SMx1&MediaUrl10=j&MediaUrl2=c&MediaUrlX=no&MediaUrl=no&MediaUrl1234=no")));
  REQUIRE(m.media.size() == 2);
  CHECK(m.media[0].url == "c");
  CHECK(m.media[1].url == "j");
}

TEST_CASE("an SMS status callback maps status and error code") {
  const auto& s = ok(parse_sms_status(
      form("MessageSid=SM0123456789abcdef0123456789abcdef&MessageStatus=undelivered&ErrorCode=21610"
           "&AccountSid=ACx1&To=%2B447700900123")));
  CHECK(s.message_sid == sms_sid);
  CHECK(s.status == message_status::undelivered);
  CHECK(s.status_text == "undelivered");
  CHECK(s.error_code == 21610);
  CHECK(s.account_sid == "ACx1");
}

TEST_CASE("an unknown delivery status is kept as text, not rejected") {
  const auto& s = ok(parse_sms_status(form("MessageSid=SMx1&MessageStatus=partially_delivered")));
  CHECK(s.status == message_status::unknown);
  CHECK(s.status_text == "partially_delivered");
  CHECK_FALSE(s.error_code.has_value());
  CHECK(ok(parse_sms_status(form("MessageSid=SMx1&SmsStatus=sent"))).status ==
        message_status::sent);
}

TEST_CASE("status callback errors name the field") {
  CHECK(err(parse_sms_status(form("MessageStatus=sent"))).field == "MessageSid");
  CHECK(err(parse_sms_status(form("MessageSid=SMx1&ErrorCode=oops"))).field == "ErrorCode");
}

TEST_CASE("an incoming call maps to its fields") {
  const auto& v = ok(parse_voice_webhook(
      form("CallSid=CA0123456789abcdef0123456789abcdef&AccountSid=ACx1&From=anonymous"
           "&To=%2B441234567890&CallStatus=ringing&Direction=inbound"
           "&ForwardedFrom=%2B441111111111&Caller=anonymous&ApiVersion=2010-04-01")));
  CHECK(v.call_sid == call_sid);
  CHECK(v.from == "anonymous");
  CHECK(v.to == "+441234567890");
  CHECK(v.status == call_status::ringing);
  CHECK(v.direction == "inbound");
  CHECK(v.forwarded_from == "+441111111111");
  CHECK(v.digits.empty());
  CHECK_FALSE(v.sequence_number.has_value());
}

TEST_CASE("a gather action carries the digit pressed") {
  const auto& v = ok(parse_voice_webhook(form("CallSid=CAx1&Digits=1&CallStatus=in-progress")));
  CHECK(v.digits == "1");
  CHECK(v.status == call_status::in_progress);
}

TEST_CASE("a call status callback carries sequence, timestamp and duration") {
  const auto& v = ok(
      parse_voice_webhook(form("CallSid=CAx1&CallStatus=completed&SequenceNumber=3&CallDuration=125"
                               "&Timestamp=Tue%2C+10+Jan+2023+13%3A03%3A53+%2B0000")));
  CHECK(v.status == call_status::completed);
  CHECK(v.sequence_number == 3);
  CHECK(v.call_duration_seconds == 125);
  CHECK(v.timestamp == "Tue, 10 Jan 2023 13:03:53 +0000");
}

TEST_CASE("every call status parses and others are unknown") {
  CHECK(parse_call_status("queued") == call_status::queued);
  CHECK(parse_call_status("busy") == call_status::busy);
  CHECK(parse_call_status("failed") == call_status::failed);
  CHECK(parse_call_status("no-answer") == call_status::no_answer);
  CHECK(parse_call_status("canceled") == call_status::canceled);
  CHECK(parse_call_status("Completed") == call_status::unknown);
  CHECK(parse_call_status("") == call_status::unknown);
}

TEST_CASE("voice webhook errors name the field") {
  CHECK(err(parse_voice_webhook(form("From=%2B447700900123"))).describe() == "CallSid: missing");
  CHECK(err(parse_voice_webhook(form("CallSid=CAx1&SequenceNumber=x"))).field == "SequenceNumber");
  CHECK(err(parse_voice_webhook(form("CallSid=CAx1&CallDuration=1m"))).field == "CallDuration");
}
