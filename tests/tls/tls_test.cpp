#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include "adapters/form_body.hpp"
#include "adapters/twilio_signature.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"
#include "test_certificate.hpp"
#include "tls_client.hpp"

using namespace crisisline;
using namespace crisisline::test;
namespace json = boost::json;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr const char* public_base = "https://crisisline.example.nhs.uk";
constexpr const char* auth_token = "twilio-test-token";
constexpr const char* account_sid = "AC0123456789abcdef0123456789abcdef";

void write_private_key(const fs::path& file, const std::string& pem) {
  write_file(file, pem);
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
}

// `server_extra` goes inside server { }, `extra` at the top level.
std::string config_text(const fs::path& cert, const fs::path& key, const std::string& server_extra,
                        const std::string& extra) {
  std::string server = std::string("server { public_base_url: \"") + public_base + "\"";
  if (!cert.empty()) server += " tls_certificate_file: \"" + cert.string() + "\"";
  if (!key.empty()) server += " tls_private_key_file: \"" + key.string() + "\"";
  server += " " + server_extra + " }\n";
  // Inbound texts are answered in TwiML: nothing is sent to api_base_url.
  return "integration_tokens { name: \"test\" token: \"test-token\" }\n" + server +
         "twilio { account_sid: \"" + account_sid + "\" auth_token: \"" + auth_token +
         "\" api_base_url: \"http://127.0.0.1:9\" }\n"
         "areas { name: \"solent\" display_name: \"Solent\" keywords: \"SOLENT\" }\n"
         "access_numbers { number: \"+447700900000\" route: \"sms_keyword\" }\n" +
         extra;
}

server_options serve_options(const temp_dir& dir) {
  return server_options{
      .binary = CRISISLINE_BINARY,
      .args = {"serve", "--config", (dir / "crisisline.textproto").string(), "--listen",
               "127.0.0.1:0", "--db", (dir / "crisisline.db").string()},
      .log_file = dir / "server.log"};
}

// The real server serving HTTPS on 127.0.0.1:<ephemeral> with a certificate
// generated for this test.
class https_server {
 public:
  explicit https_server(const std::string& server_extra = {}, const std::string& extra = {})
      : pem_(make_self_signed_certificate()) {
    write_file(dir_ / "cert.pem", pem_.certificate);
    write_private_key(dir_ / "key.pem", pem_.private_key);
    write_file(dir_ / "crisisline.textproto",
               config_text(dir_ / "cert.pem", dir_ / "key.pem", server_extra, extra));
    process_.emplace(server_process::start(serve_options(dir_)));
  }

  std::unique_ptr<tls_client> connect(tls_client_options options = {}) {
    options.trusted_certificate = pem_.certificate;
    return std::make_unique<tls_client>(port(), options);
  }

  std::uint16_t port() const { return process_->port(); }
  server_process& process() { return *process_; }

 private:
  temp_dir dir_{"crisisline-tls"};
  pem_pair pem_;
  std::optional<server_process> process_;
};

std::string text_event(const std::string& id) {
  return json::serialize(json::object{
      {"events", json::array{json::object{{"source", "tls-test"},
                                          {"sourceEventId", id},
                                          {"text", json::object{{"messageId", id},
                                                                {"from", "+447700900123"},
                                                                {"to", "+447700900000"},
                                                                {"body", "hello"}}}}}}});
}

const http_headers bearer{{"Authorization", "Bearer test-token"}};

}  // namespace

TEST_CASE("GET /healthz over HTTPS is 200 on a verified connection that stays open") {
  https_server s;
  auto c = s.connect();
  CHECK(c->verify_result() == X509_V_OK);
  CHECK((c->protocol() == "TLSv1.3" || c->protocol() == "TLSv1.2"));
  const auto r = c->request("GET", "/healthz");
  CHECK(r.status == 200);
  CHECK(json::parse(r.body).as_object().at("status") == "alive");
  // Keep-alive: the same TLS connection serves the next request.
  CHECK(c->request("GET", "/readyz").status == 200);

  SECTION("TLS 1.2 is accepted with the server's cipher list") {
    auto v12 = s.connect({.min_version = TLS1_2_VERSION, .max_version = TLS1_2_VERSION});
    CHECK(v12->protocol() == "TLSv1.2");
    CHECK(v12->request("GET", "/healthz").status == 200);
  }
}

TEST_CASE("POST /v1/events over HTTPS commits with the integration token") {
  https_server s;
  auto c = s.connect();
  http_headers h = bearer;
  h.emplace_back("Content-Type", "application/json");
  const auto r = c->request("POST", "/v1/events", text_event("tls-1"), h);
  REQUIRE(r.status == 200);
  const auto res = json::parse(r.body).as_object().at("results").as_array().at(0).as_object();
  CHECK(res.at("status") == "COMMITTED");
  CHECK(res.at("seq") == "1");
  CHECK(c->request("POST", "/v1/events", text_event("tls-2"),
                   {{"Content-Type", "application/json"}, {"Authorization", "Bearer wrong"}})
            .status == 401);
}

TEST_CASE("a webhook signed over the configured public_base_url is accepted over HTTPS") {
  https_server s;
  const std::string path = "/v1/webhooks/twilio/sms";
  adapters::form_body form;
  form.add("MessageSid", "SM0001");
  form.add("AccountSid", account_sid);
  form.add("From", "+447700900123");
  form.add("To", "+447700900000");
  form.add("Body", "solent, I can't cope tonight");
  form.add("NumSegments", "1");
  form.add("SmsStatus", "received");
  const auto body = adapters::encode_form(form);
  auto post = [&](const std::string& signed_url) {
    return s.connect()->request(
        "POST", path, body,
        {{"Content-Type", "application/x-www-form-urlencoded"},
         {"X-Twilio-Signature", adapters::twilio_signature(auth_token, signed_url, form)}});
  };

  // Signed over the URL this client actually used: not what the provider was
  // told to call, so refused, and nothing is written.
  CHECK(post("https://localhost:" + std::to_string(s.port()) + path).status == 403);

  const auto r = post(public_base + path);
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").starts_with("text/xml"));
  CHECK(r.body.find("<Message>") != std::string::npos);

  const auto q = s.connect()->request("GET", "/v1/queue", {}, bearer);
  REQUIRE(q.status == 200);
  CHECK(json::parse(q.body).as_object().at("waiting").as_int64() == 1);
}

TEST_CASE("plain HTTP to the HTTPS port gets no HTTP response and the server keeps serving") {
  https_server s({}, "logging { level: \"debug\" }\n");
  http_client plain(s.port(), http_client_options{.request_timeout = 10s});
  http_response res;
  const auto ec = plain.try_request("GET", "/healthz?marker=plain-http-probe", {}, {}, res);
  CHECK(ec);
  CHECK(res.status == 0);

  CHECK(s.connect()->request("GET", "/healthz").status == 200);
  const auto log = s.process().log();
  CHECK(log.find("TLS handshake failed") != std::string::npos);
  // The failure is logged by reason only: nothing the client sent.
  CHECK(log.find("plain-http-probe") == std::string::npos);
}

TEST_CASE("a client that never starts the TLS handshake is closed after read_timeout") {
  https_server s("read_timeout_ms: 300");
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  timeval tv{.tv_sec = 10, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0);
  const auto start = std::chrono::steady_clock::now();
  char byte;
  const auto n = ::recv(fd, &byte, 1, 0);
  const auto waited = std::chrono::steady_clock::now() - start;
  ::close(fd);
  CHECK(n <= 0);
  CHECK(waited < 5s);
  CHECK(s.connect()->request("GET", "/healthz").status == 200);
}

TEST_CASE("TLS 1.1 and older are refused by the server") {
  https_server s;
  // The client offers TLS 1.1 (allowed at security level 0); the refusal is
  // the server's protocol_version alert.
  CHECK_THROWS_WITH(s.connect({.max_version = TLS1_1_VERSION, .allow_legacy = true}),
                    Catch::Contains("alert protocol version"));
  CHECK_THROWS_WITH(s.connect({.max_version = TLS1_VERSION, .allow_legacy = true}),
                    Catch::Contains("alert protocol version"));
  CHECK(s.connect()->request("GET", "/healthz").status == 200);
}

TEST_CASE("tls_min_version 1.3 refuses TLS 1.2") {
  https_server s("tls_min_version: \"1.3\"");
  CHECK_THROWS_WITH(s.connect({.max_version = TLS1_2_VERSION}),
                    Catch::Contains("alert protocol version"));
  auto c = s.connect();
  CHECK(c->protocol() == "TLSv1.3");
  CHECK(c->request("GET", "/healthz").status == 200);
}

TEST_CASE("TLS 1.2 renegotiation is refused and the server keeps serving") {
  // OpenSSL 3 already refuses client-initiated renegotiation unless told
  // otherwise; the server also sets SSL_OP_NO_RENEGOTIATION. This guards the
  // property whatever the library's default.
  https_server s;
  auto c = s.connect({.max_version = TLS1_2_VERSION});
  REQUIRE(c->request("GET", "/healthz").status == 200);
  CHECK_THAT(c->renegotiate(), Catch::Contains("no renegotiation"));
  CHECK(s.connect()->request("GET", "/healthz").status == 200);
}

TEST_CASE("SIGTERM closes TLS connections and exits 0") {
  https_server s;
  auto idle = s.connect();
  REQUIRE(idle->request("GET", "/healthz").status == 200);
  auto handshaken = s.connect();
  const auto status = s.process().stop();
  INFO(to_string(status));
  CHECK(status.clean());
  CHECK(idle->wait_closed());
  CHECK(handshaken->wait_closed());
}

TEST_CASE("a certificate or key that cannot be used stops start-up with exit 2") {
  temp_dir dir("crisisline-tls");
  const auto pem = make_self_signed_certificate();
  const auto other = make_self_signed_certificate();
  write_file(dir / "cert.pem", pem.certificate);
  write_private_key(dir / "key.pem", pem.private_key);
  write_private_key(dir / "other-key.pem", other.private_key);
  fs::path cert = dir / "cert.pem";
  fs::path key = dir / "key.pem";
  std::string expected;

  SECTION("a missing certificate file") {
    cert = dir / "missing-cert.pem";
    expected = "missing-cert.pem";
  }
  SECTION("a key file that is not PEM") {
    write_private_key(dir / "garbage.pem", "not a key\n");
    key = dir / "garbage.pem";
    expected = "garbage.pem";
  }
  SECTION("a key that does not match the certificate") {
    key = dir / "other-key.pem";
    expected = "key values mismatch";
  }
  SECTION("a certificate without a key is a configuration error") {
    key.clear();
    expected = "server.tls_private_key_file is not";
  }
  write_file(dir / "crisisline.textproto", config_text(cert, key, {}, {}));
  auto p = server_process::spawn(serve_options(dir));
  CHECK_THROWS(p.wait_ready());
  const auto status = p.stop();
  INFO(p.log());
  CHECK(status.exited);
  CHECK(status.code == 2);
  CHECK(p.log().find(expected) != std::string::npos);
}

TEST_CASE("a private key readable by others is served but warned about") {
  temp_dir dir("crisisline-tls");
  const auto pem = make_self_signed_certificate();
  write_file(dir / "cert.pem", pem.certificate);
  write_file(dir / "key.pem", pem.private_key);
  fs::permissions(dir / "key.pem", fs::perms::others_read, fs::perm_options::add);
  write_file(dir / "crisisline.textproto", config_text(dir / "cert.pem", dir / "key.pem", {}, {}));
  auto p = server_process::start(serve_options(dir));
  CHECK(p.log().find("accessible to group or others") != std::string::npos);
  CHECK(p.stop().clean());
}
