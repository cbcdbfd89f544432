#include "app/access.hpp"

#include <algorithm>

namespace crisisline::app {
namespace {

// 401 (authenticated stays false) or 403, or nullopt when `who` may go on.
std::optional<net::http_response> refusal(const authenticator& auth,
                                          const std::vector<staff_role>& allowed,
                                          const net::http_request& req, principal& who,
                                          bool& authenticated) {
  auto result = auth.authenticate(req);
  if (auto* denied = std::get_if<net::http_response>(&result)) return std::move(*denied);
  who = std::get<principal>(std::move(result));
  authenticated = true;
  if (std::find(allowed.begin(), allowed.end(), who.role) != allowed.end()) return std::nullopt;
  return net::http_response::error(403, "forbidden",
                                   "the " + std::string(role_name(who.role)) +
                                       " role may not use this; it is for: " + role_list(allowed));
}

}  // namespace

std::string_view role_name(staff_role r) {
  switch (r) {
    case staff_role::nurse:
      return "nurse";
    case staff_role::supervisor:
      return "supervisor";
    case staff_role::crew:
      return "crew";
    case staff_role::admin:
      return "admin";
    case staff_role::integration:
      return "integration";
  }
  return "nurse";
}

std::optional<staff_role> parse_role(std::string_view name) {
  for (const auto r : {staff_role::nurse, staff_role::supervisor, staff_role::crew,
                       staff_role::admin, staff_role::integration}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

std::string role_list(const std::vector<staff_role>& roles) {
  std::string out;
  for (const auto r : roles) {
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

net::handler guarded(const authenticator& auth, std::vector<staff_role> allowed,
                     guarded_handler h) {
  return guarded(auth, std::move(allowed), std::move(h),
                 [](const principal&, const net::http_request&, net::http_response refusal,
                    net::responder respond) { respond(std::move(refusal)); });
}

net::handler guarded(const authenticator& auth, std::vector<staff_role> allowed, guarded_handler h,
                     denied_handler denied) {
  return [&auth, allowed = std::move(allowed), h = std::move(h), denied = std::move(denied)](
             net::http_request&& req, net::responder respond) {
    principal who;
    bool authenticated = false;
    if (auto refused = refusal(auth, allowed, req, who, authenticated)) {
      if (!authenticated) return respond(std::move(*refused));
      return denied(who, req, std::move(*refused), std::move(respond));
    }
    h(who, std::move(req), std::move(respond));
  };
}

net::ws_upgrade_handler guarded_ws(const authenticator& auth, std::vector<staff_role> allowed,
                                   guarded_ws_handler h) {
  return [&auth, allowed = std::move(allowed),
          h = std::move(h)](const net::http_request& req) -> net::ws_decision {
    principal who;
    bool authenticated = false;
    if (auto refused = refusal(auth, allowed, req, who, authenticated)) return std::move(*refused);
    return h(who, req);
  };
}

}  // namespace crisisline::app
