#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "net/http_message.hpp"

// Transport-neutral WebSocket: feed code sees these, never Beast types. A
// route registered with router::add_websocket decides, from the upgrade
// request alone, whether to accept (and with which subprotocol) or to answer
// with an HTTP error such as 401 or 403.
namespace crisisline::net {

struct ws_options {
  // Largest message a peer may send; a bigger one closes with 1009.
  std::size_t max_message_bytes = 64 << 10;
  // Outgoing bytes queued for one peer. A send() that would pass this closes
  // the connection with 1013 ("slow consumer"): memory stays bounded and the
  // client resumes on reconnect.
  std::size_t max_queued_bytes = 1 << 20;
  // The server pings an idle peer; one that answers nothing for this long is closed.
  std::chrono::milliseconds idle_timeout{30'000};
};

namespace ws_close {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t unsupported_data = 1003;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t too_big = 1009;
inline constexpr std::uint16_t internal_error = 1011;
inline constexpr std::uint16_t try_again_later = 1013;
}  // namespace ws_close

// One open WebSocket as application code sees it. Every member runs on the io
// thread; the object outlives the connection (calls after close do nothing).
class ws_connection {
 public:
  virtual ~ws_connection() = default;

  // Queues one message (binary or text). False, and nothing queued, when the
  // connection is closing or closed, or when the message would take the queue
  // past max_queued_bytes: then the connection is closed with 1013.
  virtual bool send(std::string payload, bool binary) = 0;
  // Sends a close frame after what is already queued, then ends the connection.
  virtual void close(std::uint16_t code, std::string reason) = 0;

  [[nodiscard]] virtual std::size_t queued_bytes() const = 0;
  [[nodiscard]] virtual bool is_open() const = 0;
  // The subprotocol the upgrade handler selected ("" if none).
  [[nodiscard]] virtual const std::string& subprotocol() const = 0;
  [[nodiscard]] virtual const std::string& remote_address() const = 0;
};

struct ws_callbacks {
  // One whole message from the peer.
  std::function<void(std::string payload, bool binary)> on_message;
  // The connection ended for any reason (close frame, error, timeout, slow
  // consumer, shutdown). Called exactly once, last.
  std::function<void(std::uint16_t code, const std::string& reason)> on_close;
};

struct ws_accept {
  // Must be one the client offered (see offered_subprotocols), or empty.
  std::string subprotocol;
  // Runs once the handshake has completed.
  std::function<ws_callbacks(std::shared_ptr<ws_connection>)> on_open;
};

// Accept, or refuse with this HTTP response.
using ws_decision = std::variant<ws_accept, http_response>;
using ws_upgrade_handler = std::function<ws_decision(const http_request&)>;

// The Sec-WebSocket-Protocol values the client offered, in its order.
[[nodiscard]] std::vector<std::string> offered_subprotocols(const http_request& req);

}  // namespace crisisline::net
