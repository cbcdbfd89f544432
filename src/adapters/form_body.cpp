#include "adapters/form_body.hpp"

#include <algorithm>

namespace crisisline::adapters {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes one name or value; on a bad escape returns the offset of its '%'
// within `s`.
std::variant<std::string, std::size_t> decode_component(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      const int hi = i + 1 < s.size() ? hex_value(s[i + 1]) : -1;
      const int lo = i + 2 < s.size() ? hex_value(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return i;
      out.push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Parameter names are chosen by the provider, not the texter, so naming one in
// an error is safe; bounded and restricted to printable ASCII all the same.
std::string printable_name(std::string_view name) {
  std::string out;
  for (const char c : name.substr(0, 40)) {
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  return out;
}

form_error bad_escape(std::size_t offset, std::string_view where) {
  return {form_problem::malformed_percent_escape, offset,
          "malformed percent escape at byte " + std::to_string(offset) + " in " +
              std::string(where) + ": '%' must be followed by two hex digits"};
}

}  // namespace

void form_body::add(std::string name, std::string value) {
  params_.emplace_back(std::move(name), std::move(value));
}

bool form_body::contains(std::string_view name) const {
  return find(name).has_value();
}

std::optional<std::string_view> form_body::find(std::string_view name) const {
  const auto it =
      std::find_if(params_.begin(), params_.end(), [&](const param& p) { return p.first == name; });
  if (it == params_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string_view form_body::value_or(std::string_view name, std::string_view fallback) const {
  return find(name).value_or(fallback);
}

std::vector<std::string_view> form_body::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [n, v] : params_) {
    if (n == name) out.emplace_back(v);
  }
  return out;
}

form_result parse_form(std::string_view body, const form_limits& limits) {
  if (body.size() > limits.max_bytes) {
    return form_error{form_problem::too_large, 0,
                      "form body is " + std::to_string(body.size()) + " bytes, over the limit of " +
                          std::to_string(limits.max_bytes)};
  }
  form_body form;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const std::size_t amp = std::min(body.find('&', pos), body.size());
    const std::string_view pair = body.substr(pos, amp - pos);
    const std::size_t pair_offset = pos;
    pos = amp + 1;
    if (pair.empty()) continue;
    if (form.size() == limits.max_params) {
      return form_error{
          form_problem::too_many_params, pair_offset,
          "form body has more than " + std::to_string(limits.max_params) + " parameters"};
    }
    const std::size_t eq = pair.find('=');
    const std::string_view raw_name = pair.substr(0, eq);
    const std::string_view raw_value = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    auto name = decode_component(raw_name);
    if (const auto* at = std::get_if<std::size_t>(&name)) {
      return bad_escape(pair_offset + *at, "a parameter name");
    }
    auto value = decode_component(raw_value);
    if (const auto* at = std::get_if<std::size_t>(&value)) {
      return bad_escape(pair_offset + eq + 1 + *at,
                        "the value of '" + printable_name(std::get<std::string>(name)) + "'");
    }
    form.add(std::move(std::get<std::string>(name)), std::move(std::get<std::string>(value)));
  }
  return form;
}

std::string form_encode_component(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' ||
        b == '.' || b == '_' || b == '*') {
      out.push_back(c);
    } else if (b == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 0x0F]);
    }
  }
  return out;
}

std::string encode_form(const form_body& form) {
  std::string out;
  for (const auto& [name, value] : form) {
    if (!out.empty()) out.push_back('&');
    out += form_encode_component(name);
    out.push_back('=');
    out += form_encode_component(value);
  }
  return out;
}

}  // namespace crisisline::adapters
