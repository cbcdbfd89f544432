#include "net/router.hpp"

namespace crisisline::net {

void router::add(std::string method, std::string path, handler h) {
  exact_[std::move(path)].by_method[std::move(method)] = std::move(h);
}

void router::add_prefix(std::string method, std::string prefix, handler h) {
  for (auto& [p, set] : prefixes_) {
    if (p == prefix) {
      set.by_method[std::move(method)] = std::move(h);
      return;
    }
  }
  route_set set;
  set.by_method[std::move(method)] = std::move(h);
  prefixes_.emplace_back(std::move(prefix), std::move(set));
}

void router::add_prefix_suffix(std::string method, std::string prefix, std::string suffix,
                               handler h) {
  affixes_.push_back({std::move(method), std::move(prefix), std::move(suffix), std::move(h)});
}

void router::dispatch(http_request&& req, responder respond) const {
  for (const auto& a : affixes_) {
    const std::string_view path = req.path;
    if (req.method != a.method || !path.starts_with(a.prefix) || !path.ends_with(a.suffix) ||
        path.size() <= a.prefix.size() + a.suffix.size()) {
      continue;
    }
    const auto middle =
        path.substr(a.prefix.size(), path.size() - a.prefix.size() - a.suffix.size());
    if (middle.find('/') == std::string_view::npos) return a.h(std::move(req), std::move(respond));
  }
  const route_set* set = nullptr;
  if (auto it = exact_.find(req.path); it != exact_.end()) {
    set = &it->second;
  } else {
    for (const auto& [prefix, s] : prefixes_) {
      if (req.path.starts_with(prefix) && req.path.size() > prefix.size()) {
        set = &s;
        break;
      }
    }
  }
  if (!set) {
    respond(http_response::error(404, "not_found", "no route for " + req.path));
    return;
  }
  auto it = set->by_method.find(req.method);
  if (it == set->by_method.end()) {
    std::string allowed;
    for (const auto& [m, h] : set->by_method) allowed += (allowed.empty() ? "" : ", ") + m;
    auto r = http_response::error(405, "method_not_allowed", req.method + " is not allowed here");
    r.headers.emplace_back("Allow", allowed);
    respond(std::move(r));
    return;
  }
  it->second(std::move(req), std::move(respond));
}

void router::add_websocket(std::string path, ws_upgrade_handler h) {
  websockets_[std::move(path)] = std::move(h);
}

const ws_upgrade_handler* router::find_websocket(std::string_view path) const {
  const auto it = websockets_.find(std::string(path));
  return it == websockets_.end() ? nullptr : &it->second;
}

}  // namespace crisisline::net
