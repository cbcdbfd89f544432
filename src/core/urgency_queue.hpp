#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <unordered_map>

#include "core/ids.hpp"
#include "core/time.hpp"
#include "core/triage.hpp"

// Waiting contacts in the order they should be answered.
//
// The ranking rule (README "How the queue is ordered"):
//   1. Contacts in an emergency band (A) come first, oldest first.
//   2. Then contacts that have waited longer than their band's maximum wait,
//      the one that passed its maximum earliest first.
//   3. Then everyone else by how soon they breach their band's answer target
//      (arrival + answer target, earliest first); ties go to the more urgent
//      band, then the earlier arrival, then the lower contact id.
// A contact's band sets its targets; waiting brings its breach time closer, so
// a long-waiting routine contact overtakes a newer urgent one only when it is
// nearer to breaching, and never waits past its maximum while non-emergency
// work is being answered ahead of it.
//
// Every key is a function of (band, arrival), so the order only changes when a
// band changes or a maximum wait passes; neither needs work per entry per tick.
// Inside one band all three keys follow arrival, so each band is a "lane"
// sorted by arrival and the global order is a merge of at most seven lane heads.
// insert, change_band, erase and pop are O(log n).
//
// Not thread-safe: owned by the engine.
namespace crisisline::core {

class urgency_queue {
 public:
  enum class tier { emergency, overdue, normal };

  struct entry {
    contact_id id;
    triage_category band = triage_category::unspecified;
    // The place in the queue: the first arrival, kept through band changes
    // and through a callback created after an abandoned call.
    timestamp arrival{};

    friend bool operator==(const entry&, const entry&) = default;
  };

  explicit urgency_queue(const triage_scale& scale);

  // The index holds iterators into the lanes: a copy would point into the
  // original. Moving keeps them valid.
  urgency_queue(const urgency_queue&) = delete;
  urgency_queue& operator=(const urgency_queue&) = delete;
  urgency_queue(urgency_queue&&) = default;
  urgency_queue& operator=(urgency_queue&&) = default;
  ~urgency_queue() = default;

  // False (and no change) if the id is already queued or the band is unspecified.
  [[nodiscard]] bool insert(contact_id id, triage_category band, timestamp arrival);
  // Moves an entry to another band keeping its arrival. False if not queued or
  // the band is unspecified.
  [[nodiscard]] bool change_band(contact_id id, triage_category band);
  // False if not queued.
  bool erase(contact_id id);

  [[nodiscard]] std::optional<entry> find(contact_id id) const;
  [[nodiscard]] bool contains(contact_id id) const { return index_.contains(id.value()); }
  [[nodiscard]] std::size_t size() const { return index_.size(); }
  [[nodiscard]] bool empty() const { return index_.empty(); }

  // The entry ranked first at `now`.
  [[nodiscard]] std::optional<entry> top(timestamp now) const;
  std::optional<entry> pop(timestamp now);

  [[nodiscard]] tier tier_of(const entry& e, timestamp now) const;
  // When the entry breaches its band's answer target.
  [[nodiscard]] timestamp answer_due(const entry& e) const;
  // When the entry passes its band's maximum wait.
  [[nodiscard]] timestamp max_due(const entry& e) const;

  // Calls visit(const entry&) for each entry in rank order at `now` until it
  // returns false. The queue must not be modified during the visit.
  template <typename Visit>
  void for_each_ranked(timestamp now, Visit&& visit) const;

 private:
  struct lane_key {
    timestamp arrival;
    std::uint64_t id;
    friend auto operator<=>(const lane_key&, const lane_key&) = default;
  };
  using lane = std::set<lane_key>;
  struct slot {
    std::size_t band;
    lane::const_iterator where;
  };
  struct rank_key {
    tier level;
    timestamp due;
    std::size_t band;
    timestamp arrival;
    std::uint64_t id;
    friend auto operator<=>(const rank_key&, const rank_key&) = default;
  };

  [[nodiscard]] rank_key rank_of(std::size_t band, const lane_key& k, timestamp now) const;
  [[nodiscard]] std::optional<std::size_t> best_lane(
      const std::array<lane::const_iterator, triage_band_count>& heads, timestamp now) const;

  std::array<duration, triage_band_count> answer_target_{};
  std::array<duration, triage_band_count> max_wait_{};
  std::array<bool, triage_band_count> emergency_{};
  std::array<lane, triage_band_count> lanes_;
  std::unordered_map<std::uint64_t, slot> index_;
};

template <typename Visit>
void urgency_queue::for_each_ranked(timestamp now, Visit&& visit) const {
  std::array<lane::const_iterator, triage_band_count> heads;
  for (std::size_t b = 0; b < triage_band_count; ++b) heads[b] = lanes_[b].begin();
  while (const auto b = best_lane(heads, now)) {
    const lane_key& k = *heads[*b];
    if (!visit(entry{contact_id{k.id}, band_at(*b), k.arrival})) return;
    ++heads[*b];
  }
}

}  // namespace crisisline::core
