#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/contact.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/roster.hpp"
#include "core/time.hpp"
#include "core/urgency_queue.hpp"

// Read-only snapshots of engine state for the HTTP layer to serialise.
// Plain values: they do not refer back into the engine.
namespace crisisline::core {

// One row of GET /v1/queue.
struct queue_entry_view {
  // 1 = answered next.
  std::size_t rank = 0;
  contact_id contact;
  triage_category band = triage_category::unspecified;
  channel kind = channel::call;
  std::string area;
  timestamp arrival{};
  duration waited{};
  // Until the answer target is breached; negative once it has been.
  duration time_to_breach{};
  // Until the maximum wait is passed; negative once it has been.
  duration time_to_max_wait{};
  urgency_queue::tier tier = urgency_queue::tier::normal;
  std::optional<nurse_id> offered_to;
  bool callback = false;
  // Plain words for why it sits at this rank.
  std::string reason;

  friend bool operator==(const queue_entry_view&, const queue_entry_view&) = default;
};

// One row of the nurse list.
struct nurse_view {
  nurse_id id;
  nurse_status status = nurse_status::available;
  nurse_state state = nurse_state::idle;
  std::vector<std::string> skills;
  std::vector<std::string> areas;
  std::uint32_t calls = 0;
  std::uint32_t texts = 0;
  std::uint32_t text_capacity = 0;
  std::vector<contact_id> contacts;
  std::optional<contact_id> offered_contact;
  std::optional<timestamp> wrap_up_until;
  timestamp free_since{};
  timestamp signed_on_at{};
  std::optional<std::uint64_t> shift_id;

  friend bool operator==(const nurse_view&, const nurse_view&) = default;
};

}  // namespace crisisline::core
