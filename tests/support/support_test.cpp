#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;
using crisisline::test::http_client;

// A scripted HTTP peer on 127.0.0.1:0: answers the n-th request it reads with
// the n-th canned reply, optionally closing the connection afterwards.
class canned_server {
 public:
  struct reply {
    std::string bytes;
    bool close_after = false;
  };

  explicit canned_server(std::vector<reply> replies) : replies_(std::move(replies)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(listen_fd_, 8) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }

  ~canned_server() {
    thread_.join();
    ::close(listen_fd_);
  }

  std::uint16_t port() const { return port_; }

  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

  int closed_connections() {
    std::lock_guard lock(mutex_);
    return closed_;
  }

 private:
  // Every wait is bounded, so a client bug fails the test instead of hanging it.
  static bool readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 5000) == 1;
  }

  void run() {
    std::size_t next = 0;
    while (next < replies_.size()) {
      if (!readable(listen_fd_)) return;
      int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::string in;
      while (next < replies_.size()) {
        auto head_end = in.find("\r\n\r\n");
        if (head_end == std::string::npos) {
          char buf[4096];
          if (!readable(fd)) break;
          ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) break;
          in.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        std::size_t length = 0;
        auto cl = in.find("Content-Length: ");
        if (cl != std::string::npos && cl < head_end) length = std::stoul(in.substr(cl + 16));
        if (in.size() < head_end + 4 + length) {
          char buf[4096];
          if (!readable(fd)) break;
          ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n <= 0) break;
          in.append(buf, static_cast<std::size_t>(n));
          continue;
        }
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(in.substr(0, head_end + 4 + length));
        }
        in.erase(0, head_end + 4 + length);
        const reply& r = replies_[next++];
        ::send(fd, r.bytes.data(), r.bytes.size(), MSG_NOSIGNAL);
        if (r.close_after) break;
      }
      ::close(fd);
      std::lock_guard lock(mutex_);
      ++closed_;
    }
  }

  std::vector<reply> replies_;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<std::string> requests_;
  int closed_ = 0;
};

const std::string ok_hello = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: a\r\n\r\nhello";

}  // namespace

TEST_CASE("temp_dir removes its directory", "[support]") {
  std::filesystem::path where;
  {
    crisisline::test::temp_dir dir;
    where = dir.path();
    REQUIRE(std::filesystem::is_directory(where));
    crisisline::test::write_file(dir / "a.txt", "content");
    CHECK(crisisline::test::read_file(dir / "a.txt") == "content");
  }
  CHECK_FALSE(std::filesystem::exists(where));
}

TEST_CASE("to_textproto renders tokens and the store path", "[support]") {
  auto text = crisisline::test::to_textproto({.db_path = "/tmp/x/c.db", .extra = "server {}"});
  CHECK(text ==
        "integration_tokens { name: \"test\" token: \"test-token\" }\n"
        "store { path: \"/tmp/x/c.db\" }\nserver {}\n");
}

TEST_CASE("http_client reuses a keep-alive connection", "[support]") {
  canned_server server({{ok_hello}, {ok_hello}});
  http_client client(server.port());
  auto first = client.request("POST", "/v1/events", "{}", {{"Content-Type", "application/json"}});
  CHECK(first.status == 200);
  CHECK(first.body == "hello");
  CHECK(first.header("x-thing") == "a");
  auto second = client.request("GET", "/healthz");
  CHECK(second.body == "hello");
  CHECK(client.connects() == 1);
  auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].find("Content-Length: 2\r\n") != std::string::npos);
  CHECK(requests[0].substr(requests[0].size() - 2) == "{}");
}

TEST_CASE("http_client decodes chunked bodies and skips 100 Continue", "[support]") {
  canned_server server({{"HTTP/1.1 100 Continue\r\n\r\n"
                         "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n"},
                        {ok_hello}});
  http_client client(server.port());
  auto r = client.request("GET", "/");
  CHECK(r.status == 201);
  CHECK(r.body == "Wikipedia");
  CHECK(client.request("GET", "/").body == "hello");
  CHECK(client.connects() == 1);
}

TEST_CASE("http_client reconnects after the server closes the connection", "[support]") {
  SECTION("Connection: close") {
    canned_server server(
        {{"HTTP/1.1 503 Busy\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"},
         {ok_hello}});
    http_client client(server.port());
    auto busy = client.request("POST", "/v1/events", "x");
    CHECK(busy.status == 503);
    CHECK(busy.header("retry-after") == "1");
    CHECK_FALSE(client.connected());
    CHECK(client.request("GET", "/").body == "hello");
    CHECK(client.connects() == 2);
  }
  SECTION("closed while idle") {
    canned_server server({{ok_hello, true}, {ok_hello}});
    http_client client(server.port());
    CHECK(client.request("GET", "/").status == 200);
    // The server closed without saying so. Once it has closed its end, the FIN
    // is already queued on our loopback socket.
    for (int i = 0; i < 5000 && server.closed_connections() < 1; ++i) {
      std::this_thread::sleep_for(1ms);
    }
    CHECK(client.request("GET", "/").body == "hello");
    CHECK(client.connects() == 2);
  }
  SECTION("body until close") {
    canned_server server({{"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", true}});
    http_client client(server.port());
    CHECK(client.request("GET", "/").body == "all of it");
  }
}

TEST_CASE("http_client reports transport errors", "[support]") {
  std::uint16_t unused_port;
  {
    canned_server server({});
    unused_port = server.port();
  }
  http_client refused(unused_port);
  crisisline::test::http_response response;
  CHECK(refused.try_request("GET", "/", {}, {}, response) == std::errc::connection_refused);
  CHECK_THROWS_AS(refused.request("GET", "/"), crisisline::test::http_error);

  canned_server truncated({{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true}});
  http_client client(truncated.port());
  CHECK(client.try_request("GET", "/", {}, {}, response));
  CHECK_FALSE(client.connected());
}

TEST_CASE("server_process waits for the listening line and stops the child", "[support]") {
  crisisline::test::temp_dir dir;
  crisisline::test::server_options options{
      .binary = "/bin/sh",
      .args =
          {"-c",
           "echo '{\"level\":\"info\",\"msg\":\"starting\"}' >&2; "
           "echo '{\"level\":\"info\",\"msg\":\"listening\",\"host\":\"127.0.0.1\",\"port\":4242}' "
           ">&2; "
           "exec sleep 30"},
      .log_file = dir / "server.log",
      .ready_timeout = 10s};

  SECTION("stop sends SIGTERM") {
    auto process = crisisline::test::server_process::start(options);
    CHECK(process.port() == 4242);
    CHECK(process.running());
    auto status = process.stop();
    CHECK_FALSE(status.exited);
    CHECK(status.signal == SIGTERM);
    CHECK_FALSE(process.running());
    CHECK(process.log().find("starting") != std::string::npos);
  }
  SECTION("the destructor kills and reaps") {
    pid_t pid;
    {
      auto process = crisisline::test::server_process::start(options);
      pid = process.pid();
    }
    CHECK(::kill(pid, 0) == -1);
    CHECK(errno == ESRCH);
  }
  SECTION("each start reads only its own output") {
    auto first = crisisline::test::server_process::start(options);
    first.kill_hard();
    options.args[1] = "echo 'fails' >&2; exit 3";
    auto second = crisisline::test::server_process::spawn(options);
    CHECK_THROWS_WITH(second.wait_ready(),
                      Catch::Contains("exit code 3") && Catch::Contains("fails"));
    CHECK(second.log() == "fails\n");
  }
}

TEST_CASE("server_process passes extra environment variables to the child", "[support]") {
  crisisline::test::temp_dir dir;
  ::setenv("CRISISLINE_SUPPORT_INHERITED", "parent", 1);
  ::setenv("CRISISLINE_SUPPORT_REPLACED", "parent", 1);
  crisisline::test::server_options options{
      .binary = "/bin/sh",
      .args = {"-c",
               "echo \"$CRISISLINE_SUPPORT_INHERITED $CRISISLINE_SUPPORT_REPLACED "
               "$CRISISLINE_SUPPORT_ADDED\" >&2; exit 0"},
      .log_file = dir / "server.log",
      .ready_timeout = 10s,
      .env = {{"CRISISLINE_SUPPORT_REPLACED", "child"}, {"CRISISLINE_SUPPORT_ADDED", "added"}}};
  auto process = crisisline::test::server_process::spawn(options);
  CHECK_THROWS_WITH(process.wait_ready(), Catch::Contains("exit code 0"));
  CHECK(process.log() == "parent child added\n");
  ::unsetenv("CRISISLINE_SUPPORT_INHERITED");
  ::unsetenv("CRISISLINE_SUPPORT_REPLACED");
}
