#include "fake_provider.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "adapters/form_body.hpp"

namespace crisisline::test {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

fake_provider::fake_provider() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("fake provider cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

fake_provider::~fake_provider() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  thread_.join();
}

std::vector<fake_provider::request> fake_provider::requests() const {
  std::lock_guard lock(m_);
  return requests_;
}

bool fake_provider::wait_for(std::size_t n, std::chrono::milliseconds limit) {
  std::unique_lock lock(m_);
  return cv_.wait_for(lock, limit, [&] { return requests_.size() >= n; });
}

void fake_provider::serve() {
  int sid = 0;
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    // One request per connection, as the server's client sends.
    std::string data;
    char buf[8192];
    std::size_t header_end = std::string::npos;
    std::size_t content_length = 0;
    for (int spins = 0; spins < 2000; ++spins) {
      pollfd c{fd, POLLIN, 0};
      if (::poll(&c, 1, 10) <= 0) continue;
      const auto n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<std::size_t>(n));
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          const auto headers = lower(data.substr(0, header_end));
          const auto cl = headers.find("content-length:");
          if (cl != std::string::npos) content_length = std::stoul(headers.substr(cl + 15));
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    }
    request r;
    const auto first_line = data.substr(0, data.find("\r\n"));
    r.method = first_line.substr(0, first_line.find(' '));
    r.target = first_line.substr(r.method.size() + 1, first_line.rfind(' ') - r.method.size() - 1);
    const auto headers = data.substr(0, header_end);
    const auto auth = lower(headers).find("authorization:");
    if (auth != std::string::npos) {
      const auto end = headers.find("\r\n", auth);
      r.authorization = headers.substr(auth + 15, end - auth - 15);
    }
    if (header_end != std::string::npos) r.body = data.substr(header_end + 4);
    std::string response;
    if (fail_next > 0) {
      --fail_next;
      const std::string body = R"({"code":20500,"message":"Internal Server Error"})";
      response =
          "HTTP/1.1 " + std::to_string(status_when_failing.load()) +
          " Error\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
    } else {
      char id[40];
      std::snprintf(id, sizeof id, "SM%032d", ++sid);
      const std::string body = std::string(R"({"sid":")") + id + R"(","status":"queued"})";
      response =
          "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    (void)::write(fd, response.data(), response.size());
    ::close(fd);
    {
      std::lock_guard lock(m_);
      requests_.push_back(std::move(r));
    }
    cv_.notify_all();
  }
}

std::string form_value(const std::string& body, const std::string& name) {
  auto parsed = adapters::parse_form(body, {1 << 20, 1000});
  if (auto* f = std::get_if<adapters::form_body>(&parsed)) {
    if (auto v = f->find(name)) return std::string(*v);
  }
  return {};
}

}  // namespace crisisline::test
