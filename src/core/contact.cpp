#include "core/contact.hpp"

#include <algorithm>
#include <array>

namespace crisisline::core {

timestamp last_activity(const contact& c) {
  timestamp t = c.created;
  const auto later = [&t](timestamp x) { t = std::max(t, x); };
  if (c.answered_time) later(*c.answered_time);
  if (!c.inbound.empty()) later(c.inbound.back().at);
  if (!c.replies.empty()) later(c.replies.back().at);
  if (!c.notes.empty()) later(c.notes.back().at);
  if (!c.triage_history.empty()) later(c.triage_history.back().at);
  return t;
}

std::string_view to_string(channel c) {
  switch (c) {
    case channel::call:
      return "call";
    case channel::text:
      return "text";
    case channel::callback:
      return "callback";
  }
  return "?";
}

std::string_view to_string(contact_state s) {
  switch (s) {
    case contact_state::scheduled:
      return "scheduled";
    case contact_state::waiting:
      return "waiting";
    case contact_state::active:
      return "active";
    case contact_state::closed:
      return "closed";
  }
  return "?";
}

std::string_view to_string(band_source s) {
  switch (s) {
    case band_source::default_band:
      return "default";
    case band_source::risk_rule:
      return "risk_rule";
    case band_source::caller_digits:
      return "caller_digits";
    case band_source::nurse:
      return "nurse";
    case band_source::inherited:
      return "inherited";
  }
  return "?";
}

std::string_view to_string(queue_exit e) {
  switch (e) {
    case queue_exit::none:
      return "none";
    case queue_exit::answered:
      return "answered";
    case queue_exit::abandoned:
      return "abandoned";
    case queue_exit::failed:
      return "failed";
    case queue_exit::closed_in_queue:
      return "closed_in_queue";
    case queue_exit::redialled:
      return "redialled";
  }
  return "?";
}

bool valid_outcome_code(std::string_view code) {
  static constexpr std::array<std::string_view, 7> codes{"01", "02", "03", "04", "05", "06", "98"};
  for (const std::string_view c : codes) {
    if (c == code) return true;
  }
  return false;
}

}  // namespace crisisline::core
