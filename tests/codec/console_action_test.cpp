#include <catch2/catch.hpp>

#include "codec/console_action.hpp"

using namespace crisisline;

TEST_CASE("a console command's name and contact are found for the audit trail") {
  v1::Event e;
  CHECK_FALSE(codec::console_action_of(e));
  e.mutable_text()->set_body("hello");
  CHECK_FALSE(codec::console_action_of(e));

  e.mutable_console()->mutable_add_note()->set_contact_id(42);
  auto a = codec::console_action_of(e);
  REQUIRE(a);
  CHECK(a->command == "add_note");
  CHECK(a->contact_id == 42);

  e.mutable_console()->mutable_accept()->set_contact_id(7);
  a = codec::console_action_of(e);
  REQUIRE(a);
  CHECK(a->command == "accept");
  CHECK(a->contact_id == 7);

  e.mutable_console()->mutable_take_next();
  a = codec::console_action_of(e);
  REQUIRE(a);
  CHECK(a->command == "take_next");
  CHECK(a->contact_id == 0);
}
