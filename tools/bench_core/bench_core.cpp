#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "core/engine.hpp"
#include "core/risk.hpp"
#include "core/urgency_queue.hpp"

// Targets (issue 3): insert, reprioritise and pop <= 1 us each with 100,000
// contacts waiting; triage of a 160-character text <= 5 us.
namespace {

using namespace crisisline::core;

constexpr std::size_t waiting = 100'000;
// Operations between untimed clean-ups, so the queue stays near 100,000.
constexpr std::size_t batch = 10'000;

struct workload {
  std::vector<triage_category> bands;
  std::vector<std::int64_t> age_s;

  explicit workload(std::size_t n) {
    std::mt19937_64 rng{42};
    // Mostly untriaged C, with every band present.
    std::discrete_distribution<std::size_t> band{2, 10, 50, 15, 10, 8, 5};
    for (std::size_t i = 0; i < n; ++i) {
      bands.push_back(band_at(band(rng)));
      // One in twenty keeps an older place, like a callback after an abandoned call.
      age_s.push_back(rng() % 20 == 0 ? static_cast<std::int64_t>(rng() % 3600) : 0);
    }
  }
};

const workload& work() {
  static const workload w{4 * waiting};
  return w;
}

constexpr timestamp start = from_micros(1'700'000'000'000'000);

timestamp arrival_of(std::uint64_t i) {
  // One contact every 10 ms: 100,000 span about 17 minutes.
  const auto& w = work();
  return start + std::chrono::milliseconds(10 * static_cast<std::int64_t>(i)) -
         seconds(w.age_s[i % w.age_s.size()]);
}

void fill(urgency_queue& q, std::uint64_t& next_id) {
  const auto& w = work();
  for (std::size_t i = 0; i < waiting; ++i, ++next_id) {
    (void)q.insert(contact_id{next_id}, w.bands[next_id % w.bands.size()], arrival_of(next_id));
  }
}

void BM_queue_insert(benchmark::State& state) {
  urgency_queue q{default_triage_scale()};
  std::uint64_t next_id = 1;
  fill(q, next_id);
  const auto& w = work();
  std::vector<std::uint64_t> added;
  added.reserve(batch);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        q.insert(contact_id{next_id}, w.bands[next_id % w.bands.size()], arrival_of(next_id)));
    added.push_back(next_id++);
    if (added.size() == batch) {
      state.PauseTiming();
      for (const std::uint64_t id : added) q.erase(contact_id{id});
      added.clear();
      state.ResumeTiming();
    }
  }
  state.counters["waiting"] = static_cast<double>(q.size());
}
BENCHMARK(BM_queue_insert);

void BM_queue_reprioritise(benchmark::State& state) {
  urgency_queue q{default_triage_scale()};
  std::uint64_t next_id = 1;
  fill(q, next_id);
  std::mt19937_64 rng{7};
  std::vector<std::pair<std::uint64_t, triage_category>> changes;
  for (std::size_t i = 0; i < 1 << 16; ++i) {
    changes.emplace_back(1 + rng() % waiting, band_at(rng() % triage_band_count));
  }
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& [id, band] = changes[i++ & (changes.size() - 1)];
    benchmark::DoNotOptimize(q.change_band(contact_id{id}, band));
  }
  state.counters["waiting"] = static_cast<double>(q.size());
}
BENCHMARK(BM_queue_reprioritise);

void BM_queue_pop(benchmark::State& state) {
  urgency_queue q{default_triage_scale()};
  std::uint64_t next_id = 1;
  fill(q, next_id);
  const auto& w = work();
  // Late enough that the oldest contacts are past their maximum wait.
  const timestamp now = arrival_of(next_id) + seconds(60);
  std::size_t popped = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(q.pop(now));
    if (++popped == batch) {
      state.PauseTiming();
      for (std::size_t k = 0; k < batch; ++k, ++next_id) {
        (void)q.insert(contact_id{next_id}, w.bands[next_id % w.bands.size()], arrival_of(next_id));
      }
      popped = 0;
      state.ResumeTiming();
    }
  }
  state.counters["waiting"] = static_cast<double>(q.size());
}
BENCHMARK(BM_queue_pop);

void BM_triage_160_chars(benchmark::State& state) {
  const risk_detector detector{default_risk_lexicon()};
  const std::string text =
      "I don't know what to do anymore, I've been awake all night and I have a box of "
      "paracetemol and 2 x 500mg ibuprofin next to me \U0001F48A please can someone ring";
  state.counters["chars"] = static_cast<double>(text.size());
  for (auto _ : state) benchmark::DoNotOptimize(detector.assess(text));
}
BENCHMARK(BM_triage_160_chars);

void BM_triage_160_chars_no_risk(benchmark::State& state) {
  const risk_detector detector{default_risk_lexicon()};
  const std::string text =
      "Hi, I'm texting about my brother who has been really low since he lost his job last "
      "month. He isn't eating much and won't talk to us. What should we do next? Thanks";
  state.counters["chars"] = static_cast<double>(text.size());
  for (auto _ : state) benchmark::DoNotOptimize(detector.assess(text));
}
BENCHMARK(BM_triage_160_chars_no_risk);

// A whole apply(): a new text contact (risk check, queue insert, timers,
// offers) with 100,000 already waiting and every nurse busy.
void BM_engine_new_text(benchmark::State& state) {
  engine eng;
  std::uint64_t seq = 0;
  timestamp now = start;
  const auto apply = [&](event_payload p) {
    event e;
    e.seq = ++seq;
    e.recorded_time = now;
    e.payload = std::move(p);
    return eng.apply(e);
  };
  for (int n = 0; n < 20; ++n) {
    (void)apply(console_command{.nurse_id = "n" + std::to_string(n), .action = nurse_sign_on{}});
    (void)apply(call_event{.call_id = "busy" + std::to_string(n), .status = call_status::offered});
    (void)apply(console_command{.nurse_id = "n" + std::to_string(n), .action = accept_offer{seq}});
  }
  for (std::size_t i = 0; i < waiting; ++i) {
    (void)apply(text_event{.from = "+44" + std::to_string(i), .body = "hello"});
  }
  std::uint64_t sender = 1'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(apply(text_event{.from = "+44" + std::to_string(++sender),
                                              .body = "can someone talk to me please"}));
  }
  state.counters["waiting"] = static_cast<double>(eng.waiting_count());
}
BENCHMARK(BM_engine_new_text)->Iterations(20'000);

}  // namespace

BENCHMARK_MAIN();
