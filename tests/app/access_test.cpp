#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "app/access.hpp"
#include "app/staff_actor.hpp"
#include "token_authenticator.hpp"

using namespace crisisline;
using app::staff_role;

namespace {

struct call_result {
  net::http_response response;
};

call_result call(const net::handler& h, std::string token) {
  net::http_request req;
  req.method = "GET";
  req.path = "/x";
  if (!token.empty()) req.headers.emplace_back("authorization", "Bearer " + token);
  call_result out;
  h(std::move(req), [&](net::http_response r) { out.response = std::move(r); });
  return out;
}

}  // namespace

TEST_CASE("role names round-trip and unknown names are refused") {
  for (const auto r : {staff_role::nurse, staff_role::supervisor, staff_role::crew,
                       staff_role::admin, staff_role::integration}) {
    CHECK(app::parse_role(app::role_name(r)) == r);
  }
  CHECK_FALSE(app::parse_role("Nurse"));
  CHECK_FALSE(app::parse_role(""));
  CHECK(app::role_list({staff_role::supervisor, staff_role::admin}) == "supervisor, admin");
}

TEST_CASE("guarded runs the handler only for an admitted role") {
  test::token_authenticator auth;
  auth.add("n", {.id = "nina", .role = staff_role::nurse, .session = "7"});
  auth.add("c", {.id = "car1", .role = staff_role::crew, .session = "8"});
  bool ran = false;
  app::principal seen;
  const auto h =
      app::guarded(auth, {staff_role::nurse, staff_role::supervisor},
                   [&](const app::principal& who, net::http_request&&, net::responder respond) {
                     ran = true;
                     seen = who;
                     respond(net::http_response::text(200, "ok"));
                   });

  auto r = call(h, "n");
  CHECK(r.response.status == 200);
  CHECK(ran);
  CHECK(seen.id == "nina");
  CHECK(seen.session == "7");

  ran = false;
  r = call(h, "c");
  CHECK(r.response.status == 403);
  CHECK_FALSE(ran);
  const auto body = boost::json::parse(r.response.body).as_object();
  CHECK(body.at("error") == "forbidden");
  CHECK(body.at("detail") == "the crew role may not use this; it is for: nurse, supervisor");

  r = call(h, "");
  CHECK(r.response.status == 401);
  r = call(h, "nope");
  CHECK(r.response.status == 401);
  CHECK_FALSE(ran);
}

TEST_CASE("guarded_ws refuses the upgrade with the same 401 and 403") {
  test::token_authenticator auth;
  auth.add("s", {.id = "sam", .role = staff_role::supervisor});
  auth.add("i", {.id = "pbx", .role = staff_role::integration});
  const auto h = app::guarded_ws(auth, {staff_role::supervisor},
                                 [](const app::principal& who, const net::http_request&) {
                                   return net::ws_decision{net::ws_accept{.subprotocol = who.id}};
                                 });
  net::http_request req;
  req.headers.emplace_back("authorization", "Bearer s");
  auto d = h(req);
  REQUIRE(std::holds_alternative<net::ws_accept>(d));
  CHECK(std::get<net::ws_accept>(d).subprotocol == "sam");
  req.headers = {{"authorization", "Bearer i"}};
  d = h(req);
  REQUIRE(std::holds_alternative<net::http_response>(d));
  CHECK(std::get<net::http_response>(d).status == 403);
  req.headers.clear();
  d = h(req);
  REQUIRE(std::holds_alternative<net::http_response>(d));
  CHECK(std::get<net::http_response>(d).status == 401);
}

TEST_CASE("events a member of staff causes carry a STAFF actor with role and session") {
  const auto a = app::to_actor({.id = "nina", .role = staff_role::nurse, .session = "42"});
  CHECK(a.kind() == v1::Actor::STAFF);
  CHECK(a.id() == "nina");
  CHECK(a.role() == "nurse");
  CHECK(a.session() == "42");
  const auto i = app::to_actor({.id = "pbx", .role = staff_role::integration});
  CHECK(i.kind() == v1::Actor::INTEGRATION);
  CHECK(i.role() == "integration");
  CHECK(i.session().empty());
}
