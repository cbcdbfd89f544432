#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/io_loop.hpp"

namespace crisisline::net {

struct client_request {
  std::string method = "POST";
  // http://host[:port]/path or https://host[:port]/path
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{15'000};
};

struct client_response {
  // 0 when no HTTP response arrived; then `error` says why.
  int status = 0;
  std::string body;
  std::string error;
};

// Outgoing HTTP(S) requests from the io thread (provider REST APIs). One
// connection per request: provider calls are few, and a fresh connection
// can't be a stale one. HTTPS verifies the certificate chain and host name
// against the system trust store. Response bodies over 1 MiB are an error.
// "Basic <base64(user:password)>" for an Authorization header.
[[nodiscard]] std::string basic_authorization(std::string_view user, std::string_view password);

class http_client {
 public:
  explicit http_client(io_loop& loop);
  ~http_client();
  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  // io thread. `done` runs on the io thread exactly once.
  void send(client_request req, std::function<void(client_response)> done);

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace crisisline::net
