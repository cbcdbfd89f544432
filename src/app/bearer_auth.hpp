#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crisisline::app {

// Checks "Authorization: Bearer <token>" against configured integration
// tokens. Tokens are kept only as SHA-256 digests and compared in constant
// time, so neither timing nor a memory dump reveals them.
class bearer_auth {
 public:
  void add(std::string name, std::string_view token);
  // The integration's name if the header carries a known token.
  [[nodiscard]] std::optional<std::string> check(std::string_view authorization_header) const;
  [[nodiscard]] bool empty() const { return entries_.empty(); }

 private:
  struct entry {
    std::string name;
    std::array<unsigned char, 32> digest;
  };
  std::vector<entry> entries_;
};

}  // namespace crisisline::app
