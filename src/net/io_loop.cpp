#include "net/io_loop.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>

#include "net/io_loop_impl.hpp"

namespace crisisline::net {

io_loop::io_loop() : impl_(std::make_unique<impl>()) {}
io_loop::~io_loop() = default;

void io_loop::run() {
  impl_->context.run();
}

void io_loop::post(std::function<void()> fn) {
  boost::asio::post(impl_->context, std::move(fn));
}

void io_loop::on_shutdown_signal(std::function<void(int)> fn) {
  impl_->signals.add(SIGINT);
  impl_->signals.add(SIGTERM);
  impl_->signals.async_wait([fn = std::move(fn)](const boost::system::error_code& ec, int sig) {
    if (!ec) fn(sig);
  });
}

void io_loop::stop_signals() {
  boost::system::error_code ignored;
  impl_->signals.cancel(ignored);
  impl_->signals.clear(ignored);
}

struct timer::impl {
  explicit impl(boost::asio::io_context& c) : t(c) {}
  boost::asio::steady_timer t;
};

timer::timer(io_loop& loop) : impl_(std::make_unique<impl>(loop.internals().context)) {}
timer::~timer() = default;

void timer::arm(std::chrono::steady_clock::duration after, std::function<void()> fn) {
  impl_->t.expires_after(after);
  impl_->t.async_wait([fn = std::move(fn)](const boost::system::error_code& ec) {
    if (!ec) fn();
  });
}

void timer::cancel() {
  impl_->t.cancel();
}

}  // namespace crisisline::net
