#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "net/http_message.hpp"
#include "net/websocket.hpp"

// Who may call what. Every HTTP route and WebSocket feed except the public
// ones (healthz, readyz, login, signed provider webhooks, the static console)
// is wrapped in guarded()/guarded_ws() with the roles it admits, so the role
// rule of a route sits next to the route's registration in serve.cpp.
namespace crisisline::app {

enum class staff_role : std::uint8_t { nurse, supervisor, crew, admin, integration };

// "nurse", "supervisor", "crew", "admin", "integration".
[[nodiscard]] std::string_view role_name(staff_role r);
[[nodiscard]] std::optional<staff_role> parse_role(std::string_view name);

// The authenticated caller of one request.
struct principal {
  // Staff user name, or the integration token's name.
  std::string id;
  staff_role role = staff_role::nurse;
  // Login session id (for audit); empty for integration tokens.
  std::string session;
  // The account's display name (the token's name for integrations).
  std::string display_name;
};

// How a live feed (console or crew WebSocket) is closed when its session
// ends: logout, expiry, or the account disabled or its password reset.
inline constexpr std::uint16_t session_ended_code = 1008;
inline constexpr const char* session_ended_reason = "the session ended: log in again";

// "nurse, supervisor": for the 403 detail and the README.
[[nodiscard]] std::string role_list(const std::vector<staff_role>& roles);

// Authenticates a request from "Authorization: Bearer <token>" (a staff login
// token or an integration token); WebSocket upgrades from browsers, which
// cannot set headers, may carry the token as the `access_token` query
// parameter instead.
class authenticator {
 public:
  virtual ~authenticator() = default;
  // The caller, or the 401 response to send.
  [[nodiscard]] virtual std::variant<principal, net::http_response> authenticate(
      const net::http_request& req) const = 0;
};

using guarded_handler =
    std::function<void(const principal& who, net::http_request&& req, net::responder respond)>;
using guarded_ws_handler =
    std::function<net::ws_decision(const principal& who, const net::http_request& req)>;

// Gets the 403 instead of it being sent, so the refusal can be recorded
// (the audit trail) before `refusal` is sent with `respond`.
using denied_handler = std::function<void(const principal& who, const net::http_request& req,
                                          net::http_response refusal, net::responder respond)>;

// 401 without valid credentials, 403 (naming the roles that may) when the
// caller's role is not in `allowed`, else `h`.
[[nodiscard]] net::handler guarded(const authenticator& auth, std::vector<staff_role> allowed,
                                   guarded_handler h);
// The same, with the 403 going through `denied`.
[[nodiscard]] net::handler guarded(const authenticator& auth, std::vector<staff_role> allowed,
                                   guarded_handler h, denied_handler denied);
[[nodiscard]] net::ws_upgrade_handler guarded_ws(const authenticator& auth,
                                                 std::vector<staff_role> allowed,
                                                 guarded_ws_handler h);

}  // namespace crisisline::app
