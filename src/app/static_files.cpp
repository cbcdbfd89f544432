#include "app/static_files.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>

namespace crisisline::app {
namespace {

constexpr std::string_view console_prefix = "/console/";

// No inline script or style, nothing from another origin, no framing: a
// console that shows clinical records must not run anything it did not ship.
// 'self' in connect-src also admits ws:/wss: to the same host (CSP Level 3).
constexpr std::string_view content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

std::string_view content_type_for(std::string_view name) {
  const auto dot = name.rfind('.');
  const auto ext = dot == std::string_view::npos ? std::string_view{} : name.substr(dot);
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  throw std::invalid_argument("no content type for embedded file " + std::string(name));
}

// Strong validator: changes whenever the embedded bytes do (a new build).
std::string etag_of(std::string_view body) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char c : body) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(h));
  return buf;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// If-None-Match is a list of (possibly weak) tags, or "*".
bool matches_etag(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    const auto comma = if_none_match.find(',');
    auto tag = trim(if_none_match.substr(0, comma));
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

void add_security_headers(net::http_response& r) {
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  r.headers.emplace_back("Content-Security-Policy", std::string(content_security_policy));
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
}

}  // namespace

static_files::static_files(std::span<const embedded_file> files) {
  for (const auto& f : files) {
    files_.emplace(std::string(f.name), entry{f.body, content_type_for(f.name), etag_of(f.body)});
  }
}

net::http_response static_files::serve(const net::http_request& req) const {
  std::string_view name;
  if (req.path == "/") {
    name = "index.html";
  } else if (req.path.starts_with(console_prefix)) {
    name = std::string_view(req.path).substr(console_prefix.size());
  }
  const auto it = name.empty() ? files_.end() : files_.find(name);
  if (it == files_.end()) {
    auto r = net::http_response::error(404, "not_found", "no such file: " + req.path);
    add_security_headers(r);
    return r;
  }
  const auto& f = it->second;
  net::http_response r;
  r.content_type = std::string(f.content_type);
  // Revalidate every time: a new build must reach the nurse's browser on the
  // next load, and an unchanged file costs only a 304.
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", f.etag);
  add_security_headers(r);
  if (matches_etag(req.header("if-none-match"), f.etag)) {
    r.status = 304;
    return r;
  }
  r.body = std::string(f.body);
  return r;
}

void add_web_console_routes(net::router& r, const static_files& files) {
  auto h = [&files](net::http_request&& req, net::responder respond) { respond(files.serve(req)); };
  r.add("GET", "/", h);
  r.add_prefix("GET", std::string(console_prefix), h);
}

}  // namespace crisisline::app
