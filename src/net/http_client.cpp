#include "net/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

#include <openssl/evp.h>

#include "net/io_loop_impl.hpp"

namespace crisisline::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t max_response_body = 1 << 20;

struct target {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;
};

std::optional<target> parse(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return std::nullopt;
  target t;
  if (u->scheme() == "https") {
    t.tls = true;
  } else if (u->scheme() != "http") {
    return std::nullopt;
  }
  t.host = u->host();
  if (t.host.empty()) return std::nullopt;
  t.port = u->has_port() ? std::string(u->port()) : (t.tls ? "443" : "80");
  t.path = u->encoded_path().empty() ? "/" : std::string(u->encoded_path());
  if (u->has_query()) t.path += "?" + std::string(u->encoded_query());
  return t;
}

template <typename Stream>
asio::awaitable<client_response> exchange(Stream& stream, const target& t,
                                          const client_request& req) {
  http::request<http::string_body> r{http::string_to_verb(req.method), t.path, 11};
  r.set(http::field::host, t.host);
  r.set(http::field::user_agent, "crisisline");
  for (const auto& [k, v] : req.headers) r.set(k, v);
  r.body() = req.body;
  r.prepare_payload();
  auto [wec, wn] = co_await http::async_write(stream, r, use);
  if (wec) co_return client_response{0, {}, "write: " + wec.message()};
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_response_body);
  auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use);
  if (rec) co_return client_response{0, {}, "read: " + rec.message()};
  auto res = parser.release();
  co_return client_response{static_cast<int>(res.result_int()), std::move(res.body()), {}};
}

}  // namespace

std::string basic_authorization(std::string_view user, std::string_view password) {
  const std::string in = std::string(user) + ":" + std::string(password);
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return "Basic " + out;
}

struct http_client::impl {
  explicit impl(asio::io_context& c) : context(c), tls(asio::ssl::context::tls_client) {
    tls.set_default_verify_paths();
    tls.set_verify_mode(asio::ssl::verify_peer);
  }
  asio::io_context& context;
  asio::ssl::context tls;
};

asio::awaitable<client_response> perform(std::shared_ptr<http_client::impl> self, target t,
                                         client_request req) {
  tcp::resolver resolver(self->context);
  auto [ec, endpoints] = co_await resolver.async_resolve(t.host, t.port, use);
  if (ec) co_return client_response{0, {}, "resolve " + t.host + ": " + ec.message()};
  if (!t.tls) {
    beast::tcp_stream stream(self->context);
    stream.expires_after(req.timeout);
    auto [cec, ep] = co_await stream.async_connect(endpoints, use);
    if (cec) co_return client_response{0, {}, "connect: " + cec.message()};
    auto r = co_await exchange(stream, t, req);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return r;
  }
  beast::ssl_stream<beast::tcp_stream> stream(self->context, self->tls);
  // SSL_set_tlsext_host_name() is a macro with a C cast; this is what it does.
  if (!SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                const_cast<char*>(t.host.c_str()))) {
    co_return client_response{0, {}, "cannot set TLS server name"};
  }
  stream.set_verify_callback(asio::ssl::host_name_verification(t.host));
  beast::get_lowest_layer(stream).expires_after(req.timeout);
  auto [cec, ep] = co_await beast::get_lowest_layer(stream).async_connect(endpoints, use);
  if (cec) co_return client_response{0, {}, "connect: " + cec.message()};
  auto [hec] = co_await stream.async_handshake(asio::ssl::stream_base::client, use);
  if (hec) co_return client_response{0, {}, "TLS handshake: " + hec.message()};
  co_return co_await exchange(stream, t, req);
}

http_client::http_client(io_loop& loop) : impl_(std::make_shared<impl>(loop.internals().context)) {}
http_client::~http_client() = default;

void http_client::send(client_request req, std::function<void(client_response)> done) {
  auto t = parse(req.url);
  if (!t) {
    asio::post(impl_->context, [done = std::move(done), url = req.url] {
      done(client_response{0, {}, "not an http(s) URL: " + url});
    });
    return;
  }
  asio::co_spawn(impl_->context, perform(impl_, std::move(*t), std::move(req)),
                 [done = std::move(done)](std::exception_ptr e, client_response r) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       r = client_response{0, {}, std::string("request failed: ") + ex.what()};
                     }
                   }
                   done(std::move(r));
                 });
}

}  // namespace crisisline::net
