#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

#include "crisisline/v1/config.pb.h"

namespace crisisline::codec {

struct config_error {
  // File name or "<embedded default>".
  std::string source;
  // 1-based; 0 when the problem is not tied to a position (a semantic check).
  int line = 0;
  int column = 0;
  std::string message;

  [[nodiscard]] std::string describe() const;
};

using config_result = std::variant<v1::Config, config_error>;

// Parses protobuf text format, fills every unset field with its documented
// default, and checks values. Errors carry line and column.
[[nodiscard]] config_result parse_config(std::string_view text, std::string_view source_name);
[[nodiscard]] config_result load_config_file(const std::filesystem::path& path);

// The configuration compiled into the binary (config/crisisline.textproto).
[[nodiscard]] config_result default_config();
[[nodiscard]] std::string_view default_config_text();

// A secret given as a value and/or the name of an environment variable; the
// variable wins when it is set and not empty.
[[nodiscard]] std::string secret(const std::string& value, const std::string& env);

// The bearer token of an integration, resolving token_env; empty if unset.
[[nodiscard]] std::string integration_token(const v1::IntegrationToken& t);

}  // namespace crisisline::codec
