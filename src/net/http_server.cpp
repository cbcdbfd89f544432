#include "net/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <unordered_set>

#include "log/log.hpp"
#include "net/io_loop_impl.hpp"

namespace crisisline::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class session;

struct http_server::impl : std::enable_shared_from_this<http_server::impl> {
  impl(asio::io_context& c, http_server_options o, const router& r)
      : context(c), acceptor(c), opts(o), routes(r) {}

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);

  asio::io_context& context;
  tcp::acceptor acceptor;
  http_server_options opts;
  const router& routes;
  std::unordered_set<session*> sessions;
  std::uint64_t requests = 0;
  bool closing = false;
};

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

// One HTTP connection. do_x starts an operation, on_x completes it.
class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket socket, std::shared_ptr<http_server::impl> server)
      : stream_(std::move(socket)), server_(std::move(server)) {
    beast::error_code ec;
    const auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }

  void start() {
    server_->sessions.insert(this);
    do_read_header();
  }

  ~session() { server_->sessions.erase(this); }

  // Closes now if idle; otherwise after the pending response.
  void close_soon() {
    closing_ = true;
    if (!busy_) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream_.socket().close(ec);
    }
  }

 private:
  void do_read_header() {
    parser_.emplace();
    parser_->body_limit(server_->opts.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(server_->opts.max_header_bytes));
    stream_.expires_after(server_->opts.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&session::on_read_header, shared_from_this()));
  }

  void on_read_header(beast::error_code ec, std::size_t) {
    if (ec) return on_read_error(ec);
    busy_ = true;
    stream_.expires_after(server_->opts.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read_error(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::eof || ec == asio::error::bad_descriptor) {
      return do_close();
    }
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
    stream_.expires_never();
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    ++server_->requests;

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

    auto self = shared_from_this();
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
    stream_.expires_after(server_->opts.read_timeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
                        self->on_write(ec, keep);
                      });
  }

  void on_write(beast::error_code ec, bool keep) {
    busy_ = false;
    if (ec || !keep || closing_) return do_close();
    do_read_header();
  }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
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
  } else {
    std::make_shared<session>(std::move(socket), shared_from_this())->start();
  }
  do_accept();
}

http_server::http_server(io_loop& loop, const std::string& host, std::uint16_t port,
                         http_server_options opts, const router& routes)
    : impl_(std::make_shared<impl>(loop.internals().context, opts, routes)) {
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
  for (auto* s : std::vector<session*>(impl_->sessions.begin(), impl_->sessions.end())) {
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
