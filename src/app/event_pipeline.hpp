#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "core/engine.hpp"
#include "crisisline/v1/event.pb.h"
#include "net/io_loop.hpp"
#include "store/event_reader.hpp"
#include "store/writer.hpp"

namespace crisisline::app {

struct recovery_stats {
  std::uint64_t events = 0;
  double seconds = 0;
};

// The row for `e` with its recorded time set to `now` (and seq cleared), as
// every event is committed.
[[nodiscard]] store::event_record make_record(v1::Event& e, core::timestamp now);

// The one path every event takes, whatever its source (native ingest,
// webhook, console, crew feed, timer): stamp its recorded time, commit it,
// then apply it to the engine and carry out the effects, then acknowledge.
// Recovery replays the log through the same apply step.
//
// Lives on the io thread; no member may be called from another thread.
class event_pipeline {
 public:
  using clock_fn = std::function<core::timestamp()>;
  // What happened to one submitted event: where it is in the log and, unless
  // it was a duplicate, the effects applying it produced. A duplicate of a
  // refused command carries the original command_rejected (if the engine
  // still remembers it), so a retry gets the same answer.
  struct outcome {
    std::uint64_t seq = 0;
    bool duplicate = false;
    core::effects effects;
  };
  using done_fn = std::function<void(const std::vector<outcome>&)>;
  using effects_fn = std::function<void(std::uint64_t seq, const core::effects&)>;

  event_pipeline(net::io_loop& loop, store::writer& writer, core::engine& engine, clock_fn clock);
  ~event_pipeline();

  // Stamps recorded_time (never earlier than any event before it) and
  // submits. `done` runs on the io thread after the commit, once each new
  // event has been applied; then the effects go to on_effects(). Duplicates
  // are not applied again. `audits` are appended to the audit chain in the
  // same transaction (see store::audit_record::event_index).
  [[nodiscard]] store::writer::submit_status submit(std::vector<v1::Event> events, done_fn done,
                                                    std::vector<store::audit_record> audits = {});

  // Replays every stored event through apply(). Effects of replayed events
  // are dropped: they were carried out before the restart.
  recovery_stats recover(store::event_reader& reader);

  // Where effects of live events go.
  void on_effects(effects_fn fn) { effects_ = std::move(fn); }

  // The secret of the keyed hash that links a person's contacts: submit()
  // stamps every call and text with sender_key = HMAC(secret, number) before
  // commit, so the log and the core carry the key, never need the number to
  // link. Empty (the default) stamps an empty key: nothing is linked.
  void set_sender_key_secret(std::string secret) { sender_key_secret_ = std::move(secret); }

  // Stops firing timer events (at shutdown).
  void stop_timers();

  [[nodiscard]] const core::engine& engine() const { return engine_; }

 private:
  core::effects apply(const v1::Event& e, std::uint64_t seq);
  void stamp_sender_key(v1::Event& e) const;
  void schedule_timer();
  void fire_timer();

  store::writer& writer_;
  core::engine& engine_;
  clock_fn clock_;
  effects_fn effects_;
  net::timer timer_;
  core::timestamp last_recorded_{};
  std::string sender_key_secret_;
  bool timer_in_flight_ = false;
  bool timers_stopped_ = false;
};

}  // namespace crisisline::app
