#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace crisisline::test {

struct http_response {
  int status = 0;
  // Keys are lower-case; a repeated header keeps its values joined with ", ".
  std::map<std::string, std::string> headers;
  std::string body;

  // "" when absent; `name` must be lower-case.
  std::string header(const std::string& name) const;
};

using http_headers = std::vector<std::pair<std::string, std::string>>;

struct http_client_options {
  // Connect to ::1 instead of 127.0.0.1. Only loopback is ever used.
  bool ipv6 = false;
  std::chrono::milliseconds connect_timeout{5'000};
  // Whole-request deadline: writing the request and reading the full response.
  std::chrono::milliseconds request_timeout{30'000};
  std::size_t max_header_bytes = 64 * 1024;
  std::size_t max_body_bytes = 64 * 1024 * 1024;
};

// Transport failures (no complete response): connection refused or reset,
// timeout, malformed response. Thrown by request(); returned by try_request().
class http_error : public std::runtime_error {
 public:
  http_error(std::error_code code, const std::string& what)
      : std::runtime_error(what + ": " + code.message()), code_(code) {}
  std::error_code code() const { return code_; }

 private:
  std::error_code code_;
};

// A blocking HTTP/1.1 client with one keep-alive connection to 127.0.0.1:port
// (or [::1]:port).
//
// Connects lazily. Before reusing a connection it checks whether the server
// has closed it (idle timeout, restart) and reconnects if so. A request that
// fails after it was sent is NOT retried: the caller decides, because only it
// knows whether the request is idempotent. After any failure the connection is
// closed, so the next request starts fresh. Handles Content-Length, chunked and
// read-until-close bodies; no pipelining, no TLS.
//
// Not thread-safe: use one client per thread.
class http_client {
 public:
  explicit http_client(std::uint16_t port, http_client_options options = {});
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;
  http_client(http_client&& other) noexcept;
  http_client& operator=(http_client&& other) noexcept;

  // Throws http_error on a transport failure; any HTTP status is a response.
  // Host and Content-Length are added; add Content-Type etc. in `headers`.
  http_response request(std::string_view method, std::string_view target,
                        std::string_view body = {}, const http_headers& headers = {});

  // As request(), but returns the transport error instead of throwing.
  std::error_code try_request(std::string_view method, std::string_view target,
                              std::string_view body, const http_headers& headers,
                              http_response& response);

  // Points the client at another port (e.g. a restarted server); closes the connection.
  void set_port(std::uint16_t port);
  std::uint16_t port() const { return port_; }

  void close();
  bool connected() const { return fd_ >= 0; }
  // Connections opened so far, to check keep-alive in tests.
  std::uint64_t connects() const { return connects_; }

 private:
  using clock = std::chrono::steady_clock;

  std::error_code connect(clock::time_point deadline);
  bool peer_closed() const;
  std::error_code send_all(std::string_view data, clock::time_point deadline);
  // Appends at least one byte to buffer_, or returns an error (eof included).
  std::error_code read_some(clock::time_point deadline);
  std::error_code read_response(std::string_view method, http_response& response, bool& keep_alive,
                                clock::time_point deadline);
  std::error_code read_chunked_body(std::string& body, clock::time_point deadline);
  std::error_code read_line(std::string& line, clock::time_point deadline);

  std::uint16_t port_;
  http_client_options options_;
  int fd_ = -1;
  std::uint64_t connects_ = 0;
  // Received bytes not consumed yet.
  std::string buffer_;
};

}  // namespace crisisline::test
