#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "crisisline/v1/event.pb.h"

namespace crisisline::codec {

// What a console command does, for the audit trail.
struct console_action {
  // The ConsoleCommand field set: "accept", "add_note", "sign_on", ...
  std::string command;
  // The contact it acts on; 0 for commands without one (sign_on, take_next).
  std::uint64_t contact_id = 0;
};

// For a console event, its command and contact; nullopt for other payloads.
// Reads the command's `contact_id` field by reflection, so commands added
// later are covered without a change here.
[[nodiscard]] std::optional<console_action> console_action_of(const v1::Event& e);

}  // namespace crisisline::codec
