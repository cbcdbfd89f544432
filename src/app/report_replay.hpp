#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "core/engine.hpp"
#include "core/event.hpp"
#include "core/settings.hpp"

// Offline replay of the event log for `report` and `explain`: the same decode
// and the same engine::apply as recovery, on a read-only connection, so it is
// safe while the server runs and the figures are the ones the server reached.
namespace crisisline::app {

// The clinical settings the server would run with: from `config_path`, or the
// embedded default configuration. On error, a message naming file, line and
// column.
[[nodiscard]] std::variant<core::settings, std::string> replay_settings(
    const std::optional<std::string>& config_path);

struct replay_result {
  std::uint64_t events = 0;
  std::uint64_t last_seq = 0;
  std::optional<core::timestamp> last_recorded;
};

// Decodes every event of the log at `db` in seq order and hands it to
// `on_event`, which normally applies it to an engine. Throws
// std::runtime_error if the database cannot be opened or an event does not
// decode.
replay_result for_each_logged_event(const std::filesystem::path& db,
                                    const std::function<void(const core::event&)>& on_event);

// Applies the whole log to `engine`.
replay_result replay_into(const std::filesystem::path& db, core::engine& engine);

}  // namespace crisisline::app
