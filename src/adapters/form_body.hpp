#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

// application/x-www-form-urlencoded bodies, as Twilio-compatible providers
// POST them. Pure; any thread.
namespace crisisline::adapters {

// Decoded parameters in the order they were sent. Repeated names are all kept
// (the signature covers every one of them); lookups return the first.
class form_body {
 public:
  using param = std::pair<std::string, std::string>;

  form_body() = default;
  explicit form_body(std::vector<param> params) : params_(std::move(params)) {}

  void add(std::string name, std::string value);

  [[nodiscard]] const std::vector<param>& params() const { return params_; }
  [[nodiscard]] std::size_t size() const { return params_.size(); }
  [[nodiscard]] bool empty() const { return params_.empty(); }
  [[nodiscard]] auto begin() const { return params_.begin(); }
  [[nodiscard]] auto end() const { return params_.end(); }

  [[nodiscard]] bool contains(std::string_view name) const;
  // First value of `name`; nullopt when absent, "" when sent empty.
  [[nodiscard]] std::optional<std::string_view> find(std::string_view name) const;
  [[nodiscard]] std::string_view value_or(std::string_view name, std::string_view fallback) const;
  // Every value of `name`, in the order sent.
  [[nodiscard]] std::vector<std::string_view> all(std::string_view name) const;

 private:
  std::vector<param> params_;
};

struct form_limits {
  // The whole body, before decoding.
  std::size_t max_bytes;
  // name=value pairs.
  std::size_t max_params;
};

enum class form_problem { too_large, too_many_params, malformed_percent_escape };

struct form_error {
  form_problem problem;
  // Byte offset in the body of the problem (0 for too_large).
  std::size_t offset = 0;
  // Says what is wrong and where, never the text around it: a body holds what
  // a person in crisis wrote, and this message is meant for logs and 400s.
  std::string message;
};

using form_result = std::variant<form_body, form_error>;

// '+' decodes to a space and %XX to the byte XX (any byte, NUL included:
// checking text is utf8.hpp's job). A '%' not followed by two hex digits is an
// error, not passed through, because guessing would change the bytes the
// signature was computed over. "a" and "a=" both give a = "". Empty pairs
// ("&&", a trailing '&') carry nothing and are skipped.
[[nodiscard]] form_result parse_form(std::string_view body, const form_limits& limits);

// The inverse, for tests and outbound REST calls: unreserved bytes as-is,
// space as '+', everything else %XX (upper case).
[[nodiscard]] std::string encode_form(const form_body& form);
[[nodiscard]] std::string form_encode_component(std::string_view s);

}  // namespace crisisline::adapters
