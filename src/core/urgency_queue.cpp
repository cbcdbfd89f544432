#include "core/urgency_queue.hpp"

namespace crisisline::core {

urgency_queue::urgency_queue(const triage_scale& scale) {
  for (std::size_t b = 0; b < triage_band_count; ++b) {
    answer_target_[b] = scale.bands[b].answer_target;
    max_wait_[b] = scale.bands[b].max_wait;
    emergency_[b] = scale.bands[b].emergency;
  }
}

bool urgency_queue::insert(contact_id id, triage_category band, timestamp arrival) {
  if (band == triage_category::unspecified || index_.contains(id.value())) return false;
  const std::size_t b = band_index(band);
  lane& l = lanes_[b];
  // New contacts arrive in time order, so the end is almost always the right
  // place and the hint makes the insert constant time.
  const auto where = l.insert(l.end(), lane_key{arrival, id.value()});
  index_.emplace(id.value(), slot{b, where});
  return true;
}

bool urgency_queue::change_band(contact_id id, triage_category band) {
  if (band == triage_category::unspecified) return false;
  const auto it = index_.find(id.value());
  if (it == index_.end()) return false;
  const std::size_t b = band_index(band);
  if (it->second.band == b) return true;
  const lane_key key = *it->second.where;
  lanes_[it->second.band].erase(it->second.where);
  it->second = slot{b, lanes_[b].insert(key).first};
  return true;
}

bool urgency_queue::erase(contact_id id) {
  const auto it = index_.find(id.value());
  if (it == index_.end()) return false;
  lanes_[it->second.band].erase(it->second.where);
  index_.erase(it);
  return true;
}

std::optional<urgency_queue::entry> urgency_queue::find(contact_id id) const {
  const auto it = index_.find(id.value());
  if (it == index_.end()) return std::nullopt;
  return entry{id, band_at(it->second.band), it->second.where->arrival};
}

std::optional<urgency_queue::entry> urgency_queue::top(timestamp now) const {
  std::optional<entry> first;
  for_each_ranked(now, [&](const entry& e) {
    first = e;
    return false;
  });
  return first;
}

std::optional<urgency_queue::entry> urgency_queue::pop(timestamp now) {
  auto first = top(now);
  if (first) erase(first->id);
  return first;
}

urgency_queue::tier urgency_queue::tier_of(const entry& e, timestamp now) const {
  const std::size_t b = band_index(e.band);
  if (emergency_[b]) return tier::emergency;
  if (e.arrival + max_wait_[b] <= now) return tier::overdue;
  return tier::normal;
}

timestamp urgency_queue::answer_due(const entry& e) const {
  return e.arrival + answer_target_[band_index(e.band)];
}

timestamp urgency_queue::max_due(const entry& e) const {
  return e.arrival + max_wait_[band_index(e.band)];
}

urgency_queue::rank_key urgency_queue::rank_of(std::size_t band, const lane_key& k,
                                               timestamp now) const {
  if (emergency_[band]) {
    return {tier::emergency, k.arrival + answer_target_[band], band, k.arrival, k.id};
  }
  const timestamp max_due = k.arrival + max_wait_[band];
  if (max_due <= now) return {tier::overdue, max_due, band, k.arrival, k.id};
  return {tier::normal, k.arrival + answer_target_[band], band, k.arrival, k.id};
}

std::optional<std::size_t> urgency_queue::best_lane(
    const std::array<lane::const_iterator, triage_band_count>& heads, timestamp now) const {
  std::optional<std::size_t> best;
  std::optional<rank_key> best_key;
  for (std::size_t b = 0; b < triage_band_count; ++b) {
    if (heads[b] == lanes_[b].end()) continue;
    const rank_key k = rank_of(b, *heads[b], now);
    if (!best_key || k < *best_key) {
      best = b;
      best_key = k;
    }
  }
  return best;
}

}  // namespace crisisline::core
