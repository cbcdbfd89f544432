#include <catch2/catch.hpp>

#include <string>

#include "adapters/form_body.hpp"

using namespace crisisline::adapters;
using namespace std::string_literals;

namespace {

constexpr form_limits limits{64 * 1024, 100};

// By value: callers pass temporaries.
form_body ok(form_result r) {
  if (const auto* e = std::get_if<form_error>(&r)) FAIL(e->message);
  return std::get<form_body>(std::move(r));
}

form_error err(form_result r) {
  REQUIRE(std::holds_alternative<form_error>(r));
  return std::get<form_error>(std::move(r));
}

}  // namespace

TEST_CASE("a Twilio inbound SMS body decodes to its parameters in order") {
  const auto r = parse_form(
      "ToCountry=GB&Body=I+need+to+talk+to+someone%2C+please&From=%2B447700900123&MessageSid="
      "SM0123456789abcdef0123456789abcdef",
      limits);
  const auto& f = ok(r);
  REQUIRE(f.size() == 4);
  CHECK(f.params()[0].first == "ToCountry");
  CHECK(f.find("Body") == "I need to talk to someone, please");
  CHECK(f.find("From") == "+447700900123");
  CHECK_FALSE(f.find("NumMedia").has_value());
  CHECK(f.value_or("NumMedia", "0") == "0");
}

TEST_CASE("plus is a space, but an encoded plus is a plus") {
  const auto& f = ok(parse_form("a=1+2%2B3", limits));
  CHECK(f.find("a") == "1 2+3");
}

TEST_CASE("percent escapes decode to any byte, in names too, upper or lower case") {
  const auto& f = ok(parse_form("na%6De=%e2%82%ac&z=a%00b", limits));
  CHECK(f.find("name") == "\xE2\x82\xAC");
  CHECK(f.find("z") == "a\0b"s);
}

TEST_CASE("repeated names are all kept in order, and lookups give the first") {
  const auto& f = ok(parse_form("x=2&y=&x=1", limits));
  CHECK(f.size() == 3);
  CHECK(f.find("x") == "2");
  CHECK(f.all("x") == std::vector<std::string_view>{"2", "1"});
}

TEST_CASE("empty values are present, not missing") {
  const auto& f = ok(parse_form("Body=&Flag&=orphan", limits));
  REQUIRE(f.find("Body").has_value());
  CHECK(f.find("Body")->empty());
  CHECK(f.find("Flag") == "");
  CHECK(f.find("") == "orphan");
  CHECK(f.contains("Body"));
}

TEST_CASE("empty pairs and an empty body carry nothing") {
  CHECK(ok(parse_form("", limits)).empty());
  CHECK(ok(parse_form("&&&", limits)).empty());
  CHECK(ok(parse_form("a=1&&b=2&", limits)).size() == 2);
}

TEST_CASE("an '=' inside a value is part of the value") {
  CHECK(ok(parse_form("u=https://x/?a=b", limits)).find("u") == "https://x/?a=b");
}

TEST_CASE("malformed percent escapes are errors naming the problem and position") {
  SECTION("truncated at the end") {
    const auto& e = err(parse_form("Body=help%2", limits));
    CHECK(e.problem == form_problem::malformed_percent_escape);
    CHECK(e.offset == 9);
    CHECK_THAT(e.message, Catch::Contains("percent escape") && Catch::Contains("byte 9") &&
                              Catch::Contains("'Body'"));
  }
  SECTION("a lone percent") {
    CHECK(err(parse_form("a=100%", limits)).offset == 5);
  }
  SECTION("not hex") {
    CHECK(err(parse_form("a=%G1", limits)).problem == form_problem::malformed_percent_escape);
    CHECK(err(parse_form("a=%1G", limits)).problem == form_problem::malformed_percent_escape);
  }
  SECTION("in a name") {
    const auto& e = err(parse_form("ok=1&b%zz=1", limits));
    CHECK(e.offset == 6);
    CHECK_THAT(e.message, Catch::Contains("parameter name"));
  }
  SECTION("the message never quotes what the person wrote") {
    const auto& e = err(parse_form("Body=I+want+to+die%", limits));
    CHECK_THAT(e.message, !Catch::Contains("die"));
  }
}

TEST_CASE("the size bound rejects a 10 MB body before reading it") {
  const std::string huge(10 * 1024 * 1024, 'a');
  const auto& e = err(parse_form("Body=" + huge, limits));
  CHECK(e.problem == form_problem::too_large);
  CHECK_THAT(e.message, Catch::Contains("65536"));
  const std::string exactly(limits.max_bytes - 2, 'a');
  CHECK(ok(parse_form("a=" + exactly, limits)).size() == 1);
}

TEST_CASE("the parameter-count bound rejects a flood of parameters") {
  std::string body;
  for (int i = 0; i < 101; ++i) body += "p" + std::to_string(i) + "=1&";
  const auto& e = err(parse_form(body, limits));
  CHECK(e.problem == form_problem::too_many_params);
  CHECK_THAT(e.message, Catch::Contains("100"));
  body.resize(body.rfind("p100"));
  CHECK(ok(parse_form(body, limits)).size() == 100);
}

TEST_CASE("encoding and parsing round-trip any bytes") {
  form_body f;
  f.add("Body", "caf\xC3\xA9 & more +%=\n\0"s);
  f.add("To", "+447700900000");
  f.add("To", "");
  const std::string wire = encode_form(f);
  CHECK(wire.find(' ') == std::string::npos);
  CHECK(ok(parse_form(wire, limits)).params() == f.params());
}
