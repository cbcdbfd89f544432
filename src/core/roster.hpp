#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/contact.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// Nurses on shift. A nurse sets their own status (available, on break,
// offline); the system sets their state (idle, offered, on contact, wrap-up)
// from what they are doing (DOMAIN.md §4).
namespace crisisline::core {

enum class nurse_state { idle, offered, on_contact, wrap_up };

// The skill that marks a senior clinician, held back from routine offers
// until a contact has waited queue_settings::widen_to_senior.
inline constexpr std::string_view senior_skill = "senior";

struct nurse {
  nurse_id id;
  nurse_status status = nurse_status::available;
  // Languages, "camhs", "senior", ... as signed on.
  std::vector<std::string> skills;
  // Areas covered first; empty covers every area.
  std::vector<std::string> areas;
  std::uint32_t text_capacity = 0;
  bool senior = false;

  // Contacts with this nurse, by channel (a callback counts as a call).
  std::set<contact_id> calls;
  std::set<contact_id> texts;
  std::optional<contact_id> offer;
  std::optional<timestamp> wrap_up_until;
  timestamp signed_on_at{};
  // The seq of the start_shift that began this nurse's shift; unset for a
  // plain sign_on.
  std::optional<std::uint64_t> shift_id;
  // When the nurse last became free for work; longest free is offered first.
  timestamp free_since{};

  [[nodiscard]] std::size_t load() const { return calls.size() + texts.size(); }
  [[nodiscard]] nurse_state state() const;
  [[nodiscard]] bool covers_area(std::string_view area) const;
  // Room for one more contact of this kind: a call needs a free nurse; texts
  // share a nurse up to their text capacity but never with a call.
  [[nodiscard]] bool has_room_for(channel kind) const;
  // May be offered a contact of this kind now.
  [[nodiscard]] bool offerable_for(channel kind) const;

  friend bool operator==(const nurse&, const nurse&) = default;
};

[[nodiscard]] std::string_view to_string(nurse_state s);
[[nodiscard]] std::string_view to_string(nurse_status s);

// A shift as the log records it: start_shift until end_shift or sign-off.
// Kept after it ends, for the shift log and `report --shift`.
struct shift_record {
  // The seq of the start_shift event.
  std::uint64_t id = 0;
  nurse_id nurse;
  timestamp started{};
  std::optional<timestamp> ended;
  // The handover written at its end (the end_shift seq); unset after a sign-off.
  std::optional<std::uint64_t> handover_id;

  friend bool operator==(const shift_record&, const shift_record&) = default;
};

}  // namespace crisisline::core
