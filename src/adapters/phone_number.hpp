#pragma once

#include <optional>
#include <string>
#include <string_view>

// Sender IDs as providers deliver them (`From`). A caller is never turned
// away for an odd number: everything is accepted and classified. Pure; any
// thread.
namespace crisisline::adapters {

enum class sender_kind {
  // '+' and 7 to 15 digits, not starting with 0, after dropping spaces,
  // hyphens, dots, parentheses and a "(0)" trunk prefix.
  e164,
  // The caller hid their number: empty, or anonymous / restricted /
  // unavailable / private / withheld / unknown / blocked (any case).
  withheld,
  // Anything else: national formats, short codes, "client:alice",
  // "sip:...", text. Kept as sent and flagged for a human.
  malformed,
};

struct sender_id {
  sender_kind kind = sender_kind::malformed;
  // Exactly what the provider sent.
  std::string as_sent;
  // "+447700900123" for e164; empty otherwise.
  std::string e164;
};

[[nodiscard]] sender_id classify_sender(std::string_view raw);

// A stable pseudonym for linking a caller's contacts without storing the
// number in indexes: lower-case hex HMAC-SHA256 keyed with `secret` over the
// normalised number (e164) or the trimmed text as sent (malformed, kept in a
// separate domain so it can't collide with a number).
//
// nullopt for withheld senders, whose texts must not all be linked into one
// history, and when `secret` is empty: an unkeyed hash of a phone number is
// reversed by trying every number, so the config must provide a secret.
[[nodiscard]] std::optional<std::string> sender_key(std::string_view secret,
                                                    const sender_id& sender);

}  // namespace crisisline::adapters
