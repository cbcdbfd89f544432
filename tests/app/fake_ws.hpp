#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "net/websocket.hpp"

namespace crisisline::app::testing {

// A WebSocket as the feed sees it, recording what it is sent. With a byte
// limit it behaves like the transport: a send past it closes with 1013.
class fake_ws : public net::ws_connection {
 public:
  explicit fake_ws(std::size_t max_queued = 1 << 30) : max_(max_queued) {}

  bool send(std::string payload, bool binary) override {
    if (!open_) return false;
    if (queued_ + payload.size() > max_) {
      close(net::ws_close::try_again_later, "slow consumer");
      return false;
    }
    // Nothing is ever drained unless the test says so: a consumer that never reads.
    if (!reading_) queued_ += payload.size();
    (void)binary;
    frames.push_back(boost::json::parse(payload).as_object());
    return true;
  }
  void close(std::uint16_t code, std::string reason) override {
    if (!open_) return;
    open_ = false;
    close_code = code;
    (void)reason;
    if (callbacks.on_close) callbacks.on_close(code, "closed");
  }
  [[nodiscard]] std::size_t queued_bytes() const override { return queued_; }
  [[nodiscard]] bool is_open() const override { return open_; }
  [[nodiscard]] const std::string& subprotocol() const override { return none_; }
  [[nodiscard]] const std::string& remote_address() const override { return address_; }

  void stop_reading() { reading_ = false; }

  std::vector<boost::json::object> frames;
  std::uint16_t close_code = 0;
  net::ws_callbacks callbacks;

 private:
  std::size_t max_;
  std::size_t queued_ = 0;
  bool open_ = true;
  bool reading_ = true;
  std::string none_;
  std::string address_ = "127.0.0.1";
};

}  // namespace crisisline::app::testing
