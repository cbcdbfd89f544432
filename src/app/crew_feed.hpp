#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "app/access.hpp"
#include "app/event_pipeline.hpp"
#include "core/engine.hpp"
#include "crisisline/v1/crew_feed.pb.h"
#include "net/websocket.hpp"

// The crew feed (WebSocket /v1/crew/feed, README "The crew feed"): alerts out
// to the crews' devices, acknowledgements and statuses back in as events.
//
// Alerts and their ids come from the dispatch board's state, which replay
// rebuilds, so after a reconnect or a server restart the crew gets every
// alert it has not acknowledged, once per connection. An ack or status is
// committed before its result frame goes out; sending an alert records
// alert_sent. Plain code over net::ws_connection: tests drive it with a fake
// connection and a fake submit.
//
// io thread only, like the engine it reads.
namespace crisisline::app {

inline constexpr const char* crew_feed_proto = "crisisline.v1.proto";
inline constexpr const char* crew_feed_json = "crisisline.v1.json";

class crew_feed {
 public:
  // event_pipeline::submit, or a test's stand-in.
  using submit_fn =
      std::function<store::writer::submit_status(std::vector<v1::Event>, event_pipeline::done_fn)>;

  crew_feed(const core::engine& engine, submit_fn submit);
  ~crew_feed();
  crew_feed(const crew_feed&) = delete;
  crew_feed& operator=(const crew_feed&) = delete;

  // The upgrade decision for an authenticated crew member: accepted with the
  // first subprotocol of ours the client offered; 400 when it offered none.
  [[nodiscard]] net::ws_decision accept(const principal& who, const net::http_request& req);

  // A connection accepted outside accept() (tests): starts the session.
  [[nodiscard]] net::ws_callbacks open(const principal& who,
                                       std::shared_ptr<net::ws_connection> conn);

  // Effects of committed events: crew alerts and stand-downs go to the
  // unit's connected devices.
  void on_effects(const core::effects& fx);

  // Closes (1008) every device whose principal `signed_in` no longer accepts.
  void close_signed_out(const std::function<bool(const principal&)>& signed_in);

  [[nodiscard]] std::size_t connections() const { return sessions_.size(); }

 private:
  class session;
  friend class session;

  // Records that the alert reached a device (alert_sent), once per alert.
  void record_alert_sent(const core::dispatch::crew_alert& a);

  const core::engine& engine_;
  submit_fn submit_;
  std::map<const session*, std::shared_ptr<session>> sessions_;
  // Assignments (incident, unit) whose alert_sent is submitted and not yet
  // committed, so a second device, a resume or a re-alert does not submit
  // another meanwhile (it would only be refused). Once committed the
  // assignment is past `assigned` and leaves the set (held weakly by the
  // commit callback, which may outlive the feed).
  using assignment_key = std::pair<std::uint64_t, std::string>;
  std::shared_ptr<std::set<assignment_key>> alert_sent_in_flight_ =
      std::make_shared<std::set<assignment_key>>();
};

// The CrewAlert frame of a board alert (no phone numbers or names of the
// people calling: the crew gets the count of linked contacts).
[[nodiscard]] v1::CrewAlert to_frame(const core::dispatch::crew_alert& a);

}  // namespace crisisline::app
