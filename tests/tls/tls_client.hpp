#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http_client.hpp"

struct ssl_st;
struct ssl_ctx_st;

namespace crisisline::test {

struct tls_client_options {
  // PEM of the only certificate trusted: the server's must verify against it.
  std::string trusted_certificate;
  // Sent as SNI and checked against the certificate's subjectAltName.
  std::string server_name = "localhost";
  // Protocol version bounds (TLS1_1_VERSION, ...); 0 leaves OpenSSL's default.
  int min_version = 0;
  int max_version = 0;
  // Security level 0 and every cipher, so the client offers versions that
  // OpenSSL and Debian's policy would refuse on its own: a refusal then comes
  // from the server.
  bool allow_legacy = false;
  // For connect, handshake and each read or write.
  std::chrono::milliseconds timeout{10'000};
};

// A handshake or transport failure, with OpenSSL's reason.
class tls_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One blocking HTTP/1.1-over-TLS connection to 127.0.0.1:port, OpenSSL on a
// POSIX socket. The peer must present a certificate that verifies against
// options.trusted_certificate for options.server_name. Responses need a
// Content-Length (the server always sends one). Not thread-safe.
class tls_client {
 public:
  // Connects and completes the handshake. Throws tls_error.
  tls_client(std::uint16_t port, const tls_client_options& options);
  ~tls_client();
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  // Sends one request on this connection and reads the response. Host and
  // Content-Length are added. Throws tls_error.
  http_response request(std::string_view method, std::string_view target,
                        std::string_view body = {}, const http_headers& headers = {});

  // The negotiated version, e.g. "TLSv1.3".
  [[nodiscard]] std::string protocol() const;
  // X509_V_OK (0) when the server's certificate verified.
  [[nodiscard]] long verify_result() const;
  // Starts a TLS 1.2 renegotiation and runs its handshake: "" if the server
  // went along, otherwise OpenSSL's reason.
  std::string renegotiate();
  // Waits up to the timeout for the server to close the connection: true if
  // it did (close_notify, FIN or reset), false if it stayed open.
  bool wait_closed();

 private:
  // Appends at least one byte to buffer_; throws tls_error on EOF or error.
  void read_some();
  void connect_and_handshake(std::uint16_t port, const tls_client_options& options);
  void release();

  int fd_ = -1;
  ssl_ctx_st* ctx_ = nullptr;
  ssl_st* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace crisisline::test
