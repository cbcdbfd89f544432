#include "net/websocket.hpp"

namespace crisisline::net {

std::vector<std::string> offered_subprotocols(const http_request& req) {
  std::vector<std::string> out;
  for (const auto& [name, value] : req.headers) {
    if (name != "sec-websocket-protocol") continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      auto item = rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) out.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return out;
}

}  // namespace crisisline::net
