#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <tuple>

#include "core/urgency_queue.hpp"

using namespace crisisline::core;

namespace {

constexpr timestamp t0 = from_micros(1'000'000'000'000);
timestamp at(std::int64_t s) {
  return t0 + seconds(s);
}

std::vector<std::uint64_t> order(const urgency_queue& q, timestamp now) {
  std::vector<std::uint64_t> ids;
  q.for_each_ranked(now, [&](const urgency_queue::entry& e) {
    ids.push_back(e.id.value());
    return true;
  });
  return ids;
}

}  // namespace

// Defaults used below: A 0 s / max 60 s (emergency), B 30 s / 2 min,
// C 60 s / 10 min, D 5 min / 30 min, E 15 min / 1 h, F and G 30 min / 2 h.

TEST_CASE("an empty queue has no top") {
  urgency_queue q{default_triage_scale()};
  CHECK_FALSE(q.top(t0).has_value());
  CHECK_FALSE(q.pop(t0).has_value());
  CHECK(q.empty());
}

TEST_CASE("a new B goes ahead of a C that is further from breaching, not of one nearer") {
  urgency_queue q{default_triage_scale()};
  REQUIRE(q.insert(contact_id{1}, triage_category::c, at(0)));   // C breaches at 60 s
  REQUIRE(q.insert(contact_id{2}, triage_category::c, at(40)));  // C breaches at 100 s
  REQUIRE(q.insert(contact_id{3}, triage_category::b, at(45)));  // B breaches at 75 s
  CHECK(order(q, at(45)) == std::vector<std::uint64_t>{1, 3, 2});
}

TEST_CASE(
    "waiting raises priority: a routine contact overtakes newer urgent ones as it nears breach") {
  urgency_queue q{default_triage_scale()};
  REQUIRE(q.insert(contact_id{1}, triage_category::e, at(0)));  // breaches at 900 s
  REQUIRE(q.insert(contact_id{2}, triage_category::c, at(0)));  // breaches at 60 s
  CHECK(order(q, at(0)) == std::vector<std::uint64_t>{2, 1});
  // A C arriving at 850 s breaches at 910 s, after the E that has waited all along.
  REQUIRE(q.insert(contact_id{3}, triage_category::c, at(850)));
  CHECK(order(q, at(850)) == std::vector<std::uint64_t>{2, 1, 3});
}

TEST_CASE(
    "emergency band A is always first, oldest first, even before contacts past their maximum") {
  urgency_queue q{default_triage_scale()};
  REQUIRE(q.insert(contact_id{1}, triage_category::c, at(0)));
  REQUIRE(q.insert(contact_id{2}, triage_category::a, at(700)));
  REQUIRE(q.insert(contact_id{3}, triage_category::a, at(650)));
  CHECK(q.tier_of(*q.find(contact_id{1}), at(700)) == urgency_queue::tier::overdue);
  CHECK(order(q, at(700)) == std::vector<std::uint64_t>{3, 2, 1});
  CHECK(q.pop(at(700))->id == contact_id{3});
}

TEST_CASE("past its maximum wait a contact outranks one with an earlier answer deadline") {
  urgency_queue q{default_triage_scale()};
  // G arrived long ago: answer deadline 50 s, maximum at 5450 s.
  REQUIRE(q.insert(contact_id{1}, triage_category::g, at(-1750)));
  // C arrived at 0: answer deadline 60 s, maximum at 600 s.
  REQUIRE(q.insert(contact_id{2}, triage_category::c, at(0)));
  CHECK(order(q, at(599)) == std::vector<std::uint64_t>{1, 2});
  CHECK(order(q, at(600)) == std::vector<std::uint64_t>{2, 1});
  CHECK(q.tier_of(*q.find(contact_id{2}), at(600)) == urgency_queue::tier::overdue);
}

TEST_CASE("contacts past their maximum go in the order they passed it") {
  urgency_queue q{default_triage_scale()};
  REQUIRE(q.insert(contact_id{1}, triage_category::e, at(0)));     // max at 3600 s
  REQUIRE(q.insert(contact_id{2}, triage_category::b, at(3400)));  // max at 3520 s
  REQUIRE(
      q.insert(contact_id{3}, triage_category::c, at(3000)));  // max at 3600 s, C before E on a tie
  CHECK(order(q, at(3700)) == std::vector<std::uint64_t>{2, 3, 1});
}

TEST_CASE("changing band keeps the arrival, and with it the place among equals") {
  urgency_queue q{default_triage_scale()};
  REQUIRE(q.insert(contact_id{1}, triage_category::d, at(0)));
  REQUIRE(q.insert(contact_id{2}, triage_category::c, at(10)));
  REQUIRE(q.insert(contact_id{3}, triage_category::c, at(20)));
  CHECK(order(q, at(20)) == std::vector<std::uint64_t>{2, 3, 1});
  REQUIRE(q.change_band(contact_id{1}, triage_category::c));
  CHECK(q.find(contact_id{1})->arrival == at(0));
  CHECK(order(q, at(20)) == std::vector<std::uint64_t>{1, 2, 3});
  // Lowered again it falls back behind, but still by its first arrival.
  REQUIRE(q.change_band(contact_id{1}, triage_category::e));
  CHECK(order(q, at(20)) == std::vector<std::uint64_t>{2, 3, 1});
  CHECK(q.find(contact_id{1})->band == triage_category::e);
}

TEST_CASE("queue operations refuse what they cannot do") {
  urgency_queue q{default_triage_scale()};
  CHECK(q.insert(contact_id{1}, triage_category::c, at(0)));
  CHECK_FALSE(q.insert(contact_id{1}, triage_category::b, at(5)));
  CHECK_FALSE(q.insert(contact_id{2}, triage_category::unspecified, at(5)));
  CHECK_FALSE(q.change_band(contact_id{9}, triage_category::b));
  CHECK_FALSE(q.change_band(contact_id{1}, triage_category::unspecified));
  CHECK_FALSE(q.erase(contact_id{9}));
  CHECK(q.size() == 1);
  CHECK(q.find(contact_id{1})->band == triage_category::c);
  CHECK(q.erase(contact_id{1}));
  CHECK(q.empty());
}

TEST_CASE("rank order always equals a brute-force sort by the documented rule") {
  const triage_scale scale = default_triage_scale();
  std::mt19937_64 rng{20240611};
  urgency_queue q{scale};
  std::map<std::uint64_t, urgency_queue::entry> model;
  std::uint64_t next_id = 1;
  timestamp now = t0;

  const auto reference = [&](timestamp when) {
    std::vector<std::tuple<int, timestamp, std::size_t, timestamp, std::uint64_t>> keys;
    for (const auto& [id, e] : model) {
      const triage_band& b = scale.band(e.band);
      const std::size_t bi = band_index(e.band);
      if (b.emergency) {
        keys.emplace_back(0, e.arrival + b.answer_target, bi, e.arrival, id);
      } else if (e.arrival + b.max_wait <= when) {
        keys.emplace_back(1, e.arrival + b.max_wait, bi, e.arrival, id);
      } else {
        keys.emplace_back(2, e.arrival + b.answer_target, bi, e.arrival, id);
      }
    }
    std::sort(keys.begin(), keys.end());
    std::vector<std::uint64_t> ids;
    for (const auto& k : keys) ids.push_back(std::get<4>(k));
    return ids;
  };

  for (int step = 0; step < 4000; ++step) {
    now += seconds(static_cast<std::int64_t>(rng() % 40));
    const auto band = band_at(rng() % triage_band_count);
    switch (rng() % 5) {
      case 0:
      case 1: {
        // Some arrive with an older place, like callbacks.
        const std::int64_t back = rng() % 3 == 0 ? static_cast<std::int64_t>(rng() % 4000) : 0;
        const timestamp arrival = now - seconds(back);
        REQUIRE(q.insert(contact_id{next_id}, band, arrival));
        model[next_id] = {contact_id{next_id}, band, arrival};
        ++next_id;
        break;
      }
      case 2:
        if (!model.empty()) {
          auto it = std::next(model.begin(), static_cast<long>(rng() % model.size()));
          REQUIRE(q.change_band(it->second.id, band));
          it->second.band = band;
        }
        break;
      case 3:
        if (const auto top = q.pop(now)) {
          REQUIRE(reference(now).front() == top->id.value());
          model.erase(top->id.value());
        }
        break;
      case 4:
        if (!model.empty()) {
          auto it = std::next(model.begin(), static_cast<long>(rng() % model.size()));
          REQUIRE(q.erase(it->second.id));
          model.erase(it);
        }
        break;
    }
    if (step % 50 == 0) REQUIRE(order(q, now) == reference(now));
  }
  CHECK(q.size() == model.size());
}
