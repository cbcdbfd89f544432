#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "crisisline/v1/event.pb.h"
#include "net/http_message.hpp"

// The console API's command routes, as pure functions: a route's action and
// JSON body in, the ConsoleCommand it asks for (or the 400 to answer) out.
// No I/O, no engine: the engine decides later whether the command can be
// carried out. Any thread.
namespace crisisline::app {

struct console_limits {
  std::size_t max_note_bytes = 8000;
  std::size_t max_reply_bytes = 1600;
  // Triage and decline reasons, transfer and handover notes.
  std::size_t max_reason_bytes = 2000;
};

// Actions on the caller themselves ("shift/start", "shift/end", "status",
// "take-next", "wrap-up-done"), on a contact ("accept", "decline", "notes",
// "triage", "reply", "transfer", "close", "callback"), or on a handover
// ("acknowledge"). `target` is the contact or handover id from the path.
// The command's nurse_id is left empty; the body's optional "nurse_id" is
// returned separately for the caller's role to be checked against.
struct parsed_command {
  v1::ConsoleCommand command;
  std::string acting_for;
};
[[nodiscard]] std::variant<parsed_command, net::http_response> parse_console_command(
    std::string_view action, std::uint64_t target, std::string_view body,
    const console_limits& limits);

// Whether `action` names a command route at all.
[[nodiscard]] bool is_contact_action(std::string_view action);

// An Idempotency-Key is 1 to 128 visible ASCII characters.
[[nodiscard]] bool valid_idempotency_key(std::string_view key);

}  // namespace crisisline::app
