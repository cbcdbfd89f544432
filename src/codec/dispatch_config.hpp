#pragma once

#include <google/protobuf/text_format.h>

#include <optional>
#include <string_view>

#include "codec/config_loader.hpp"
#include "core/dispatch/settings.hpp"
#include "core/triage.hpp"
#include "crisisline/v1/config.pb.h"

// The dispatch section of the configuration: checks with line:col, and
// conversion to the board's settings.
namespace crisisline::codec {

// "13:00-01:00" -> a window; nullopt unless HH:MM-HH:MM with HH:MM in
// 00:00..24:00 and start != end.
[[nodiscard]] std::optional<core::dispatch::shift_window> parse_shift(std::string_view text);

// The first problem in c.dispatch(), positioned at the offending unit or
// shift when `where` (the parser's location tree) is given. nullopt when usable.
[[nodiscard]] std::optional<config_error> check_dispatch(
    const v1::Config& c, const google::protobuf::TextFormat::ParseInfoTree* where,
    std::string_view source);

// The board's settings; category targets are the triage scale's face-to-face
// targets, so they are configured in one place (triage_bands). Expects
// check_dispatch() to have passed.
[[nodiscard]] core::dispatch::dispatch_settings dispatch_settings(const v1::DispatchConfig& c,
                                                                  const core::triage_scale& scale);

}  // namespace crisisline::codec
