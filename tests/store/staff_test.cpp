#include <catch2/catch.hpp>

#include "store/schema.hpp"
#include "store/staff.hpp"
#include "temp_db.hpp"

using namespace crisisline::store;

namespace {

struct db_fixture {
  temp_db dir;
  connection c{dir.path()};
  db_fixture() {
    configure_connection(c);
    migrate(c);
  }
};

staff_account nina() {
  return {.username = "nina",
          .display_name = "Nina Patel",
          .role = "nurse",
          .password_hash = "$argon2id$fake",
          .disabled = false,
          .created_at_us = 1000,
          .changed_at_us = 1000};
}

}  // namespace

TEST_CASE("staff accounts are added once and found by user name") {
  db_fixture f;
  REQUIRE(add_staff(f.c, nina()));
  CHECK_FALSE(add_staff(f.c, nina()));
  const auto a = find_staff(f.c, "nina");
  REQUIRE(a);
  CHECK(a->display_name == "Nina Patel");
  CHECK(a->role == "nurse");
  CHECK_FALSE(a->disabled);
  CHECK_FALSE(find_staff(f.c, "sam"));
  auto bad = nina();
  bad.username = "x";
  bad.role = "janitor";
  CHECK_THROWS_AS((void)add_staff(f.c, bad), error);
  CHECK(list_staff(f.c).size() == 1);
}

TEST_CASE("live sessions exclude expired, revoked and disabled ones") {
  db_fixture f;
  REQUIRE(add_staff(f.c, nina()));
  auto sam = nina();
  sam.username = "sam";
  sam.role = "supervisor";
  REQUIRE(add_staff(f.c, sam));
  const auto a = insert_session(f.c, std::string(32, 'a'), "nina", 100, 5000);
  const auto b = insert_session(f.c, std::string(32, 'b'), "nina", 100, 2000);
  const auto c = insert_session(f.c, std::string(32, 'c'), "sam", 100, 5000);
  CHECK(live_sessions(f.c, 1000).size() == 3);
  // b expires at 2000.
  auto live = live_sessions(f.c, 3000);
  REQUIRE(live.size() == 2);
  revoke_session(f.c, a, 3000);
  live = live_sessions(f.c, 3000);
  REQUIRE(live.size() == 1);
  CHECK(live[0].id == c);
  CHECK(live[0].role == "supervisor");
  CHECK(live[0].token_hash == std::string(32, 'c'));
  // Disabling revokes for good: enabling again does not revive the session.
  REQUIRE(set_staff_disabled(f.c, "sam", true, 3100));
  CHECK(live_sessions(f.c, 3200).empty());
  REQUIRE(set_staff_disabled(f.c, "sam", false, 3300));
  CHECK(live_sessions(f.c, 3400).empty());
  CHECK(find_staff(f.c, "sam")->changed_at_us == 3300);
  CHECK_FALSE(set_staff_disabled(f.c, "nobody", true, 1));
  (void)b;
}

TEST_CASE("a new password revokes the account's sessions") {
  db_fixture f;
  REQUIRE(add_staff(f.c, nina()));
  (void)insert_session(f.c, std::string(32, 'a'), "nina", 100, 5000);
  REQUIRE(set_staff_password(f.c, "nina", "$argon2id$new", 200));
  CHECK(find_staff(f.c, "nina")->password_hash == "$argon2id$new");
  CHECK(live_sessions(f.c, 300).empty());
  CHECK_FALSE(set_staff_password(f.c, "nobody", "h", 1));
}

TEST_CASE("a token hash is unique") {
  db_fixture f;
  REQUIRE(add_staff(f.c, nina()));
  (void)insert_session(f.c, std::string(32, 'a'), "nina", 100, 5000);
  CHECK_THROWS_AS((void)insert_session(f.c, std::string(32, 'a'), "nina", 100, 5000), error);
}
