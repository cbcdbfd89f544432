#include "http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>

namespace crisisline::test {
namespace {

std::error_code last_error() {
  return {errno, std::generic_category()};
}

std::error_code protocol_error() {
  return std::make_error_code(std::errc::protocol_error);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Waits until fd is ready for `events` or the deadline passes.
std::error_code wait_for(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::make_error_code(std::errc::timed_out);
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 60'000)));
    if (r > 0) return {};
    if (r < 0 && errno != EINTR) return last_error();
  }
}

bool contains_token(std::string_view value, std::string_view token) {
  return lower(value).find(token) != std::string::npos;
}

}  // namespace

std::string http_response::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

http_client::http_client(std::uint16_t port, http_client_options options)
    : port_(port), options_(options) {}

http_client::~http_client() {
  close();
}

http_client::http_client(http_client&& other) noexcept
    : port_(other.port_),
      options_(other.options_),
      fd_(other.fd_),
      connects_(other.connects_),
      buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

http_client& http_client::operator=(http_client&& other) noexcept {
  if (this != &other) {
    close();
    port_ = other.port_;
    options_ = other.options_;
    fd_ = other.fd_;
    connects_ = other.connects_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

void http_client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void http_client::set_port(std::uint16_t port) {
  if (port != port_) close();
  port_ = port;
}

http_response http_client::request(std::string_view method, std::string_view target,
                                   std::string_view body, const http_headers& headers) {
  http_response response;
  if (auto ec = try_request(method, target, body, headers, response)) {
    throw http_error(ec, std::string(method) + " " + std::string(target) +
                             " to 127.0.0.1:" + std::to_string(port_));
  }
  return response;
}

std::error_code http_client::try_request(std::string_view method, std::string_view target,
                                         std::string_view body, const http_headers& headers,
                                         http_response& response) {
  response = {};
  if (fd_ >= 0 && peer_closed()) close();
  if (fd_ < 0) {
    if (auto ec = connect(clock::now() + options_.connect_timeout)) return ec;
  }
  const auto deadline = clock::now() + options_.request_timeout;

  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  head.append(options_.ipv6 ? "Host: [::1]:" : "Host: 127.0.0.1:")
      .append(std::to_string(port_))
      .append("\r\n");
  for (const auto& [name, value] : headers)
    head.append(name).append(": ").append(value).append("\r\n");
  if (!body.empty() || method == "POST" || method == "PUT") {
    head.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  head.append("\r\n");

  // One write for head and a small body: one segment on the wire, and no
  // Nagle/delayed-ACK stall at a server without TCP_NODELAY.
  std::error_code ec;
  if (body.size() <= 64 * 1024) {
    head.append(body);
    ec = send_all(head, deadline);
  } else {
    ec = send_all(head, deadline);
    if (!ec) ec = send_all(body, deadline);
  }
  bool keep_alive = false;
  if (!ec) ec = read_response(method, response, keep_alive, deadline);
  if (ec || !keep_alive) close();
  return ec;
}

std::error_code http_client::connect(clock::time_point deadline) {
  close();
  int fd =
      ::socket(options_.ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return last_error();
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t addr_len;
  if (options_.ipv6) {
    auto* addr = reinterpret_cast<sockaddr_in6*>(&storage);
    addr->sin6_family = AF_INET6;
    addr->sin6_port = htons(port_);
    addr->sin6_addr = in6addr_loopback;
    addr_len = sizeof(sockaddr_in6);
  } else {
    auto* addr = reinterpret_cast<sockaddr_in*>(&storage);
    addr->sin_family = AF_INET;
    addr->sin_port = htons(port_);
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr_len = sizeof(sockaddr_in);
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&storage), addr_len) != 0) {
    if (errno != EINPROGRESS) {
      auto ec = last_error();
      ::close(fd);
      return ec;
    }
    if (auto ec = wait_for(fd, POLLOUT, deadline)) {
      ::close(fd);
      return ec;
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      ::close(fd);
      return {err, std::generic_category()};
    }
  }
  fd_ = fd;
  ++connects_;
  return {};
}

bool http_client::peer_closed() const {
  // An idle keep-alive connection has nothing to read; readable means the
  // server closed it (EOF or RST) or sent something unsolicited (e.g. a 408).
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return true;
}

std::error_code http_client::send_all(std::string_view data, clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (auto ec = wait_for(fd_, POLLOUT, deadline)) return ec;
      continue;
    }
    return last_error();
  }
  return {};
}

std::error_code http_client::read_some(clock::time_point deadline) {
  char chunk[16 * 1024];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return {};
    }
    if (n == 0) return std::make_error_code(std::errc::connection_reset);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return last_error();
    if (auto ec = wait_for(fd_, POLLIN, deadline)) return ec;
  }
}

std::error_code http_client::read_line(std::string& line, clock::time_point deadline) {
  for (;;) {
    auto nl = buffer_.find("\r\n");
    if (nl != std::string::npos) {
      line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 2);
      return {};
    }
    if (buffer_.size() > options_.max_header_bytes) return protocol_error();
    if (auto ec = read_some(deadline)) return ec;
  }
}

std::error_code http_client::read_response(std::string_view method, http_response& response,
                                           bool& keep_alive, clock::time_point deadline) {
  std::size_t head_end;
  for (;;) {
    // 1xx interim responses are skipped; the final response follows them.
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > options_.max_header_bytes) return protocol_error();
      if (auto ec = read_some(deadline)) return ec;
    }
    std::string_view head(buffer_.data(), head_end);
    auto line_end = head.find("\r\n");
    std::string_view status_line = head.substr(0, line_end);
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") return protocol_error();
    const bool http10 = status_line.substr(0, 8) == "HTTP/1.0";
    auto sp = status_line.find(' ');
    if (sp == std::string_view::npos) return protocol_error();
    int status = 0;
    auto code = status_line.substr(sp + 1, 3);
    auto [p, err] = std::from_chars(code.data(), code.data() + code.size(), status);
    if (err != std::errc() || p != code.data() + code.size()) return protocol_error();

    response.status = status;
    response.headers.clear();
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      auto eol = rest.find("\r\n");
      std::string_view field = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      auto colon = field.find(':');
      if (colon == std::string_view::npos) return protocol_error();
      std::string name = lower(trim(field.substr(0, colon)));
      std::string value(trim(field.substr(colon + 1)));
      auto [it, inserted] = response.headers.emplace(name, value);
      if (!inserted) it->second += ", " + value;
    }
    buffer_.erase(0, head_end + 4);
    if (status >= 100 && status < 200) continue;

    std::string connection = response.header("connection");
    keep_alive =
        http10 ? contains_token(connection, "keep-alive") : !contains_token(connection, "close");
    break;
  }

  const int status = response.status;
  if (method == "HEAD" || status == 204 || status == 304) return {};
  if (contains_token(response.header("transfer-encoding"), "chunked")) {
    return read_chunked_body(response.body, deadline);
  }
  auto length_header = response.header("content-length");
  if (!length_header.empty()) {
    std::size_t length = 0;
    auto [p, err] =
        std::from_chars(length_header.data(), length_header.data() + length_header.size(), length);
    if (err != std::errc() || p != length_header.data() + length_header.size()) {
      return protocol_error();
    }
    if (length > options_.max_body_bytes) return std::make_error_code(std::errc::message_size);
    while (buffer_.size() < length) {
      if (auto ec = read_some(deadline)) return ec;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return {};
  }
  // No length: the body runs to the end of the connection.
  keep_alive = false;
  for (;;) {
    if (buffer_.size() > options_.max_body_bytes)
      return std::make_error_code(std::errc::message_size);
    auto ec = read_some(deadline);
    if (ec == std::errc::connection_reset) break;
    if (ec) return ec;
  }
  response.body = std::move(buffer_);
  buffer_.clear();
  return {};
}

std::error_code http_client::read_chunked_body(std::string& body, clock::time_point deadline) {
  std::string line;
  for (;;) {
    if (auto ec = read_line(line, deadline)) return ec;
    std::string_view size_text = trim(std::string_view(line).substr(0, line.find(';')));
    std::size_t size = 0;
    auto [p, err] =
        std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (err != std::errc() || size_text.empty() || p != size_text.data() + size_text.size()) {
      return protocol_error();
    }
    if (size == 0) break;
    if (body.size() + size > options_.max_body_bytes) {
      return std::make_error_code(std::errc::message_size);
    }
    while (buffer_.size() < size + 2) {
      if (auto ec = read_some(deadline)) return ec;
    }
    if (buffer_.compare(size, 2, "\r\n") != 0) return protocol_error();
    body.append(buffer_, 0, size);
    buffer_.erase(0, size + 2);
  }
  // Trailers, ended by an empty line.
  do {
    if (auto ec = read_line(line, deadline)) return ec;
  } while (!line.empty());
  return {};
}

}  // namespace crisisline::test
