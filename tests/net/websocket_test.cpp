#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "net/http_server.hpp"
#include "net/io_loop.hpp"
#include "net/router.hpp"
#include "ws_client.hpp"

using namespace crisisline;
using crisisline::test::ws_client;

namespace {

// An in-process server on an ephemeral loopback port with its io loop on a
// background thread; the routes are set up by the test before it starts.
struct server_fixture {
  net::io_loop loop;
  net::router routes;
  std::unique_ptr<net::http_server> server;
  std::thread thread;

  void start(net::ws_options ws = {}) {
    net::http_server_options opts;
    opts.websocket = ws;
    server = std::make_unique<net::http_server>(loop, "127.0.0.1", 0, opts, routes);
    thread = std::thread([this] { loop.run(); });
  }
  [[nodiscard]] std::uint16_t port() const { return server->port(); }
  // Runs `fn` on the io thread and waits for it.
  template <class Fn>
  auto on_io(Fn fn) {
    std::promise<decltype(fn())> p;
    loop.post([&] {
      if constexpr (std::is_void_v<decltype(fn())>) {
        fn();
        p.set_value();
      } else {
        p.set_value(fn());
      }
    });
    return p.get_future().get();
  }
  ~server_fixture() {
    if (!server) return;
    on_io([this] {
      server->stop_accepting();
      server->close_connections();
    });
    thread.join();
  }
};

struct close_record {
  std::atomic<int> calls{0};
  std::atomic<int> code{0};
};

// Echoes every message back with its type; counts closes.
net::ws_upgrade_handler echo(std::shared_ptr<close_record> closes) {
  return [closes](const net::http_request& req) -> net::ws_decision {
    net::ws_accept a;
    for (const auto& p : net::offered_subprotocols(req)) {
      if (p == "echo.v1") a.subprotocol = p;
    }
    a.on_open = [closes](std::shared_ptr<net::ws_connection> c) {
      net::ws_callbacks cb;
      std::weak_ptr<net::ws_connection> weak = c;
      cb.on_message = [weak](std::string payload, bool binary) {
        if (auto conn = weak.lock()) conn->send(std::move(payload), binary);
      };
      cb.on_close = [closes](std::uint16_t code, const std::string&) {
        closes->code = code;
        ++closes->calls;
      };
      return cb;
    };
    return a;
  };
}

}  // namespace

TEST_CASE("a WebSocket route echoes text and binary messages with the chosen subprotocol") {
  server_fixture f;
  auto closes = std::make_shared<close_record>();
  f.routes.add_websocket("/echo", echo(closes));
  f.start();

  ws_client c(f.port(), "/echo?since=3", {"other", "echo.v1"});
  REQUIRE(c.is_open());
  CHECK(c.status() == 101);
  CHECK(c.subprotocol() == "echo.v1");
  c.send("hello");
  auto r = c.read();
  REQUIRE(std::holds_alternative<ws_client::message>(r));
  CHECK(std::get<ws_client::message>(r).payload == "hello");
  CHECK_FALSE(std::get<ws_client::message>(r).binary);
  c.send(std::string("\0\1\2", 3), true);
  r = c.read();
  REQUIRE(std::holds_alternative<ws_client::message>(r));
  CHECK(std::get<ws_client::message>(r).payload == std::string("\0\1\2", 3));
  CHECK(std::get<ws_client::message>(r).binary);
  c.close();
  for (int i = 0; i < 200 && closes->calls == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(closes->calls == 1);
  CHECK(closes->code == 1000);
}

TEST_CASE("an upgrade the route refuses gets its HTTP answer, and unknown paths 404") {
  server_fixture f;
  f.routes.add_websocket("/private", [](const net::http_request& req) -> net::ws_decision {
    if (req.query_param("access_token") != "good") {
      return net::http_response::error(401, "unauthorized", "a valid token is required");
    }
    return net::ws_accept{"",
                          [](std::shared_ptr<net::ws_connection>) { return net::ws_callbacks{}; }};
  });
  f.start();

  ws_client refused(f.port(), "/private?access_token=bad");
  CHECK_FALSE(refused.is_open());
  CHECK(refused.status() == 401);
  CHECK(refused.body().find("a valid token is required") != std::string::npos);

  ws_client unknown(f.port(), "/nowhere");
  CHECK_FALSE(unknown.is_open());
  CHECK(unknown.status() == 404);

  ws_client ok(f.port(), "/private?access_token=good");
  CHECK(ok.is_open());
}

TEST_CASE("a subprotocol the client did not offer is refused with 400") {
  server_fixture f;
  f.routes.add_websocket("/p", [](const net::http_request&) -> net::ws_decision {
    return net::ws_accept{"crisisline.v1.json",
                          [](std::shared_ptr<net::ws_connection>) { return net::ws_callbacks{}; }};
  });
  f.start();
  ws_client c(f.port(), "/p", {"crisisline.v1.proto"});
  CHECK_FALSE(c.is_open());
  CHECK(c.status() == 400);
  CHECK(c.body().find("crisisline.v1.json") != std::string::npos);
}

TEST_CASE("a message over max_message_bytes closes the connection with 1009") {
  server_fixture f;
  auto closes = std::make_shared<close_record>();
  f.routes.add_websocket("/echo", echo(closes));
  net::ws_options ws;
  ws.max_message_bytes = 1024;
  f.start(ws);
  ws_client c(f.port(), "/echo");
  REQUIRE(c.is_open());
  c.send(std::string(2048, 'x'));
  auto r = c.read();
  REQUIRE(std::holds_alternative<ws_client::closed>(r));
  CHECK(std::get<ws_client::closed>(r).code == 1009);
}

TEST_CASE("a consumer that stops reading is closed with 1013 and its queue stays bounded") {
  server_fixture f;
  auto closes = std::make_shared<close_record>();
  auto max_queued = std::make_shared<std::atomic<std::size_t>>(0);
  auto refused_sends = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<net::ws_connection> held;
  f.routes.add_websocket("/flood", [&](const net::http_request&) -> net::ws_decision {
    return net::ws_accept{"", [&, closes](std::shared_ptr<net::ws_connection> c) {
                            held = c;
                            net::ws_callbacks cb;
                            cb.on_close = [closes](std::uint16_t code, const std::string&) {
                              closes->code = code;
                              ++closes->calls;
                            };
                            return cb;
                          }};
  });
  net::ws_options ws;
  ws.max_queued_bytes = 256 << 10;
  f.start(ws);

  ws_client c(f.port(), "/flood");
  REQUIRE(c.is_open());
  // The server's side opens once its 101 is written, a moment after ours.
  for (int i = 0; i < 500 && !f.on_io([&] { return held != nullptr; }); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(f.on_io([&] { return held != nullptr; }));
  // The server sends 64 KiB every millisecond; the client reads nothing.
  const std::string chunk(64 << 10, 'x');
  for (int i = 0; i < 5000 && closes->calls == 0; ++i) {
    f.on_io([&] {
      if (!held->send(chunk, true)) ++*refused_sends;
      *max_queued = std::max<std::size_t>(*max_queued, held->queued_bytes());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (*refused_sends > 0) break;
  }
  CHECK(*refused_sends > 0);
  CHECK(*max_queued <= ws.max_queued_bytes);
  CHECK_FALSE(f.on_io([&] { return held->is_open(); }));
  // Draining what was already on the wire ends in the close.
  std::optional<ws_client::closed> end;
  for (int i = 0; i < 100000 && !end; ++i) {
    auto r = c.read(std::chrono::seconds(10));
    if (auto* cl = std::get_if<ws_client::closed>(&r)) end = *cl;
    if (std::holds_alternative<ws_client::timed_out>(r)) break;
  }
  REQUIRE(end);
  for (int i = 0; i < 600 && closes->calls == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(closes->calls == 1);
  CHECK(closes->code == 1013);
  f.on_io([&] { held.reset(); });
}
