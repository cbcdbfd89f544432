#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace crisisline::test {

// A blocking WebSocket client for tests, as a console or crew device would
// connect. Built on Beast in its own library so only tests that need it pay
// for the compile.
class ws_client {
 public:
  struct message {
    std::string payload;
    bool binary = false;
  };
  struct closed {
    std::uint16_t code = 0;
    std::string reason;
  };
  struct timed_out {};
  using read_result = std::variant<message, closed, timed_out>;

  // Connects to 127.0.0.1:port and asks to upgrade `target` (path and query).
  // If the server refuses, is_open() is false and status()/body() hold its
  // HTTP answer.
  ws_client(std::uint16_t port, std::string target, std::vector<std::string> subprotocols = {},
            std::vector<std::pair<std::string, std::string>> headers = {});
  ~ws_client();
  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  [[nodiscard]] bool is_open() const;
  // 101 when upgraded.
  [[nodiscard]] int status() const;
  [[nodiscard]] const std::string& body() const;
  [[nodiscard]] const std::string& subprotocol() const;

  // Throws std::runtime_error if the connection is not open or the write fails.
  void send(std::string_view payload, bool binary = false);
  // The next message, the close, or timed_out. A read that timed out stays
  // pending, so the next read() continues it: nothing is lost.
  [[nodiscard]] read_result read(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads until a message arrives; throws on close or timeout.
  [[nodiscard]] std::string read_text(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Sends a close frame and waits (bounded) for the server's.
  void close(std::uint16_t code = 1000);

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace crisisline::test
