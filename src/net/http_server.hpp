#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "net/io_loop.hpp"
#include "net/router.hpp"
#include "net/websocket.hpp"

namespace crisisline::net {

enum class tls_version { v1_2, v1_3 };

// HTTPS settings. Plain HTTP when certificate_file is empty.
struct tls_options {
  // PEM certificate chain, server certificate first.
  std::string certificate_file;
  // PEM private key (unencrypted) matching certificate_file.
  std::string private_key_file;
  tls_version min_version = tls_version::v1_2;

  [[nodiscard]] bool enabled() const { return !certificate_file.empty(); }
};

struct http_server_options {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 << 10;
  // The whole request (after its first byte) must arrive within this.
  std::chrono::milliseconds read_timeout{15'000};
  // A keep-alive connection with no request in progress is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_connections = 1024;
  // When enabled, every connection starts with a TLS handshake, which must
  // finish within read_timeout; a failed handshake (a plain-HTTP client, an
  // old TLS version) closes the connection without an HTTP response.
  tls_options tls;
  // Limits of every WebSocket connection (routes added with add_websocket).
  ws_options websocket;
};

// HTTP/1.1 listener and sessions. One request per connection is handled at a
// time; the next is read only after the response is written, which bounds the
// memory a client can make us hold. Oversized bodies get 413, oversized headers
// 431, malformed requests 400, all as JSON errors, then the connection closes.
// With options.tls enabled the same sessions run over TLS 1.2+ (server cipher
// preference, no compression, no renegotiation).
//
// All members run on the io thread.
class http_server {
 public:
  // Binds and starts accepting. Throws std::system_error if it cannot bind,
  // and std::runtime_error (after logging the file and OpenSSL's reason) if
  // the TLS certificate or key cannot be loaded or do not match.
  http_server(io_loop& loop, const std::string& host, std::uint16_t port, http_server_options opts,
              const router& routes);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  [[nodiscard]] std::uint16_t port() const;
  void stop_accepting();
  // Closes idle connections now; a connection waiting for its response closes
  // right after sending it.
  void close_connections();
  [[nodiscard]] std::size_t connection_count() const;
  [[nodiscard]] std::uint64_t requests_total() const;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace crisisline::net
