#include <catch2/catch.hpp>
#include <set>

#include "app/credentials.hpp"

using namespace crisisline::app;

TEST_CASE("passwords are stored as argon2id hashes that verify only the right password") {
  const auto h = hash_password("correct horse battery");
  CHECK(h.starts_with("$argon2id$"));
  CHECK(h.find("correct horse") == std::string::npos);
  CHECK(verify_password("correct horse battery", h));
  CHECK_FALSE(verify_password("correct horse batterY", h));
  CHECK_FALSE(verify_password("", h));
  CHECK_FALSE(verify_password("correct horse battery", "not a hash"));
  // Salted: the same password hashes differently each time.
  CHECK(hash_password("correct horse battery") != h);
}

TEST_CASE("tokens carry 256 random bits and are stored only as their SHA-256") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const auto t = new_token();
    CHECK(t.size() == 43);
    CHECK(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
          std::string::npos);
    seen.insert(t);
  }
  CHECK(seen.size() == 100);
  const auto d = token_digest("abc");
  REQUIRE(d.size() == 32);
  // SHA-256("abc") starts ba 78 16 bf.
  CHECK(static_cast<unsigned char>(d[0]) == 0xba);
  CHECK(static_cast<unsigned char>(d[3]) == 0xbf);
}

TEST_CASE("user names are lower-cased and limited to a safe alphabet") {
  CHECK(normalize_username("Nina.Patel-2_") == "nina.patel-2_");
  CHECK_FALSE(normalize_username(""));
  CHECK_FALSE(normalize_username("nina patel"));
  CHECK_FALSE(normalize_username("nina@ward"));
  CHECK_FALSE(normalize_username("n\xc3\xa9"));
  CHECK_FALSE(normalize_username(std::string(65, 'a')));
  CHECK(normalize_username(std::string(64, 'a')));
}

TEST_CASE("wipe_secret overwrites a password in place") {
  std::string s = "hunter2hunter2";
  wipe_secret(s);
  CHECK(s == std::string(14, '\0'));
}
