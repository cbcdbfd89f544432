#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/engine.hpp"
#include "core/risk.hpp"
#include "crisisline/v1/config.pb.h"
#include "crisisline/v1/event.pb.h"

// Retention of message bodies and personal identifiers (README "Retention").
//
// A purge is one RetentionPurge event. Whoever requests it (the server's
// timer, `crisisline purge`) plans it from an engine holding the current
// state; the engine purges the listed contacts from memory when it applies
// the event, and the shift-log projection rewrites the events that carried
// their numbers and bodies (store::tombstone) in the same commit.
namespace crisisline::app {

// The sender-key secret from the configuration (value or environment); empty
// if none.
[[nodiscard]] std::string sender_key_secret(const v1::Config& config);

// Why `config.retention` cannot be used, or nullopt. Purging needs a
// sender-key secret: an unkeyed hash of a phone number is reversed by trying
// every number.
[[nodiscard]] std::optional<std::string> retention_problem(const v1::Config& config);

// The cutoff for `keep_days` at `now`: contacts closed before it are purged.
[[nodiscard]] core::timestamp retention_cutoff(core::timestamp now, std::uint32_t keep_days);

// The RetentionPurge event for the contacts `engine` finds purgeable before
// `before`, or nullopt if there are none. Numbers become their keyed hash;
// withheld senders keep what was sent (it identifies no one).
[[nodiscard]] std::optional<v1::Event> plan_retention_purge(const core::engine& engine,
                                                            core::timestamp before,
                                                            std::string_view secret);

// Rewrites one logged event of purged contacts: numbers found in
// `number_keys` become their key, any other number "[purged]"; message bodies
// become "[purged]", a text keeping what `risk` finds in its body. Returns
// false if the event carried nothing to purge (it is then left alone).
[[nodiscard]] bool redact_event(v1::Event& e, const std::map<std::string, std::string>& number_keys,
                                const core::risk_detector& risk);

}  // namespace crisisline::app
