#pragma once

// Internal to src/net: what the HTTP session (http_server.cpp) and the
// WebSocket session (ws_session.cpp) share. Includes Beast: never include it
// outside src/net/*.cpp.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "net/http_server.hpp"
#include "net/websocket.hpp"

namespace crisisline::net {

using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using upgrade_request = boost::beast::http::request<boost::beast::http::string_body>;

// Every live connection, HTTP or WebSocket, so shutdown can reach it and
// max_connections counts it.
class session_base {
 public:
  virtual ~session_base() = default;
  // Closes now if idle; otherwise as soon as the work in hand is done.
  virtual void close_soon() = 0;
};

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  impl(boost::asio::io_context& c, http_server_options o, const router& r)
      : context(c), acceptor(c), opts(std::move(o)), routes(r) {}

  void do_accept();
  void on_accept(boost::beast::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& context;
  boost::asio::ip::tcp::acceptor acceptor;
  http_server_options opts;
  const router& routes;
  // Set when opts.tls is enabled; shared by every TLS session.
  std::optional<boost::asio::ssl::context> tls;
  std::unordered_set<session_base*> sessions;
  std::uint64_t requests = 0;
  bool closing = false;
};

// Takes over an HTTP connection whose request is a WebSocket upgrade the route
// accepted: completes the handshake (with `accept.subprotocol`), then runs the
// connection. `buffer` holds any bytes read past the request.
void start_ws_session(plain_stream&& stream, boost::beast::flat_buffer&& buffer,
                      upgrade_request&& req, ws_accept accept, std::string remote,
                      std::shared_ptr<http_server::impl> server);
void start_ws_session(tls_stream&& stream, boost::beast::flat_buffer&& buffer,
                      upgrade_request&& req, ws_accept accept, std::string remote,
                      std::shared_ptr<http_server::impl> server);

}  // namespace crisisline::net
