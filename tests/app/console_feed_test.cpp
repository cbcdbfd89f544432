#include <catch2/catch.hpp>

#include <functional>
#include <memory>

#include "app/console_feed.hpp"
#include "fake_ws.hpp"

using namespace crisisline;
using namespace crisisline::app;
using app::testing::fake_ws;
namespace json = boost::json;

namespace {

constexpr core::timestamp t0 = core::from_micros(1'700'000'000'000'000);

// An engine driven like the pipeline drives it, the feed told after each
// event, and the flush timer fired by hand.
struct rig {
  core::engine eng;
  core::timestamp now = t0;
  std::uint64_t seq = 0;
  std::function<void()> due_flush;
  int flushes_scheduled = 0;
  console_feed feed;

  explicit rig(feed_settings s = {})
      : feed(
            eng, s, [this] { return now; },
            [this](std::chrono::milliseconds after, std::function<void()> fn) {
              CHECK(after == std::chrono::milliseconds(50));
              ++flushes_scheduled;
              due_flush = std::move(fn);
            }) {}

  std::uint64_t push(core::event_payload p) {
    core::event e;
    e.seq = ++seq;
    e.recorded_time = now;
    e.payload = std::move(p);
    const auto fx = eng.apply(e);
    if (!fx.empty()) feed.on_commit(e.seq, fx);
    return e.seq;
  }
  std::uint64_t text(const std::string& from, const std::string& body) {
    return push(
        core::text_event{.message_id = "SM" + std::to_string(seq + 1), .from = from, .body = body});
  }
  std::uint64_t console(const std::string& nurse, core::console_action a) {
    return push(core::console_command{.nurse_id = nurse, .action = std::move(a)});
  }
  // The 50 ms timer fires.
  void tick() {
    REQUIRE(due_flush);
    auto fn = std::move(due_flush);
    due_flush = nullptr;
    fn();
  }
  std::shared_ptr<fake_ws> connect(const std::string& who, staff_role role,
                                   std::optional<std::uint64_t> since = std::nullopt,
                                   std::size_t max_queued = 1 << 30) {
    auto ws = std::make_shared<fake_ws>(max_queued);
    ws->callbacks = feed.subscribe(ws, principal{who, role, "s1"}, since);
    return ws;
  }
};

std::vector<std::uint64_t> contact_ids(const json::object& frame) {
  std::vector<std::uint64_t> out;
  for (const auto& c : frame.at("contacts").as_array()) {
    out.push_back(c.at("contact_id").to_number<std::uint64_t>());
  }
  return out;
}

std::uint64_t seq_of(const json::object& frame) {
  return frame.at("seq").to_number<std::uint64_t>();
}

std::vector<std::string> notice_kinds(const std::vector<json::object>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) {
    for (const auto& n : f.at("notices").as_array()) {
      out.emplace_back(n.at("kind").as_string());
    }
  }
  return out;
}

}  // namespace

TEST_CASE("a console's first frame is a snapshot of the queue, its offers, contacts and self") {
  rig r;
  r.console("n1", core::start_shift{{}, {}, 3});
  const auto a = r.text("+447700900001", "hello");
  auto ws = r.connect("n1", staff_role::nurse);
  REQUIRE(ws->frames.size() == 1);
  const auto& f = ws->frames[0];
  CHECK(f.at("type") == "snapshot");
  CHECK(seq_of(f) == r.seq);
  CHECK(f.at("queue").as_array().size() == 1);
  REQUIRE(f.at("offers").as_array().size() == 1);
  CHECK(f.at("offers").as_array()[0].at("contact_id").to_number<std::uint64_t>() == a);
  CHECK(f.at("nurse").at("nurse_id") == "n1");
  CHECK(f.at("contacts").as_array().empty());
  CHECK_FALSE(f.contains("nurses"));
  CHECK(r.connect("sup", staff_role::supervisor)->frames[0].contains("nurses"));
}

TEST_CASE("changes are merged into one frame per flush, and only after the flush") {
  rig r;
  r.console("n1", core::start_shift{{}, {}, 3});
  auto ws = r.connect("n1", staff_role::nurse);
  const auto a = r.text("+447700900001", "hello");
  r.console("n1", core::accept_offer{a});
  r.now += std::chrono::seconds(5);
  r.text("+447700900001", "are you there");
  r.console("n1", core::add_note{a, "first contact", ""});
  // Four commits, one timer, nothing sent before it fires.
  CHECK(r.flushes_scheduled == 1);
  CHECK(ws->frames.size() == 1);
  r.tick();
  REQUIRE(ws->frames.size() == 2);
  const auto& f = ws->frames[1];
  CHECK(f.at("type") == "update");
  CHECK(seq_of(f) == r.seq);
  CHECK(f.at("queue_changed") == true);
  CHECK(contact_ids(f) == std::vector<std::uint64_t>{a});
  const auto& c = f.at("contacts").as_array()[0];
  CHECK(c.at("state") == "active");
  CHECK(c.at("unread").to_number<int>() == 1);
  CHECK(f.at("nurse").at("texts").to_number<int>() == 1);
  // Nothing new: no frame and no timer.
  CHECK_FALSE(r.due_flush);
}

TEST_CASE("a nurse sees their own contacts and notices, not other nurses'") {
  rig r;
  r.console("n1", core::start_shift{{}, {}, 1});
  r.console("n2", core::start_shift{{}, {}, 1});
  auto n1 = r.connect("n1", staff_role::nurse);
  auto n2 = r.connect("n2", staff_role::nurse);
  auto sup = r.connect("sup", staff_role::supervisor);
  const auto a = r.text("+447700900001", "hello");
  const std::string holder = r.eng.find_contact(core::contact_id{a})->offered_to->value();
  r.console(holder, core::decline_offer{a, "conflict of interest"});
  r.tick();
  auto& held = holder == "n1" ? n1 : n2;
  auto& other = holder == "n1" ? n2 : n1;
  // The decliner hears of the contact (it left them); the other nurse now has the offer.
  REQUIRE(held->frames.size() == 2);
  REQUIRE(other->frames.size() == 2);
  CHECK(other->frames[1].at("offers").as_array().size() == 1);
  CHECK(held->frames[1].at("offers").as_array().empty());
  CHECK(notice_kinds(held->frames).empty());
  CHECK(notice_kinds(sup->frames) == std::vector<std::string>{"offer_declined"});
  CHECK(sup->frames[1].at("nurses").as_array().size() == 2);
}

TEST_CASE("notices are never merged away, however many arrive between flushes") {
  rig r;
  auto sup = r.connect("sup", staff_role::supervisor);
  for (int i = 0; i < 30; ++i)
    r.push(core::text_event{.message_id = "SM" + std::to_string(i),
                            .from = "+44770090" + std::to_string(1000 + i),
                            .body = "I took 30 paracetamol"});
  r.tick();
  REQUIRE(sup->frames.size() == 2);
  CHECK(notice_kinds(sup->frames).size() == 30);
  CHECK(contact_ids(sup->frames[1]).size() == 30);
}

TEST_CASE("reconnecting with since gets every missed change exactly once, in one frame") {
  rig r;
  r.console("n1", core::start_shift{{}, {}, 3});
  auto ws = r.connect("n1", staff_role::nurse);
  const auto a = r.text("+447700900001", "hello");
  r.console("n1", core::accept_offer{a});
  r.tick();
  const std::uint64_t seen = seq_of(ws->frames.back());
  ws->close(1006, "network");
  CHECK(r.feed.subscribers() == 0);

  // Missed while away: a new text on my contact, a supervisor-only notice,
  // a contact offered to me.
  r.text("+447700900001", "still here");
  const auto b = r.text("+447700900002", "new person");
  auto back = r.connect("n1", staff_role::nurse, seen);
  REQUIRE(back->frames.size() == 1);
  const auto& f = back->frames[0];
  CHECK(f.at("type") == "update");
  CHECK(seq_of(f) == r.seq);
  CHECK(contact_ids(f) == std::vector<std::uint64_t>{a, b});
  CHECK(f.at("offers").as_array()[0].at("contact_id").to_number<std::uint64_t>() == b);
  // Nothing more is owed: the next flush sends nothing.
  if (r.due_flush) r.tick();
  CHECK(back->frames.size() == 1);
}

TEST_CASE("a since older than the replay ring gets a full snapshot, which loses nothing") {
  rig r(feed_settings{.replay_changes = 4});
  r.console("n1", core::start_shift{{}, {}, 3});
  auto ws = r.connect("n1", staff_role::nurse);
  const std::uint64_t seen = seq_of(ws->frames.back());
  ws->close(1006, "network");
  for (int i = 0; i < 10; ++i) r.text("+4477009000" + std::to_string(10 + i), "hi");
  CHECK(r.feed.retained_changes() == 4);
  auto back = r.connect("n1", staff_role::nurse, seen);
  REQUIRE(back->frames.size() == 1);
  CHECK(back->frames[0].at("type") == "snapshot");
  CHECK(back->frames[0].at("queue").as_array().size() == 10);
  // A since from the future (another server's database) is not trusted either.
  CHECK(r.connect("n1", staff_role::nurse, r.seq + 5)->frames[0].at("type") == "snapshot");
}

TEST_CASE("frames a console is sent have strictly increasing seq") {
  rig r;
  r.console("n1", core::start_shift{{}, {}, 3});
  auto ws = r.connect("n1", staff_role::nurse);
  for (int i = 0; i < 5; ++i) {
    const auto c = r.text("+4477009000" + std::to_string(10 + i), "hi");
    r.console("n1", core::accept_offer{c});
    r.tick();
  }
  REQUIRE(ws->frames.size() == 6);
  for (std::size_t i = 1; i < ws->frames.size(); ++i) {
    CHECK(seq_of(ws->frames[i]) > seq_of(ws->frames[i - 1]));
  }
}

TEST_CASE("a console that never reads is closed with 1013 and dropped, and can resume") {
  rig r;
  auto slow = r.connect("sup", staff_role::supervisor, std::nullopt, 64 << 10);
  slow->stop_reading();
  auto fast = r.connect("sup2", staff_role::supervisor);
  std::uint64_t last_seen = seq_of(slow->frames.back());
  for (int i = 0; i < 200 && slow->is_open(); ++i) {
    r.text("+4477009" + std::to_string(10000 + i), "hello there");
    r.tick();
    if (slow->is_open()) last_seen = seq_of(slow->frames.back());
  }
  CHECK_FALSE(slow->is_open());
  CHECK(slow->close_code == net::ws_close::try_again_later);
  CHECK(slow->queued_bytes() <= (64u << 10));
  CHECK(r.feed.subscribers() == 1);
  CHECK(fast->is_open());
  // It resumes from the last frame it got.
  auto back = r.connect("sup", staff_role::supervisor, last_seen);
  CHECK(back->frames[0].at("type") == "update");
  CHECK_FALSE(contact_ids(back->frames[0]).empty());
}

TEST_CASE("a nurse who signs off elsewhere sees it, and supervisors see them gone") {
  rig r;
  r.console("n1", core::start_shift{});
  auto n1 = r.connect("n1", staff_role::nurse);
  auto sup = r.connect("sup", staff_role::supervisor);
  r.console("n1", core::end_shift{});
  r.tick();
  CHECK(n1->frames.back().at("nurse").is_null());
  const auto& nurses = sup->frames.back().at("nurses").as_array();
  REQUIRE(nurses.size() == 1);
  CHECK(nurses[0].at("signed_off") == true);
  CHECK(notice_kinds(sup->frames) == std::vector<std::string>{"handover"});
}
