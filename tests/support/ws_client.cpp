#include "ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <stdexcept>

namespace crisisline::test {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct ws_client::impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool open = false;
  int status = 0;
  std::string body;
  std::string subprotocol;
  bool read_pending = false;
  std::optional<read_result> ready;
};

ws_client::ws_client(std::uint16_t port, std::string target, std::vector<std::string> subprotocols,
                     std::vector<std::pair<std::string, std::string>> headers)
    : impl_(std::make_unique<impl>()) {
  auto& s = *impl_;
  auto& tcp = beast::get_lowest_layer(s.ws);
  tcp.expires_after(std::chrono::seconds(10));
  tcp.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  s.ws.set_option(
      websocket::stream_base::decorator([subprotocols, headers](websocket::request_type& req) {
        std::string offered;
        for (const auto& p : subprotocols) offered += (offered.empty() ? "" : ", ") + p;
        if (!offered.empty()) req.set(beast::http::field::sec_websocket_protocol, offered);
        for (const auto& [k, v] : headers) req.set(k, v);
      }));
  websocket::response_type res;
  beast::error_code ec;
  s.ws.handshake(res, "127.0.0.1:" + std::to_string(port), target, ec);
  s.status = static_cast<int>(res.result_int());
  s.body = res.body();
  if (ec) return;
  tcp.expires_never();
  s.open = true;
  s.subprotocol = std::string(res[beast::http::field::sec_websocket_protocol]);
}

ws_client::~ws_client() {
  beast::error_code ignored;
  beast::get_lowest_layer(impl_->ws).socket().close(ignored);
}

bool ws_client::is_open() const {
  return impl_->open;
}
int ws_client::status() const {
  return impl_->status;
}
const std::string& ws_client::body() const {
  return impl_->body;
}
const std::string& ws_client::subprotocol() const {
  return impl_->subprotocol;
}

void ws_client::send(std::string_view payload, bool binary) {
  if (!impl_->open) throw std::runtime_error("ws_client: not open");
  impl_->ws.binary(binary);
  beast::error_code ec;
  impl_->ws.write(asio::buffer(payload.data(), payload.size()), ec);
  if (ec) throw std::runtime_error("ws_client: write failed: " + ec.message());
}

ws_client::read_result ws_client::read(std::chrono::milliseconds timeout) {
  auto& s = *impl_;
  if (!s.open && !s.read_pending) return closed{s.ws.reason().code, s.ws.reason().reason.c_str()};
  if (!s.read_pending) {
    s.read_pending = true;
    s.ws.async_read(s.buffer, [&s](beast::error_code ec, std::size_t) {
      s.read_pending = false;
      if (ec) {
        s.open = false;
        s.ready = closed{s.ws.reason().code, ec == websocket::error::closed
                                                 ? std::string(s.ws.reason().reason.c_str())
                                                 : ec.message()};
        return;
      }
      s.ready = message{beast::buffers_to_string(s.buffer.data()), s.ws.got_binary()};
      s.buffer.consume(s.buffer.size());
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!s.ready && std::chrono::steady_clock::now() < deadline) {
    s.ioc.restart();
    s.ioc.run_one_until(deadline);
  }
  if (!s.ready) return timed_out{};
  auto out = std::move(*s.ready);
  s.ready.reset();
  return out;
}

std::string ws_client::read_text(std::chrono::milliseconds timeout) {
  auto r = read(timeout);
  if (auto* m = std::get_if<message>(&r)) return std::move(m->payload);
  if (auto* c = std::get_if<closed>(&r)) {
    throw std::runtime_error("ws_client: closed " + std::to_string(c->code) + " " + c->reason);
  }
  throw std::runtime_error("ws_client: no message within the timeout");
}

void ws_client::close(std::uint16_t code) {
  auto& s = *impl_;
  if (!s.open) return;
  // Asynchronous, so a read left pending by a timed-out read() completes too.
  bool done = false;
  s.ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                   [&done](beast::error_code) { done = true; });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while ((!done || s.read_pending) && std::chrono::steady_clock::now() < deadline) {
    s.ioc.restart();
    s.ioc.run_one_until(deadline);
  }
  s.open = false;
}

}  // namespace crisisline::test
