#include <catch2/catch.hpp>

#include <cstdlib>

#include "codec/config_loader.hpp"

using namespace crisisline;

namespace {

const codec::config_error& error_of(const codec::config_result& r) {
  REQUIRE(std::holds_alternative<codec::config_error>(r));
  return std::get<codec::config_error>(r);
}

const v1::Config& config_of(const codec::config_result& r) {
  if (auto* e = std::get_if<codec::config_error>(&r)) FAIL(e->describe());
  return std::get<v1::Config>(r);
}

}  // namespace

TEST_CASE("the embedded default configuration is the documented example and is valid") {
  const auto r = codec::default_config();
  const auto& c = config_of(r);
  CHECK(c.server().listen() == "127.0.0.1:8080");
  CHECK(c.store().path() == "./crisisline.db");
  CHECK(codec::default_config_text().find("integration_tokens") != std::string_view::npos);
}

TEST_CASE("unset fields take their documented defaults") {
  const auto r = codec::parse_config("", "empty");
  const auto& c = config_of(r);
  CHECK(c.server().listen() == "127.0.0.1:8080");
  CHECK(c.server().max_body_bytes() == 1u << 20);
  CHECK(c.server().max_events_per_batch() == 1000);
  CHECK(c.store().path() == "./crisisline.db");
  CHECK(c.store().max_backlog_events() == 50'000);
  CHECK(c.logging().level() == "info");
}

TEST_CASE("a syntax error is reported with file, line and column") {
  const auto r = codec::parse_config("server {\n  listen: \"127.0.0.1:1\"\n  lisen: \"x\"\n}\n",
                                     "my.textproto");
  const auto& e = error_of(r);
  CHECK(e.line == 3);
  CHECK(e.column > 0);
  CHECK_THAT(e.message, Catch::Contains("lisen"));
  CHECK(e.describe().rfind("my.textproto:3:" + std::to_string(e.column) + ": ", 0) == 0);
}

TEST_CASE("a value of the wrong type is reported at its position") {
  const auto r = codec::parse_config("store {\n  max_backlog_events: \"many\"\n}", "f");
  const auto& e = error_of(r);
  CHECK(e.line == 2);
  CHECK_THAT(e.message, Catch::Contains("integer"));
}

TEST_CASE("semantic checks name the field") {
  CHECK_THAT(error_of(codec::parse_config(R"(server { listen: "127.0.0.1" })", "f")).message,
             Catch::Contains("server.listen"));
  CHECK_THAT(error_of(codec::parse_config(R"(server { listen: "127.0.0.1:70000" })", "f")).message,
             Catch::Contains("invalid port"));
  CHECK_THAT(error_of(codec::parse_config(R"(logging { level: "loud" })", "f")).message,
             Catch::Contains("logging.level"));
  CHECK_THAT(error_of(codec::parse_config(R"(integration_tokens { name: "x" })", "f")).message,
             Catch::Contains("neither token nor token_env"));
  CHECK_THAT(
      error_of(codec::parse_config("store { max_backlog_events: 10 max_commit_events: 20 }", "f"))
          .message,
      Catch::Contains("max_commit_events"));
}

TEST_CASE("TLS needs both a certificate and a key, and a known minimum version") {
  const auto cert_only =
      error_of(codec::parse_config(R"(server { tls_certificate_file: "/etc/c.pem" })", "f"));
  CHECK_THAT(cert_only.message, Catch::Contains("server.tls_certificate_file is set but "
                                                "server.tls_private_key_file is not"));
  const auto key_only =
      error_of(codec::parse_config(R"(server { tls_private_key_file: "/etc/k.pem" })", "f"));
  CHECK_THAT(key_only.message, Catch::Contains("server.tls_private_key_file is set but "
                                               "server.tls_certificate_file is not"));
  CHECK_THAT(error_of(codec::parse_config(R"(server { tls_certificate_file: "c" )"
                                          R"(tls_private_key_file: "k" tls_min_version: "1.1" })",
                                          "f"))
                 .message,
             Catch::Contains("server.tls_min_version"));

  const auto both = codec::parse_config(
      R"(server { tls_certificate_file: "/etc/c.pem" tls_private_key_file: "/etc/k.pem" })", "f");
  CHECK(config_of(both).server().tls_min_version() == "1.2");
  const auto v13 = codec::parse_config(
      R"(server { tls_certificate_file: "c" tls_private_key_file: "k" tls_min_version: "1.3" })",
      "f");
  CHECK(config_of(v13).server().tls_min_version() == "1.3");
  // Neither set is plain HTTP, the default.
  const auto plain = codec::parse_config("", "f");
  CHECK(config_of(plain).server().tls_certificate_file().empty());
  CHECK(config_of(plain).server().tls_min_version() == "1.2");
}

TEST_CASE("a missing file is a clear error") {
  const auto r = codec::load_config_file("/nonexistent/crisisline.textproto");
  const auto& e = error_of(r);
  CHECK_THAT(e.describe(), Catch::Contains("cannot open"));
}

TEST_CASE("integration tokens come from the environment when token_env is set") {
  v1::IntegrationToken t;
  t.set_name("pbx");
  t.set_token("from-file");
  t.set_token_env("CRISISLINE_TEST_TOKEN_XYZ");
  unsetenv("CRISISLINE_TEST_TOKEN_XYZ");
  CHECK(codec::integration_token(t) == "from-file");
  setenv("CRISISLINE_TEST_TOKEN_XYZ", "from-env", 1);
  CHECK(codec::integration_token(t) == "from-env");
  unsetenv("CRISISLINE_TEST_TOKEN_XYZ");
}
