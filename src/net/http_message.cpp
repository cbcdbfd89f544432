#include "net/http_message.hpp"

#include "log/log.hpp"

namespace crisisline::net {

std::string_view http_request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::string_view http_request::query_param(std::string_view name) const {
  std::string_view q = query;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const auto pair = q.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return {};
}

http_response http_response::error(int status, std::string_view error, std::string_view detail) {
  http_response r;
  r.status = status;
  r.body = R"({"error":")";
  log::append_json_escaped(r.body, error);
  r.body += R"(","detail":")";
  log::append_json_escaped(r.body, detail);
  r.body += "\"}";
  return r;
}

http_response http_response::text(int status, std::string body, std::string content_type) {
  return http_response{status, std::move(content_type), {}, std::move(body)};
}

}  // namespace crisisline::net
