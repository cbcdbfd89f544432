#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace crisisline::core;
using crisisline::core::testing::harness;

namespace {

settings test_settings() {
  settings s;
  s.queue.wrap_up = duration::zero();
  return s;
}

std::vector<std::uint64_t> ids(const std::vector<contact_id>& v) {
  std::vector<std::uint64_t> out;
  for (const contact_id c : v) out.push_back(c.value());
  return out;
}

// A text from `from`, answered by amy and closed.
std::uint64_t closed_text(harness& h, const std::string& from) {
  const auto id = h.text(from, "hello");
  h.sign_on("amy");
  h.accept("amy", id);
  h.close("amy", id);
  h.console("amy", nurse_sign_off{});
  return id;
}

}  // namespace

TEST_CASE("only contacts closed before the cutoff are purgeable") {
  harness h{test_settings()};
  const auto early = closed_text(h, "+447700900001");
  h.advance(std::chrono::hours{1});
  const timestamp cutoff = h.now;
  h.advance(std::chrono::minutes{1});
  const auto late = closed_text(h, "+447700900002");
  const auto open = h.text("+447700900003", "still here");
  CHECK(ids(h.eng.purgeable(cutoff)) == std::vector<std::uint64_t>{early});
  CHECK(ids(h.eng.purgeable(h.now + seconds(1))) == std::vector<std::uint64_t>{early, late});
  (void)open;
}

TEST_CASE("a contact that sent an opt keyword, or has a text still to send, is kept") {
  harness h{test_settings()};
  const auto opted = h.text("+447700900001", "hello");
  h.push(text_event{.message_id = "SMstop",
                    .from = "+447700900001",
                    .body = "STOP",
                    .opt = opt_keyword::opt_out});
  h.sign_on("amy");
  h.accept("amy", opted);
  h.close("amy", opted);
  const auto replied = h.text("+447700900002", "hello");
  h.accept("amy", replied);
  h.console("amy", reply_text{.contact_id = replied, .body = "we are here"});
  const auto outbound = h.seq;
  h.close("amy", replied);
  h.advance(seconds(10));
  // The reply was never accepted by the provider: purging would send it to a hash.
  CHECK(h.eng.purgeable(h.now).empty());
  h.push(outbound_result{.outbound_id = outbound,
                         .outcome = send_outcome::accepted,
                         .provider_message_id = "SMout",
                         .attempt = 1});
  CHECK(ids(h.eng.purgeable(h.now)) == std::vector<std::uint64_t>{replied});
}

TEST_CASE("contacts linked by one event are purged together or not at all") {
  harness h{test_settings()};
  const auto first = h.call("CA1", "+447700900001");
  h.call_status_of("CA1", call_status::abandoned);
  const auto callback = h.seq;
  REQUIRE(h.get(callback).callback_of == contact_id{first});
  // The caller rings again: the new call takes the callback's place.
  h.advance(seconds(30));
  const auto redial = h.call("CA2", "+447700900001");
  REQUIRE(h.get(callback).exit == queue_exit::redialled);
  h.advance(seconds(30));
  // The first call and its callback are closed, but the callback shares the
  // redial's event and the redial is still waiting.
  CHECK(h.eng.purgeable(h.now).empty());
  h.sign_on("amy");
  h.accept("amy", redial);
  h.close("amy", redial);
  h.advance(seconds(1));
  CHECK(ids(h.eng.purgeable(h.now)) == std::vector<std::uint64_t>{first, callback, redial});
}

TEST_CASE("a purge replaces numbers and bodies in memory, only for purgeable listed contacts") {
  harness h{test_settings()};
  const auto a = h.text("+447700900001", "hello");
  h.sign_on("amy");
  h.accept("amy", a);
  h.console("amy", reply_text{.contact_id = a, .body = "we are here"});
  const auto out_id = h.seq;
  h.push(outbound_result{.outbound_id = out_id,
                         .outcome = send_outcome::accepted,
                         .provider_message_id = "SMout",
                         .attempt = 1});
  h.close("amy", a);
  const auto open = h.text("+447700900002", "hello again");
  h.advance(seconds(1));
  h.push(retention_purge{
      .before = h.now, .through_seq = h.seq, .contacts = {{a, "key-a"}, {open, "key-open"}}});
  const contact& c = h.get(a);
  CHECK(c.purged);
  CHECK(c.from == "key-a");
  CHECK(c.replies.at(0).body == purged_body);
  CHECK(h.eng.outbox().find(out_id)->to == "key-a");
  CHECK(h.eng.outbox().find(out_id)->body == purged_body);
  // Listed but still open: untouched.
  CHECK_FALSE(h.get(open).purged);
  CHECK(h.get(open).from == "+447700900002");
  CHECK(h.eng.purgeable(h.now).empty());
}
