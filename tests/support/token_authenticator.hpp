#pragma once

#include <map>
#include <string>

#include "app/access.hpp"

namespace crisisline::test {

// An authenticator for in-process handler tests: "Bearer <token>" maps to the
// principal registered for it; anything else is the 401 a server would send.
class token_authenticator final : public app::authenticator {
 public:
  void add(std::string token, app::principal who) { tokens_[std::move(token)] = std::move(who); }

  [[nodiscard]] std::variant<app::principal, net::http_response> authenticate(
      const net::http_request& req) const override {
    const auto header = std::string(req.header("authorization"));
    const std::string scheme = "Bearer ";
    if (header.starts_with(scheme)) {
      if (const auto it = tokens_.find(header.substr(scheme.size())); it != tokens_.end()) {
        return it->second;
      }
    }
    return net::http_response::error(401, "unauthorized", "a valid bearer token is required");
  }

 private:
  std::map<std::string, app::principal> tokens_;
};

}  // namespace crisisline::test
