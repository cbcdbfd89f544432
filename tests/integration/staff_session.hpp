#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "server_fixture.hpp"

// Staff accounts and logins against the real server, as people get them:
// `crisisline staff add` on the server's database, then POST /v1/auth/login.
namespace crisisline::test {

// `crisisline staff add` with the password on stdin, against the server's
// database while it runs.
inline int staff_cli(const std::filesystem::path& db, const std::string& args,
                     const std::string& password = "") {
  const std::string cmd = std::string(CRISISLINE_BINARY) + " staff " + args + " --db " +
                          db.string() + " >/dev/null 2>&1";
  FILE* p = popen(cmd.c_str(), "w");
  REQUIRE(p != nullptr);
  if (!password.empty()) std::fputs((password + "\n").c_str(), p);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline void add_staff(server_fixture& s, const std::string& user, const std::string& role,
                      const std::string& password = "long enough password") {
  REQUIRE(staff_cli(s.db(),
                    "add --username " + user + " --role " + role + " --display-name 'Test " + role +
                        "' --password-stdin",
                    password) == 0);
}

inline http_response login(server_fixture& s, const std::string& user,
                           const std::string& password = "long enough password") {
  return s.post_json(
      "/v1/auth/login",
      boost::json::serialize(boost::json::object{{"username", user}, {"password", password}}), "");
}

inline std::string token_of(server_fixture& s, const std::string& user) {
  const auto r = login(s, user);
  INFO(r.body);
  REQUIRE(r.status == 200);
  return std::string(json_of(r).at("token").as_string());
}

inline http_response call(server_fixture& s, const std::string& method, const std::string& target,
                          const std::string& token, const std::string& body = "") {
  http_headers h{{"Content-Type", "application/json"}};
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  return s.client().request(method, target, body, h);
}

}  // namespace crisisline::test
