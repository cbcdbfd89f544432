#include <catch2/catch.hpp>

#include "adapters/twilio_signature.hpp"

using namespace crisisline::adapters;

namespace {

// The published test vector (DOMAIN.md §6).
constexpr std::string_view vector_url = "https://mycompany.com/myapp.php?foo=1&bar=2";
constexpr std::string_view vector_signature = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";

form_body vector_params() {
  // Deliberately not in sorted order: the signature must not depend on it.
  form_body f;
  f.add("To", "+18005551212");
  f.add("Digits", "1234");
  f.add("From", "+12349013030");
  f.add("CallSid", "CA1234567890ABCDE");
  f.add("Caller", "+12349013030");
  return f;
}

const twilio_tokens tokens{"12345", ""};

}  // namespace

TEST_CASE("the published test vector signs to the published signature") {
  CHECK(twilio_signature("12345", vector_url, vector_params()) == vector_signature);
  CHECK(check_twilio_signature(vector_signature, vector_url, vector_params(), tokens) ==
        signature_verdict::ok);
}

TEST_CASE("a missing or blank header is distinguished from a wrong one") {
  CHECK(check_twilio_signature("", vector_url, vector_params(), tokens) ==
        signature_verdict::missing);
  CHECK(check_twilio_signature("  ", vector_url, vector_params(), tokens) ==
        signature_verdict::missing);
  CHECK(check_twilio_signature("0/KCTR6DLpKmkAf8muzZqo1nDgQ", vector_url, vector_params(),
                               tokens) == signature_verdict::mismatch);
}

TEST_CASE("a tampered parameter, URL or token is a mismatch") {
  SECTION("a changed value") {
    auto p = vector_params();
    p.add("Digits", "1");
    CHECK(check_twilio_signature(vector_signature, vector_url, p, tokens) ==
          signature_verdict::mismatch);
  }
  SECTION("a changed body") {
    form_body p;
    for (const auto& [n, v] : vector_params()) p.add(n, n == "From" ? "+447700900666" : v);
    CHECK(check_twilio_signature(vector_signature, vector_url, p, tokens) ==
          signature_verdict::mismatch);
  }
  SECTION("a dropped parameter") {
    form_body p;
    for (const auto& [n, v] : vector_params()) {
      if (n != "Digits") p.add(n, v);
    }
    CHECK(check_twilio_signature(vector_signature, vector_url, p, tokens) ==
          signature_verdict::mismatch);
  }
  SECTION("another URL") {
    CHECK(check_twilio_signature(vector_signature, "https://mycompany.com/myapp.php?foo=1",
                                 vector_params(), tokens) == signature_verdict::mismatch);
    CHECK(check_twilio_signature(vector_signature, "http://mycompany.com/myapp.php?foo=1&bar=2",
                                 vector_params(), tokens) == signature_verdict::mismatch);
  }
  SECTION("another token") {
    CHECK(check_twilio_signature(vector_signature, vector_url, vector_params(), {"54321", ""}) ==
          signature_verdict::mismatch);
  }
  SECTION("a flipped case in the signature") {
    CHECK(check_twilio_signature("0/kCTR6DLpKmkAf8muzZqo1nDgQ=", vector_url, vector_params(),
                                 tokens) == signature_verdict::mismatch);
  }
}

TEST_CASE("with no token configured nothing validates, even an empty-key HMAC") {
  const std::string forged = twilio_signature("", vector_url, vector_params());
  CHECK(check_twilio_signature(forged, vector_url, vector_params(), {"", ""}) ==
        signature_verdict::mismatch);
}

TEST_CASE("the secondary token is accepted during rotation") {
  const twilio_tokens rotating{"67890", "12345"};
  CHECK(check_twilio_signature(vector_signature, vector_url, vector_params(), rotating) ==
        signature_verdict::ok);
  const std::string new_sig = twilio_signature("67890", vector_url, vector_params());
  CHECK(new_sig == "cmkYMfXANvjSD/jbR8OOeOy/sc0=");
  CHECK(check_twilio_signature(new_sig, vector_url, vector_params(), rotating) ==
        signature_verdict::ok);
  CHECK(check_twilio_signature(new_sig, vector_url, vector_params(), tokens) ==
        signature_verdict::mismatch);
}

TEST_CASE("the default port may be present on either side") {
  const std::string with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
  const std::string signed_with_port = twilio_signature("12345", with_port, vector_params());
  CHECK(signed_with_port == "EpDEmp1PyjDYp77YxYU3GILBWzE=");
  // Provider configured with :443, we configured without it, and vice versa.
  CHECK(check_twilio_signature(signed_with_port, vector_url, vector_params(), tokens) ==
        signature_verdict::ok);
  CHECK(check_twilio_signature(vector_signature, with_port, vector_params(), tokens) ==
        signature_verdict::ok);
}

TEST_CASE("port variants add or remove only the scheme's default port") {
  using v = std::vector<std::string>;
  CHECK(url_port_variants("https://h.example/p?q=1") ==
        v{"https://h.example/p?q=1", "https://h.example:443/p?q=1"});
  CHECK(url_port_variants("http://h.example:80/p") ==
        v{"http://h.example:80/p", "http://h.example/p"});
  CHECK(url_port_variants("http://h.example?x") ==
        v{"http://h.example?x", "http://h.example:80?x"});
  CHECK(url_port_variants("HTTPS://h.example:443") ==
        v{"HTTPS://h.example:443", "HTTPS://h.example"});
  // Not the default port for the scheme: signed as is, so no variant.
  CHECK(url_port_variants("https://h.example:8443/p") == v{"https://h.example:8443/p"});
  CHECK(url_port_variants("http://h.example:443/p") == v{"http://h.example:443/p"});
  // Userinfo and IPv6 literals are not mistaken for a port.
  CHECK(url_port_variants("https://user:pw@h.example/p") ==
        v{"https://user:pw@h.example/p", "https://user:pw@h.example:443/p"});
  CHECK(url_port_variants("https://[::1]/p") == v{"https://[::1]/p", "https://[::1]:443/p"});
  CHECK(url_port_variants("https://[::1]:443/p") == v{"https://[::1]:443/p", "https://[::1]/p"});
  CHECK(url_port_variants("not a url") == v{"not a url"});
}

TEST_CASE("repeated names are signed with their values sorted") {
  form_body p;
  p.add("A", "b");
  p.add("B", "");
  p.add("A", "a");
  const std::string sig = twilio_signature("12345", vector_url, p);
  CHECK(sig == "VUg3q+CG6JvABRYS68JNIZAAheQ=");
  form_body reordered;
  reordered.add("A", "a");
  reordered.add("A", "b");
  reordered.add("B", "");
  CHECK(check_twilio_signature(sig, vector_url, reordered, tokens) == signature_verdict::ok);
}

TEST_CASE("names sort by byte, so upper case comes before lower case") {
  form_body a;
  a.add("b", "1");
  a.add("B", "2");
  a.add("\xC3\xA9", "3");
  // Byte order puts "B" (0x42) first, then "b" (0x62), then "é" (0xC3 ...).
  form_body expected_order;
  expected_order.add("B", "2");
  expected_order.add("b", "1");
  expected_order.add("\xC3\xA9", "3");
  CHECK(twilio_signature("k", "u", a) == twilio_signature("k",
                                                          "uB2b1\xC3\xA9"
                                                          "3",
                                                          form_body{}));
  CHECK(twilio_signature("k", "u", a) == twilio_signature("k", "u", expected_order));
}

TEST_CASE("the public URL comes from the configured base, path and query") {
  CHECK(twilio_public_url("https://crisis.example.nhs.uk/", "/v1/webhooks/twilio/sms", "") ==
        "https://crisis.example.nhs.uk/v1/webhooks/twilio/sms");
  CHECK(twilio_public_url("https://crisis.example.nhs.uk/api", "/v1/webhooks/twilio/voice",
                          "area=solent") ==
        "https://crisis.example.nhs.uk/api/v1/webhooks/twilio/voice?area=solent");
}

TEST_CASE("signature end to end from a request's parts") {
  const std::string url = twilio_public_url("https://mycompany.com", "/myapp.php", "foo=1&bar=2");
  CHECK(check_twilio_signature(" 0/KCTR6DLpKmkAf8muzZqo1nDgQ= ", url, vector_params(), tokens) ==
        signature_verdict::ok);
}
