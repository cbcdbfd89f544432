#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// Transport-neutral HTTP messages: handlers see these, never Beast types, so
// most of the code base compiles without Beast.
namespace crisisline::net {

struct http_request {
  std::string method;
  // Path without the query string, as sent (percent-encoding kept).
  std::string path;
  // The part after '?', without it.
  std::string query;
  // Header names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;

  // First value of header `name` (lower case), or empty.
  [[nodiscard]] std::string_view header(std::string_view name) const;
  // Value of query parameter `name` (not percent-decoded), or empty.
  [[nodiscard]] std::string_view query_param(std::string_view name) const;
};

struct http_response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // {"error": error, "detail": detail}: the shape of every error this server sends.
  [[nodiscard]] static http_response error(int status, std::string_view error,
                                           std::string_view detail);
  [[nodiscard]] static http_response text(int status, std::string body,
                                          std::string content_type = "text/plain; charset=utf-8");
};

// Sends the response for one request. Call exactly once, on the io thread;
// later calls are ignored. It may be called after the handler returns (e.g.
// once an event is committed).
using responder = std::function<void(http_response)>;
using handler = std::function<void(http_request&&, responder)>;

}  // namespace crisisline::net
