#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "app/access.hpp"
#include "core/engine.hpp"
#include "net/websocket.hpp"

// The consoles' live feed (GET /v1/console/feed, README "Live feed"): after
// each commit the engine's effects say which contacts, nurses and queue
// changed and which notices are due; the feed merges them per console and
// sends at most one frame per flush interval, rendering the current state.
//
// Every frame carries seq = the last committed event seq it reflects, so a
// console that reconnects with `since` gets, in one frame, every change it
// missed (kept in a bounded ring of changes), or a full snapshot when
// `since` is older than the ring: either way nothing is lost. Notices are
// never merged away. A console whose socket queue is full is closed by the
// transport (1013); its memory goes with it.
//
// Runs on the io thread only; the engine is read, never changed.
namespace crisisline::app {

struct feed_settings {
  std::chrono::milliseconds flush_interval{50};
  // Changes kept for resuming.
  std::size_t replay_changes = 4096;
  // Queue rows per frame (totals always cover the whole queue).
  std::size_t queue_rows = 200;
};

class console_feed {
 public:
  // Runs `fn` once after `after` (the io loop's timer; a test drives it by hand).
  using schedule_fn =
      std::function<void(std::chrono::milliseconds after, std::function<void()> fn)>;

  console_feed(const core::engine& engine, feed_settings settings,
               std::function<core::timestamp()> now, schedule_fn schedule);

  // The effects of the committed event `seq` (event_pipeline::on_effects).
  void on_commit(std::uint64_t seq, const core::effects& fx);

  // A console connected as `who`, having seen everything up to `since`.
  // Sends the first frame (snapshot or catch-up) at once.
  net::ws_callbacks subscribe(std::shared_ptr<net::ws_connection> conn, const principal& who,
                              std::optional<std::uint64_t> since);

  // Sends every console its pending update (the flush timer calls this).
  void flush();

  // Closes (1008) every console whose principal `signed_in` no longer
  // accepts: a logout, an expiry or a disabled account ends its live view too.
  void close_signed_out(const std::function<bool(const principal&)>& signed_in);

  [[nodiscard]] std::size_t subscribers() const { return subscribers_.size(); }
  [[nodiscard]] std::size_t retained_changes() const { return ring_.size(); }

 private:
  // What one committed event changed.
  struct change {
    std::uint64_t seq = 0;
    std::vector<std::uint64_t> contacts;
    std::set<std::string> nurses;
    bool queue = false;
    std::vector<core::notice> notices;
  };
  // What a console has not been sent yet.
  struct pending {
    std::set<std::uint64_t> contacts;
    bool nurse = false;
    std::set<std::string> nurses;
    bool queue = false;
    boost::json::array notices;
    [[nodiscard]] bool empty() const;
  };
  struct subscriber {
    std::shared_ptr<net::ws_connection> conn;
    principal who;
    bool sees_all = false;
    pending due;
  };

  void add(subscriber& s, const change& c) const;
  [[nodiscard]] boost::json::object snapshot(const subscriber& s) const;
  [[nodiscard]] boost::json::object update(const subscriber& s) const;
  void send(subscriber& s, const boost::json::object& frame);
  void schedule_flush();

  const core::engine& engine_;
  feed_settings settings_;
  std::function<core::timestamp()> now_;
  schedule_fn schedule_;
  std::deque<change> ring_;
  // Every change after this seq is in ring_.
  std::uint64_t horizon_ = 0;
  std::vector<std::shared_ptr<subscriber>> subscribers_;
  bool flush_scheduled_ = false;
};

}  // namespace crisisline::app
