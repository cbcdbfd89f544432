#include <boost/asio/steady_timer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <type_traits>

#include "log/log.hpp"
#include "net/server_impl.hpp"

namespace crisisline::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {

// How long a close handshake may take before the socket is simply closed: a
// peer that stopped reading never completes it.
constexpr std::chrono::seconds close_deadline{5};

// One WebSocket connection. Outgoing messages wait in a queue bounded in
// bytes; one write is in flight at a time. do_x starts an operation, on_x
// completes it. Lives on the io thread (its implicit strand), so no locks.
template <class Stream>
class ws_session : public session_base,
                   public ws_connection,
                   public std::enable_shared_from_this<ws_session<Stream>> {
 public:
  ws_session(Stream&& stream, std::string subprotocol, std::string remote,
             std::shared_ptr<http_server::impl> server)
      : ws_(std::move(stream)),
        close_timer_(ws_.get_executor()),
        subprotocol_(std::move(subprotocol)),
        remote_(std::move(remote)),
        server_(std::move(server)),
        opts_(server_->opts.websocket) {}

  ~ws_session() override { server_->sessions.erase(this); }

  void run(beast::flat_buffer&& buffer, upgrade_request&& req,
           std::function<ws_callbacks(std::shared_ptr<ws_connection>)> on_open) {
    server_->sessions.insert(this);
    registered_ = true;
    on_open_ = std::move(on_open);
    buffer_ = std::move(buffer);
    // Beast's own timeouts replace the tcp_stream's from here on.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = server_->opts.read_timeout;
    t.idle_timeout = opts_.idle_timeout;
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(opts_.max_message_bytes);
    ws_.set_option(
        websocket::stream_base::decorator([proto = subprotocol_](websocket::response_type& res) {
          res.set(beast::http::field::server, "crisisline");
          if (!proto.empty()) res.set(beast::http::field::sec_websocket_protocol, proto);
        }));
    req_ = std::move(req);
    ws_.async_accept(req_,
                     beast::bind_front_handler(&ws_session::on_accept, this->shared_from_this()));
  }

  bool send(std::string payload, bool binary) override {
    if (!open_ || closing_) return false;
    if (queued_bytes_ + payload.size() > opts_.max_queued_bytes) {
      log::warn("WebSocket peer is not keeping up; closing it",
                {{"remote", std::string_view(remote_)},
                 {"queued_bytes", static_cast<std::uint64_t>(queued_bytes_)}});
      // Queued messages go: the client resumes from its last sequence number.
      drop_unsent();
      close(ws_close::try_again_later, "slow consumer: reconnect and resume");
      return false;
    }
    queued_bytes_ += payload.size();
    queue_.push_back({std::move(payload), binary});
    if (!writing_) do_write();
    return true;
  }

  void close(std::uint16_t code, std::string reason) override {
    if (!open_ || closing_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    close_timer_.expires_after(close_deadline);
    close_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->abort("close handshake timed out");
    });
    if (!writing_) do_close();
  }

  [[nodiscard]] std::size_t queued_bytes() const override { return queued_bytes_; }
  [[nodiscard]] bool is_open() const override { return open_ && !closing_; }
  [[nodiscard]] const std::string& subprotocol() const override { return subprotocol_; }
  [[nodiscard]] const std::string& remote_address() const override { return remote_; }

  void close_soon() override {
    if (open_) {
      close(ws_close::going_away, "server shutting down");
    } else {
      abort("server shutting down");
    }
  }

 private:
  struct outgoing {
    std::string payload;
    bool binary = false;
  };

  void on_accept(beast::error_code ec) {
    req_ = {};
    if (ec) {
      if (ec != asio::error::operation_aborted) {
        log::debug("WebSocket handshake failed", {{"error", std::string_view(ec.message())}});
      }
      return abort("handshake failed");
    }
    open_ = true;
    callbacks_ = on_open_(this->shared_from_this());
    on_open_ = nullptr;
    do_read();
  }

  void do_read() {
    ws_.async_read(read_buffer_,
                   beast::bind_front_handler(&ws_session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == websocket::error::closed)
      return finish(ws_.reason().code, ws_.reason().reason.c_str());
    if (ec == websocket::error::message_too_big) {
      // Beast has already sent the close frame (1009).
      return finish(ws_close::too_big, "message too big");
    }
    if (ec) return abort(ec.message());
    std::string payload = beast::buffers_to_string(read_buffer_.data());
    read_buffer_.consume(read_buffer_.size());
    if (callbacks_.on_message && open_) callbacks_.on_message(std::move(payload), ws_.got_binary());
    if (!finished_) do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.binary(queue_.front().binary);
    ws_.async_write(asio::buffer(queue_.front().payload),
                    beast::bind_front_handler(&ws_session::on_write, this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t) {
    writing_ = false;
    if (!queue_.empty()) {
      queued_bytes_ -= queue_.front().payload.size();
      queue_.pop_front();
    }
    if (ec) return abort(ec.message());
    if (closing_) {
      drop_unsent();
      return do_close();
    }
    if (!queue_.empty()) do_write();
  }

  void do_close() {
    if (close_started_ || finished_) return;
    close_started_ = true;
    ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) {
      self->finish(self->close_reason_.code, self->close_reason_.reason.c_str());
    });
  }

  void drop_unsent() {
    // The message being written must stay until its write completes.
    while (queue_.size() > (writing_ ? 1U : 0U)) {
      queued_bytes_ -= queue_.back().payload.size();
      queue_.pop_back();
    }
  }

  // Ends the connection without a close handshake.
  void abort(const std::string& why) {
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    finish(ws_close::going_away, why);
  }

  // Runs once: tells the application, releases its callbacks (which may hold
  // a reference to this connection) and leaves the server's session set.
  void finish(std::uint16_t code, const std::string& reason) {
    if (finished_) return;
    finished_ = true;
    open_ = false;
    close_timer_.cancel();
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
    if (registered_) {
      server_->sessions.erase(this);
      registered_ = false;
    }
    auto callbacks = std::move(callbacks_);
    callbacks_ = {};
    if (callbacks.on_close) callbacks.on_close(code, reason);
  }

  websocket::stream<Stream> ws_;
  asio::steady_timer close_timer_;
  beast::flat_buffer buffer_;
  beast::flat_buffer read_buffer_;
  upgrade_request req_;
  std::string subprotocol_;
  std::string remote_;
  std::shared_ptr<http_server::impl> server_;
  ws_options opts_;
  std::function<ws_callbacks(std::shared_ptr<ws_connection>)> on_open_;
  ws_callbacks callbacks_;
  std::deque<outgoing> queue_;
  std::size_t queued_bytes_ = 0;
  websocket::close_reason close_reason_;
  bool registered_ = false;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  bool finished_ = false;
};

template <class Stream>
void start(Stream&& stream, beast::flat_buffer&& buffer, upgrade_request&& req, ws_accept accept,
           std::string remote, std::shared_ptr<http_server::impl> server) {
  auto s = std::make_shared<ws_session<std::remove_reference_t<Stream>>>(
      std::move(stream), std::move(accept.subprotocol), std::move(remote), std::move(server));
  s->run(std::move(buffer), std::move(req), std::move(accept.on_open));
}

}  // namespace

void start_ws_session(plain_stream&& stream, beast::flat_buffer&& buffer, upgrade_request&& req,
                      ws_accept accept, std::string remote,
                      std::shared_ptr<http_server::impl> server) {
  start(std::move(stream), std::move(buffer), std::move(req), std::move(accept), std::move(remote),
        std::move(server));
}

void start_ws_session(tls_stream&& stream, beast::flat_buffer&& buffer, upgrade_request&& req,
                      ws_accept accept, std::string remote,
                      std::shared_ptr<http_server::impl> server) {
  start(std::move(stream), std::move(buffer), std::move(req), std::move(accept), std::move(remote),
        std::move(server));
}

}  // namespace crisisline::net
