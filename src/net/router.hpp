#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "net/http_message.hpp"
#include "net/websocket.hpp"

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
  // Paths "<prefix><anything without '/'><suffix>", e.g. "/v1/contacts/" +
  // "/incident". Tried before plain prefixes, so a module can own one action
  // under a prefix another module serves.
  void add_prefix_suffix(std::string method, std::string prefix, std::string suffix, handler h);
  void dispatch(http_request&& req, responder respond) const;

  // A WebSocket endpoint at exactly `path` (a GET with Upgrade: websocket).
  void add_websocket(std::string path, ws_upgrade_handler h);
  // The handler for an upgrade request to `path`, or nullptr.
  [[nodiscard]] const ws_upgrade_handler* find_websocket(std::string_view path) const;

 private:
  struct route_set {
    std::unordered_map<std::string, handler> by_method;
  };
  std::unordered_map<std::string, route_set> exact_;
  std::vector<std::pair<std::string, route_set>> prefixes_;
  struct affix_route {
    std::string method;
    std::string prefix;
    std::string suffix;
    handler h;
  };
  std::vector<affix_route> affixes_;
  std::unordered_map<std::string, ws_upgrade_handler> websockets_;
};

}  // namespace crisisline::net
