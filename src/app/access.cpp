#include "app/access.hpp"

#include <algorithm>

// Interim implementation of the access interface, so console routes link and
// run before the accounts work lands; that branch's access.cpp replaces it.
namespace crisisline::app {
namespace {

std::string role_list(const std::vector<staff_role>& roles) {
  std::string out;
  for (const staff_role r : roles) {
    if (!out.empty()) out += ", ";
    out += role_name(r);
  }
  return out;
}

std::optional<net::http_response> refusal(const principal& who,
                                          const std::vector<staff_role>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), who.role) != allowed.end()) return std::nullopt;
  return net::http_response::error(403, "forbidden",
                                   "this needs one of the roles " + role_list(allowed) +
                                       "; you are " + std::string(role_name(who.role)));
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
  for (const staff_role r : {staff_role::nurse, staff_role::supervisor, staff_role::crew,
                             staff_role::admin, staff_role::integration}) {
    if (role_name(r) == name) return r;
  }
  return std::nullopt;
}

net::handler guarded(const authenticator& auth, std::vector<staff_role> allowed,
                     guarded_handler h) {
  return [&auth, allowed = std::move(allowed), h = std::move(h)](net::http_request&& req,
                                                                 net::responder respond) {
    auto who = auth.authenticate(req);
    if (auto* r = std::get_if<net::http_response>(&who)) return respond(std::move(*r));
    const auto& p = std::get<principal>(who);
    if (auto refused = refusal(p, allowed)) return respond(std::move(*refused));
    h(p, std::move(req), std::move(respond));
  };
}

net::ws_upgrade_handler guarded_ws(const authenticator& auth, std::vector<staff_role> allowed,
                                   guarded_ws_handler h) {
  return [&auth, allowed = std::move(allowed),
          h = std::move(h)](const net::http_request& req) -> net::ws_decision {
    auto who = auth.authenticate(req);
    if (auto* r = std::get_if<net::http_response>(&who)) return std::move(*r);
    const auto& p = std::get<principal>(who);
    if (auto refused = refusal(p, allowed)) return std::move(*refused);
    return h(p, req);
  };
}

}  // namespace crisisline::app
