#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "net/http_message.hpp"

namespace crisisline::net {

// Maps (method, path) to a handler. Paths are exact, or a prefix ending in '/'
// registered with add_prefix (the handler parses the rest). Unknown paths get
// 404 and known paths with another method 405, both as JSON errors.
//
// Built before serving, then read-only on the io thread.
class router {
 public:
  void add(std::string method, std::string path, handler h);
  void add_prefix(std::string method, std::string prefix, handler h);
  void dispatch(http_request&& req, responder respond) const;

 private:
  struct route_set {
    std::unordered_map<std::string, handler> by_method;
  };
  std::unordered_map<std::string, route_set> exact_;
  std::vector<std::pair<std::string, route_set>> prefixes_;
};

}  // namespace crisisline::net
