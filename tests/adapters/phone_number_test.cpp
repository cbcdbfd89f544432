#include <catch2/catch.hpp>

#include "adapters/phone_number.hpp"

using namespace crisisline::adapters;

TEST_CASE("an E.164 number is recognised and normalised") {
  const auto s = classify_sender("+447700900123");
  CHECK(s.kind == sender_kind::e164);
  CHECK(s.e164 == "+447700900123");
  CHECK(s.as_sent == "+447700900123");
  // The "(0)" trunk prefix is not dialled from abroad, so it is not part of the number.
  const auto spaced = classify_sender(" +44 (0)7700-900.123 ");
  CHECK(spaced.kind == sender_kind::e164);
  CHECK(spaced.e164 == "+447700900123");
  CHECK(spaced.as_sent == " +44 (0)7700-900.123 ");
  CHECK(classify_sender("+44 7700 900123").e164 == "+447700900123");
}

TEST_CASE("withheld caller IDs are accepted and flagged, whatever the case") {
  for (const char* raw : {"anonymous", "Anonymous", "RESTRICTED", "unavailable", "Private", "",
                          "  ", "withheld", "Unknown", "blocked"}) {
    INFO(raw);
    const auto s = classify_sender(raw);
    CHECK(s.kind == sender_kind::withheld);
    CHECK(s.as_sent == raw);
    CHECK(s.e164.empty());
  }
}

TEST_CASE("malformed sender IDs are kept exactly as sent and flagged, never rejected") {
  for (const char* raw : {"07700900123", "+0447700900123", "+12345", "+1234567890123456",
                          "447700900123", "client:alice", "sip:bob@example.com", "NHS111",
                          "+44 7700 9OO123", "+", "++447700900123"}) {
    INFO(raw);
    const auto s = classify_sender(raw);
    CHECK(s.kind == sender_kind::malformed);
    CHECK(s.as_sent == raw);
  }
}

TEST_CASE("E.164 length limits: 7 to 15 digits") {
  CHECK(classify_sender("+6831234").kind == sender_kind::e164);
  CHECK(classify_sender("+683123").kind == sender_kind::malformed);
  CHECK(classify_sender("+123456789012345").kind == sender_kind::e164);
  CHECK(classify_sender("+1234567890123456").kind == sender_kind::malformed);
}

TEST_CASE("the sender key links the same number however it was formatted") {
  const auto a = sender_key("secret", classify_sender("+447700900123"));
  const auto b = sender_key("secret", classify_sender("+44 7700 900123"));
  REQUIRE(a.has_value());
  CHECK(a == b);
  CHECK(a->size() == 64);
  CHECK(a->find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(a->find("447700900123") == std::string::npos);
  CHECK(sender_key("secret", classify_sender("+447700900124")) != a);
}

TEST_CASE("the sender key depends on the secret") {
  CHECK(sender_key("one", classify_sender("+447700900123")) !=
        sender_key("two", classify_sender("+447700900123")));
}

TEST_CASE("withheld callers are never linked together, and no secret means no key") {
  CHECK_FALSE(sender_key("secret", classify_sender("anonymous")).has_value());
  CHECK_FALSE(sender_key("secret", classify_sender("")).has_value());
  CHECK_FALSE(sender_key("", classify_sender("+447700900123")).has_value());
}

TEST_CASE("a malformed sender still gets a key, distinct from any number") {
  const auto k = sender_key("secret", classify_sender(" 07700900123 "));
  REQUIRE(k.has_value());
  CHECK(k == sender_key("secret", classify_sender("07700900123")));
  CHECK(k != sender_key("secret", classify_sender("+447700900123")));
}
