#pragma once

// Private to net/: the Asio objects behind io_loop. Including this pulls in
// Asio, so only net/*.cpp may.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "net/io_loop.hpp"

namespace crisisline::net {

struct io_loop::impl {
  boost::asio::io_context context{1};
  boost::asio::signal_set signals{context};
};

}  // namespace crisisline::net
