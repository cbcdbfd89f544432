#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "app/credentials.hpp"
#include "app/session_auth.hpp"
#include "net/router.hpp"
#include "store/schema.hpp"
#include "store/staff.hpp"
#include "temp_dir.hpp"

using namespace crisisline;
using namespace std::chrono_literals;

namespace {

// A database with nina (nurse) holding a session for token "nina-token".
struct auth_fixture {
  test::temp_dir dir;
  core::timestamp now = core::timestamp(core::duration(1'700'000'000'000'000));
  app::bearer_auth integrations;
  net::io_loop loop;
  std::unique_ptr<app::session_auth> auth;

  auth_fixture() {
    const auto db_path = dir / "crisisline.db";
    {
      store::connection c(db_path);
      store::configure_connection(c);
      store::migrate(c);
      REQUIRE(store::add_staff(c, store::staff_account{.username = "nina",
                                                       .display_name = "Nina Patel",
                                                       .role = "nurse",
                                                       .password_hash = "unused here",
                                                       .disabled = false,
                                                       .created_at_us = 0,
                                                       .changed_at_us = 0}));
      (void)store::insert_session(c, app::token_digest("nina-token"), "nina", core::to_micros(now),
                                  core::to_micros(now + 1h));
    }
    integrations.add("pbx", "pbx-token");
    auth = std::make_unique<app::session_auth>(loop, db_path, integrations, app::session_settings{},
                                               [this] { return now; });
  }
  ~auth_fixture() { auth->stop(); }

  std::variant<app::principal, net::http_response> check(
      std::vector<std::pair<std::string, std::string>> headers, std::string query = {}) {
    net::http_request req;
    req.method = "GET";
    req.path = "/x";
    req.headers = std::move(headers);
    req.query = std::move(query);
    return auth->authenticate(req);
  }
};

std::string detail_of(const std::variant<app::principal, net::http_response>& r) {
  REQUIRE(std::holds_alternative<net::http_response>(r));
  const auto& res = std::get<net::http_response>(r);
  CHECK(res.status == 401);
  return std::string(boost::json::parse(res.body).at("detail").as_string());
}

}  // namespace

TEST_CASE("a stored session authenticates by its bearer token until it expires") {
  auth_fixture f;
  const auto r = f.check({{"authorization", "Bearer nina-token"}});
  REQUIRE(std::holds_alternative<app::principal>(r));
  const auto& who = std::get<app::principal>(r);
  CHECK(who.id == "nina");
  CHECK(who.role == app::staff_role::nurse);
  CHECK(who.display_name == "Nina Patel");
  CHECK_FALSE(who.session.empty());
  CHECK(std::holds_alternative<app::principal>(f.check({{"authorization", "bearer nina-token"}})));

  CHECK(detail_of(f.check({{"authorization", "Bearer other"}})).find("not valid") !=
        std::string::npos);
  CHECK(detail_of(f.check({})).find("required") != std::string::npos);
  f.now += 1h;
  CHECK(detail_of(f.check({{"authorization", "Bearer nina-token"}})).find("expired") !=
        std::string::npos);
}

TEST_CASE("GET /v1/me says how many whole seconds the session has left") {
  auth_fixture f;
  net::router routes;
  f.auth->add_routes(routes);
  const auto me = [&](std::string authorization) {
    net::http_request req;
    req.method = "GET";
    req.path = "/v1/me";
    req.headers = {{"authorization", std::move(authorization)}};
    std::optional<net::http_response> answer;
    routes.dispatch(std::move(req), [&](net::http_response r) { answer = std::move(r); });
    REQUIRE(answer);
    REQUIRE(answer->status == 200);
    return boost::json::parse(answer->body).as_object();
  };
  // The session was opened at `now` for an hour.
  auto body = me("Bearer nina-token");
  CHECK(body.at("expires_in_seconds") == 3600);
  CHECK(body.at("expires_at") == "2023-11-14T23:13:20.000Z");
  f.now += 25min + 500ms;
  body = me("Bearer nina-token");
  CHECK(body.at("expires_in_seconds") == 2099);
  CHECK(body.at("expires_at") == "2023-11-14T23:13:20.000Z");
  f.now += 34min + 59s;
  CHECK(me("Bearer nina-token").at("expires_in_seconds") == 0);
  // An integration token is configured, not a session: it has no expiry.
  body = me("Bearer pbx-token");
  CHECK(body.at("expires_in_seconds").is_null());
  CHECK(body.at("expires_at").is_null());
}

TEST_CASE("the access_token query parameter is accepted only on a WebSocket upgrade") {
  auth_fixture f;
  CHECK(std::holds_alternative<app::principal>(
      f.check({{"upgrade", "websocket"}}, "since=4&access_token=nina-token")));
  // A plain GET cannot carry its token in the URL (it would land in logs).
  CHECK(std::holds_alternative<net::http_response>(f.check({}, "access_token=nina-token")));
}

TEST_CASE("integration tokens from the configuration authenticate as role integration") {
  auth_fixture f;
  const auto r = f.check({{"authorization", "Bearer pbx-token"}});
  REQUIRE(std::holds_alternative<app::principal>(r));
  CHECK(std::get<app::principal>(r).id == "pbx");
  CHECK(std::get<app::principal>(r).role == app::staff_role::integration);
  CHECK(std::get<app::principal>(r).session.empty());
}
