#include "app/event_pipeline.hpp"

#include <chrono>

#include "adapters/phone_number.hpp"
#include "codec/event_codec.hpp"
#include "log/log.hpp"

namespace crisisline::app {

store::event_record make_record(v1::Event& e, core::timestamp now) {
  e.clear_seq();
  *e.mutable_recorded_time() = codec::to_proto_time(now);
  return store::event_record{.recorded_at_us = core::to_micros(now),
                             .kind = std::string(codec::payload_kind(e)),
                             .source = e.source(),
                             .source_event_id = e.source_event_id(),
                             .actor = codec::actor_label(e.actor()),
                             .payload = e.SerializeAsString()};
}

event_pipeline::event_pipeline(net::io_loop& loop, store::writer& writer, core::engine& engine,
                               clock_fn clock)
    : writer_(writer), engine_(engine), clock_(std::move(clock)), timer_(loop) {}

event_pipeline::~event_pipeline() {
  stop_timers();
}

store::writer::submit_status event_pipeline::submit(std::vector<v1::Event> events, done_fn done,
                                                    std::vector<store::audit_record> audits) {
  // Recorded times never go backwards, even if the wall clock does, so the
  // log's time order is its seq order and replay sees the same "now".
  const auto now = std::max(clock_(), last_recorded_);
  std::vector<store::event_record> records;
  records.reserve(events.size());
  for (auto& e : events) {
    stamp_sender_key(e);
    records.push_back(make_record(e, now));
  }
  auto shared = std::make_shared<std::vector<v1::Event>>(std::move(events));
  const auto status = writer_.submit(
      std::move(records), std::move(audits),
      [this, shared, done = std::move(done)](std::vector<store::commit_result> results) {
        std::vector<outcome> outcomes(results.size());
        for (std::size_t i = 0; i < results.size(); ++i) {
          outcomes[i].seq = results[i].seq;
          outcomes[i].duplicate = results[i].duplicate;
          if (!results[i].duplicate) {
            outcomes[i].effects = apply((*shared)[i], results[i].seq);
          } else if (const auto* refused = engine_.rejection_of(results[i].seq)) {
            // A retry is answered as the first delivery was: refused.
            outcomes[i].effects.emplace_back(*refused);
          }
        }
        done(outcomes);
        if (effects_) {
          for (const auto& o : outcomes) {
            if (!o.duplicate && !o.effects.empty()) effects_(o.seq, o.effects);
          }
        }
        schedule_timer();
      });
  if (status == store::writer::submit_status::accepted) last_recorded_ = now;
  return status;
}

// Always overwritten, so a client can never link contacts by sending a key.
void event_pipeline::stamp_sender_key(v1::Event& e) const {
  const auto key_of = [this](const std::string& from) {
    return adapters::sender_key(sender_key_secret_, adapters::classify_sender(from))
        .value_or(std::string{});
  };
  if (e.has_call()) e.mutable_call()->set_sender_key(key_of(e.call().from()));
  if (e.has_text()) e.mutable_text()->set_sender_key(key_of(e.text().from()));
  if (e.has_keyword_text()) {
    auto* t = e.mutable_keyword_text()->mutable_text();
    t->set_sender_key(key_of(t->from()));
  }
}

core::effects event_pipeline::apply(const v1::Event& e, std::uint64_t seq) {
  auto ev = codec::to_core(e);
  ev.seq = seq;
  return engine_.apply(ev);
}

recovery_stats event_pipeline::recover(store::event_reader& reader) {
  const auto started = std::chrono::steady_clock::now();
  v1::Event e;
  std::int64_t last_us = 0;
  const auto n = reader.for_each(0, [&](const store::stored_event& s) {
    e.Clear();
    if (!e.ParseFromArray(s.payload.data(), static_cast<int>(s.payload.size()))) {
      throw std::runtime_error("event " + std::to_string(s.seq) +
                               " is not a valid crisisline.v1.Event");
    }
    // Effects of replayed events were carried out before the restart.
    (void)apply(e, s.seq);
    last_us = s.recorded_at_us;
  });
  last_recorded_ = core::from_micros(last_us);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  schedule_timer();
  return {n, secs};
}

void event_pipeline::stop_timers() {
  timers_stopped_ = true;
  timer_.cancel();
}

void event_pipeline::schedule_timer() {
  if (timers_stopped_ || timer_in_flight_) return;
  const auto deadline = engine_.next_deadline();
  if (!deadline) {
    timer_.cancel();
    return;
  }
  const auto wait = std::max(core::duration::zero(), *deadline - clock_());
  timer_.arm(wait, [this] { fire_timer(); });
}

void event_pipeline::fire_timer() {
  if (timers_stopped_) return;
  v1::Event e;
  e.set_source("system");
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  e.mutable_actor()->set_id("timer");
  e.mutable_timer()->set_reason("deadline");
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  timer_in_flight_ = true;
  const auto status = submit(std::move(events), [this](const auto&) { timer_in_flight_ = false; });
  if (status != store::writer::submit_status::accepted) {
    // Backlog full: try again shortly rather than lose the deadline.
    timer_in_flight_ = false;
    if (!timers_stopped_) timer_.arm(std::chrono::milliseconds(100), [this] { fire_timer(); });
  }
}

}  // namespace crisisline::app
