#include <catch2/catch.hpp>

#include <string>

#include "adapters/twiml.hpp"

using namespace crisisline::adapters;
using namespace std::string_literals;

namespace {

constexpr std::string_view decl = R"(<?xml version="1.0" encoding="UTF-8"?>)";

std::string doc(std::string_view inner) {
  return std::string(decl) + std::string(inner);
}

}  // namespace

TEST_CASE("an empty response acknowledges without doing anything") {
  CHECK(twiml::empty_response() == doc("<Response/>"));
}

TEST_CASE("a text reply is escaped so the person reads exactly what was written") {
  CHECK(twiml::message_reply("Thanks. We'll reply soon. In danger? Call 999 & <stay safe>") ==
        doc("<Response><Message>Thanks. We&apos;ll reply soon. In danger? Call 999 &amp; "
            "&lt;stay safe&gt;</Message></Response>"));
}

TEST_CASE("text that XML cannot carry is replaced instead of breaking the reply") {
  const std::string out = twiml::message_reply("a\0b\x01\tc\xFF"s);
  CHECK(out == doc("<Response><Message>a\xEF\xBF\xBD"
                   "b\xEF\xBF\xBD\tc\xEF\xBF\xBD</Message></Response>"));
  // Emoji and other non-BMP characters are fine in XML and kept.
  CHECK_THAT(twiml::message_reply("\xF0\x9F\x92\x99"), Catch::Contains("\xF0\x9F\x92\x99"));
}

TEST_CASE("a caller hears the hold message, then waits in the queue") {
  CHECK(twiml::hold_in_queue("You are through to the crisis line.", "solent",
                             "/v1/webhooks/twilio/voice/wait?area=solent&x=1") ==
        doc(R"(<Response><Say>You are through to the crisis line.</Say>)"
            R"(<Enqueue waitUrl="/v1/webhooks/twilio/voice/wait?area=solent&amp;x=1" )"
            R"(waitUrlMethod="POST">solent</Enqueue></Response>)"));
  CHECK(twiml::hold_in_queue("", "q", "") == doc("<Response><Enqueue>q</Enqueue></Response>"));
}

TEST_CASE("the first answer offers 'press 1' then falls through to the queue") {
  CHECK(twiml::danger_menu_then_queue("If you are in immediate danger, press 1.",
                                      "/v1/webhooks/twilio/voice/gather", "Please hold.", "pool",
                                      "") ==
        doc(R"(<Response><Gather numDigits="1" action="/v1/webhooks/twilio/voice/gather" )"
            R"(method="POST" timeout="5"><Say>If you are in immediate danger, press 1.</Say>)"
            R"(</Gather><Say>Please hold.</Say><Enqueue>pool</Enqueue></Response>)"));
}

TEST_CASE("the wait URL repeats the hold message with a pause") {
  CHECK(
      twiml::hold_message_loop("A nurse will be with you soon.", 20) ==
      doc(R"(<Response><Say>A nurse will be with you soon.</Say><Pause length="20"/></Response>)"));
}

TEST_CASE("a nurse endpoint can be a number, a SIP URI or a client") {
  CHECK(twiml::dial_nurse({twiml::endpoint_kind::number, "+447700900123"}, 20,
                          "/v1/webhooks/twilio/voice/dial?offer=7") ==
        doc(R"(<Response><Dial timeout="20" action="/v1/webhooks/twilio/voice/dial?offer=7">)"
            R"(<Number>+447700900123</Number></Dial></Response>)"));
  CHECK_THAT(
      twiml::dial_nurse({twiml::endpoint_kind::sip, "sip:nurse7@pbx.example?x=1&y=2"}, 15, ""),
      Catch::Contains(
          R"(<Dial timeout="15"><Sip>sip:nurse7@pbx.example?x=1&amp;y=2</Sip></Dial>)"));
  CHECK_THAT(twiml::dial_nurse({twiml::endpoint_kind::client, "nurse-7"}, 20, ""),
             Catch::Contains("<Client>nurse-7</Client>"));
}

TEST_CASE("attribute values cannot break out of their quotes") {
  const std::string out =
      twiml::render({twiml::say{"hi", "Polly.Amy\" onload=\"x", "en-GB"}, twiml::hangup{}});
  CHECK(out ==
        doc(R"(<Response><Say voice="Polly.Amy&quot; onload=&quot;x" language="en-GB">hi</Say>)"
            R"(<Hangup/></Response>)"));
}

TEST_CASE("verbs render in order") {
  const std::string out =
      twiml::render({twiml::message{"one"}, twiml::redirect{"/next"}, twiml::pause{2}});
  CHECK(out == doc(R"(<Response><Message>one</Message><Redirect method="POST">/next</Redirect>)"
                   R"(<Pause length="2"/></Response>)"));
}
