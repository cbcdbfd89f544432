#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/contact.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// The record a nurse leaves at the end of a shift (end_shift): what they had
// open, what is owed, what is risky, and what the crews are doing, so the
// incoming nurse never has to ask. Kept in engine state and acknowledged by
// the incoming nurse.
namespace crisisline::core {

// One contact as it stood at the handover.
struct handover_contact {
  contact_id contact;
  channel kind = channel::text;
  triage_category band = triage_category::unspecified;
  contact_state state = contact_state::active;
  timestamp last_activity{};
  std::vector<std::string> risk_rules;
  // For callbacks: when due (unset: as soon as possible).
  std::optional<timestamp> due;

  friend bool operator==(const handover_contact&, const handover_contact&) = default;
};

// A response car or incident the outgoing nurse's contacts involve. Filled by
// the dispatch board integration (see engine::fill_dispatch_lists).
struct handover_dispatch {
  std::uint64_t incident_id = 0;
  std::string unit;
  std::string state;
  contact_id contact;

  friend bool operator==(const handover_dispatch&, const handover_dispatch&) = default;
};

struct handover {
  // The seq of the end_shift event.
  std::uint64_t id = 0;
  nurse_id from;
  // The nurse who received the open contacts; unset when they went back to the queue.
  std::optional<nurse_id> to;
  // The shift that ended (its start_shift seq), if it was started as one.
  std::optional<std::uint64_t> shift_id;
  timestamp created{};
  std::string note;
  std::vector<handover_contact> open_conversations;
  std::vector<handover_contact> pending_callbacks;
  // Open conversations and pending callbacks in band A or B, or with any risk rule fired.
  std::vector<handover_contact> high_risk;
  std::vector<handover_dispatch> cars_on_scene;
  std::vector<handover_dispatch> unresolved_dispatches;
  std::optional<nurse_id> acknowledged_by;
  std::optional<timestamp> acknowledged_at;

  friend bool operator==(const handover&, const handover&) = default;
};

}  // namespace crisisline::core
