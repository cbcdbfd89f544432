#include "core/settings.hpp"

#include <string>

namespace crisisline::core {

std::vector<std::string> validate(const settings& s) {
  std::vector<std::string> problems;
  for (std::size_t i = 0; i < triage_band_count; ++i) {
    const triage_band& b = s.triage.bands[i];
    const std::string name = "band " + std::string{triage_code(band_at(i))};
    if (b.code != band_at(i)) problems.push_back(name + ": row holds another band");
    if (b.answer_target < duration::zero()) problems.push_back(name + ": negative answer target");
    if (b.max_wait < duration::zero()) problems.push_back(name + ": negative maximum wait");
    if (b.max_wait < b.answer_target) {
      problems.push_back(name + ": maximum wait is shorter than the answer target");
    }
  }
  const queue_settings& q = s.queue;
  if (q.default_band == triage_category::unspecified) problems.push_back("queue: no default band");
  if (q.danger_band == triage_category::unspecified) problems.push_back("queue: no danger band");
  if (q.offer_timeout <= duration::zero())
    problems.push_back("queue: offer timeout must be positive");
  if (q.wrap_up < duration::zero()) problems.push_back("queue: negative wrap-up");
  if (q.widen_to_other_areas < duration::zero() || q.widen_to_senior < duration::zero()) {
    problems.push_back("queue: negative widening wait");
  }
  for (std::string& p : validate(s.lexicon)) problems.push_back("risk lexicon: " + p);
  for (std::string& p : dispatch::validate(s.dispatch)) problems.push_back("dispatch: " + p);
  return problems;
}

}  // namespace crisisline::core
