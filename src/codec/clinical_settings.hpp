#pragma once

#include <string_view>
#include <variant>

#include "codec/config_loader.hpp"
#include "core/settings.hpp"

namespace crisisline::codec {

// The engine's clinical settings from the configuration: the triage scale
// (all seven bands A-G when any is listed, else the UK MHTS defaults), the
// queue settings (unset values take the defaults in config.proto), and the
// risk lexicon (inline rules, else risk_lexicon_file, else the embedded
// config/risk_lexicon.textproto). Checked with core::validate().
[[nodiscard]] std::variant<core::settings, config_error> clinical_settings(const v1::Config& c);

[[nodiscard]] std::variant<core::risk_lexicon, config_error> to_core(const v1::RiskLexicon& l,
                                                                     std::string_view source);

// The lexicon compiled into the binary, as text.
[[nodiscard]] std::string_view default_risk_lexicon_text();

}  // namespace crisisline::codec
