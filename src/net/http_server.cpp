#include "net/http_server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/beast/websocket/rfc6455.hpp>
#include <filesystem>
#include <stdexcept>
#include <type_traits>

#include "log/log.hpp"
#include "net/io_loop_impl.hpp"
#include "net/server_impl.hpp"

namespace crisisline::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

// How long a closing TLS connection waits for the peer's close_notify. It is a
// courtesy: the response has been written whole by then.
constexpr std::chrono::seconds close_notify_timeout{2};

// TLS 1.2 suites with forward secrecy and AEAD only (TLS 1.3 suites are
// OpenSSL's defaults, all of which qualify).
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Drains OpenSSL's error queue for this thread into one line.
std::string openssl_errors() {
  std::string out;
  char buf[256];
  while (const unsigned long e = ERR_get_error()) {
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

[[noreturn]] void tls_load_failed(std::string_view what, const std::string& file) {
  const auto reason = openssl_errors();
  log::error(what, {{"file", std::string_view(file)}, {"error", std::string_view(reason)}});
  throw std::runtime_error(std::string(what) + " " + file + ": " + reason);
}

// Loads the certificate and key once, at start-up, on the calling thread.
void configure_tls(ssl::context& ctx, const tls_options& tls) {
  if (tls.private_key_file.empty()) {
    throw std::invalid_argument("TLS certificate_file is set but private_key_file is not");
  }
  SSL_CTX* c = ctx.native_handle();
  ERR_clear_error();
  const long min_version = tls.min_version == tls_version::v1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
  // SSL_CTX_set_min_proto_version() is a macro around this call.
  if (!SSL_CTX_ctrl(c, SSL_CTRL_SET_MIN_PROTO_VERSION, min_version, nullptr)) {
    throw std::runtime_error("cannot set the minimum TLS version: " + openssl_errors());
  }
  SSL_CTX_set_options(
      c, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  if (!SSL_CTX_set_cipher_list(c, tls12_ciphers)) {
    throw std::runtime_error("cannot set the TLS 1.2 cipher list: " + openssl_errors());
  }
  // An encrypted key must fail to load, not prompt on a terminal nobody watches.
  SSL_CTX_set_default_passwd_cb(c, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(c, tls.certificate_file.c_str()) != 1) {
    tls_load_failed("cannot load the TLS certificate file", tls.certificate_file);
  }
  if (SSL_CTX_use_PrivateKey_file(c, tls.private_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    tls_load_failed("cannot load the TLS private key file", tls.private_key_file);
  }
  if (SSL_CTX_check_private_key(c) != 1) {
    tls_load_failed("the TLS private key does not match the certificate", tls.private_key_file);
  }
  std::error_code ec;
  const auto mode = std::filesystem::status(tls.private_key_file, ec).permissions();
  using std::filesystem::perms;
  if (!ec && (mode & (perms::group_all | perms::others_all)) != perms::none) {
    log::warn("the TLS private key file is accessible to group or others; make it 0600",
              {{"file", std::string_view(tls.private_key_file)}});
  }
  log::info("serving HTTPS",
            {{"certificate_file", std::string_view(tls.certificate_file)},
             {"min_version", tls.min_version == tls_version::v1_3 ? "1.3" : "1.2"}});
}

// HTTP parse errors are the only read errors answered with an HTTP error
// response. After any other (the peer is gone, a timeout, our own close, a TLS
// failure) there is nobody to answer.
bool is_http_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::bad_target).category();
}

}  // namespace

// One HTTP connection over Stream: beast::tcp_stream, or an ssl_stream over
// one, which first does the server handshake. do_x starts an operation, on_x
// completes it.
template <class Stream>
class session : public session_base, public std::enable_shared_from_this<session<Stream>> {
  static constexpr bool tls = std::is_same_v<Stream, tls_stream>;

 public:
  // `tls_context...` is the ssl::context for a tls_stream and nothing otherwise.
  template <class... TlsContext>
  session(tcp::socket socket, std::shared_ptr<http_server::impl> server, TlsContext&... tls_context)
      : stream_(std::move(socket), tls_context...), server_(std::move(server)) {
    beast::error_code ec;
    const auto ep = socket_().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void start() {
    server_->sessions.insert(this);
    if constexpr (tls) {
      do_handshake();
    } else {
      do_read_header();
    }
  }

  ~session() override { server_->sessions.erase(this); }

  void close_soon() override {
    closing_ = true;
    if (!busy_) close_now(tcp::socket::shutdown_both);
  }

 private:
  beast::tcp_stream& tcp_() { return beast::get_lowest_layer(stream_); }
  tcp::socket& socket_() { return tcp_().socket(); }

  void do_handshake() {
    tcp_().expires_after(server_->opts.read_timeout);
    stream_.async_handshake(
        ssl::stream_base::server,
        beast::bind_front_handler(&session::on_handshake, this->shared_from_this()));
  }

  void on_handshake(beast::error_code ec) {
    if (ec) {
      // The reason only (e.g. "http request", "unsupported protocol"): never
      // anything the client sent.
      if (ec != asio::error::operation_aborted) {
        log::debug("TLS handshake failed", {{"error", std::string_view(ec.message())}});
      }
      return close_now(tcp::socket::shutdown_both);
    }
    do_read_header();
  }

  void do_read_header() {
    parser_.emplace();
    parser_->body_limit(server_->opts.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts.max_header_bytes));
    tcp_().expires_after(server_->opts.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&session::on_read_header, this->shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    tcp_().expires_after(server_->opts.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, this->shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return do_close();
    if (!is_http_error(ec)) return close_now(tcp::socket::shutdown_send);
    busy_ = true;
    keep_alive_ = false;
    if (ec == http::error::body_limit) {
      return send(http_response::error(
          413, "payload_too_large",
          "request body is over " + std::to_string(server_->opts.max_body_bytes) + " bytes"));
    }
    if (ec == http::error::header_limit) {
      return send(http_response::error(
          431, "headers_too_large",
          "request headers are over " + std::to_string(server_->opts.max_header_bytes) + " bytes"));
    }
    send(http_response::error(400, "bad_request", "malformed HTTP request: " + ec.message()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    tcp_().expires_never();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    ++server_->requests;

    http_request req = to_request(msg);
    if (beast::websocket::is_upgrade(msg)) return upgrade(std::move(msg), std::move(req));

    req.method = std::string(msg.method_string());
    auto self = this->shared_from_this();
    auto once = std::make_shared<bool>(false);
    responder respond = [self, once](http_response r) {
      if (*once) return;
      *once = true;
      self->send(std::move(r));
    };
    try {
      server_->routes.dispatch(std::move(req), std::move(respond));
    } catch (const std::exception& e) {
      log::error("handler threw", {{"error", std::string_view(e.what())}});
      if (!*once) {
        *once = true;
        keep_alive_ = false;
        send(
            http_response::error(500, "internal_error", "the server could not handle the request"));
      }
    }
  }

  // The transport-neutral copy of `msg`, taking its body (the WebSocket
  // handshake needs only the headers).
  http_request to_request(upgrade_request& msg) const {
    http_request req;
    req.method = std::string(msg.method_string());
    const std::string_view target = msg.target();
    const auto q = target.find('?');
    req.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
    req.headers.reserve(8);
    for (const auto& f : msg)
      req.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    req.remote_address = remote_;
    return req;
  }

  // A WebSocket route decides from the request alone; accepted, the
  // connection leaves this session for a WebSocket session.
  void upgrade(upgrade_request&& msg, http_request&& req) {
    keep_alive_ = false;
    const auto* route = server_->routes.find_websocket(req.path);
    if (!route) {
      return send(http_response::error(404, "not_found", "no WebSocket route for " + req.path));
    }
    ws_decision decision;
    try {
      decision = (*route)(req);
    } catch (const std::exception& e) {
      log::error("WebSocket upgrade handler threw", {{"error", std::string_view(e.what())}});
      return send(
          http_response::error(500, "internal_error", "the server could not handle the request"));
    }
    if (auto* refused = std::get_if<http_response>(&decision)) return send(std::move(*refused));
    auto& accept = std::get<ws_accept>(decision);
    if (!accept.subprotocol.empty()) {
      const auto offered = offered_subprotocols(req);
      if (std::find(offered.begin(), offered.end(), accept.subprotocol) == offered.end()) {
        return send(http_response::error(400, "bad_subprotocol",
                                         "the client did not offer " + accept.subprotocol));
      }
    }
    start_ws_session(std::move(stream_), std::move(buffer_), std::move(msg), std::move(accept),
                     remote_, server_);
  }

  void send(http_response r) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "crisisline");
    res->set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res->set(k, v);
    const bool keep = keep_alive_ && !closing_ && !server_->closing;
    res->keep_alive(keep);
    res->body() = std::move(r.body);
    res->prepare_payload();
    tcp_().expires_after(server_->opts.read_timeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep](
                          beast::error_code ec, std::size_t) { self->on_write(ec, keep); });
  }

  void on_write(beast::error_code ec, bool keep) {
    busy_ = false;
    if (ec) return close_now(tcp::socket::shutdown_both);
    if (!keep || closing_) return do_close();
    do_read_header();
  }

  // An orderly close: with TLS, close_notify first (bounded), then the socket.
  void do_close() {
    if (!socket_().is_open()) return;
    if constexpr (tls) {
      tcp_().expires_after(
          std::min<std::chrono::milliseconds>(close_notify_timeout, server_->opts.read_timeout));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        self->close_now(tcp::socket::shutdown_both);
      });
    } else {
      close_now(tcp::socket::shutdown_send);
    }
  }

  // Pending operations complete with operation_aborted and drop their
  // reference to this session.
  void close_now(tcp::socket::shutdown_type how) {
    beast::error_code ec;
    socket_().shutdown(how, ec);
    socket_().close(ec);
  }

  Stream stream_;
  beast::flat_buffer buffer_{8192};
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<http_server::impl> server_;
  std::string remote_;
  bool keep_alive_ = true;
  bool busy_ = false;
  bool closing_ = false;
};

void http_server::impl::do_accept() {
  acceptor.async_accept(context, beast::bind_front_handler(&impl::on_accept, shared_from_this()));
}

void http_server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    log::warn("accept failed", {{"error", std::string_view(ec.message())}});
  } else if (sessions.size() >= opts.max_connections) {
    log::warn("connection refused: at max_connections",
              {{"max_connections", static_cast<std::uint64_t>(opts.max_connections)}});
    beast::error_code ignored;
    socket.close(ignored);
  } else if (tls) {
    std::make_shared<session<tls_stream>>(std::move(socket), shared_from_this(), *tls)->start();
  } else {
    std::make_shared<session<plain_stream>>(std::move(socket), shared_from_this())->start();
  }
  do_accept();
}

http_server::http_server(io_loop& loop, const std::string& host, std::uint16_t port,
                         http_server_options opts, const router& routes)
    : impl_(std::make_shared<impl>(loop.internals().context, std::move(opts), routes)) {
  if (impl_->opts.tls.enabled()) {
    configure_tls(impl_->tls.emplace(ssl::context::tls_server), impl_->opts.tls);
  }
  const tcp::endpoint ep(asio::ip::make_address(host), port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
  impl_->do_accept();
}

http_server::~http_server() {
  stop_accepting();
  close_connections();
}

std::uint16_t http_server::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void http_server::stop_accepting() {
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

void http_server::close_connections() {
  impl_->closing = true;
  // close_soon() may destroy nothing synchronously: sessions are owned by
  // their pending operations, which complete later with operation_aborted.
  for (auto* s : std::vector<session_base*>(impl_->sessions.begin(), impl_->sessions.end())) {
    s->close_soon();
  }
}

std::size_t http_server::connection_count() const {
  return impl_->sessions.size();
}
std::uint64_t http_server::requests_total() const {
  return impl_->requests;
}

}  // namespace crisisline::net
