#include "app/shift_log_projection.hpp"

#include <time.h>

#include <chrono>
#include <map>
#include <set>
#include <stdexcept>

#include "app/retention.hpp"
#include "codec/event_codec.hpp"
#include "core/triage.hpp"
#include "crisisline/v1/event.pb.h"
#include "log/log.hpp"
#include "store/tombstone.hpp"

namespace crisisline::app {

namespace {

// CPU time of the calling thread: what projecting costs, whatever else the
// machine is doing.
std::uint64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

void bind_time(store::statement& st, int index, const std::optional<core::timestamp>& t) {
  if (t) {
    st.bind(index, core::to_micros(*t));
  } else {
    st.bind_null(index);
  }
}

void bind_id(store::statement& st, int index, const std::optional<std::uint64_t>& id) {
  if (id) {
    st.bind(index, static_cast<std::int64_t>(*id));
  } else {
    st.bind_null(index);
  }
}

void bind_nurse(store::statement& st, int index, const std::optional<core::nurse_id>& n) {
  if (n) {
    st.bind(index, n->value());
  } else {
    st.bind_null(index);
  }
}

}  // namespace

struct shift_log_projection::statements {
  explicit statements(store::connection& db)
      : upsert(db,
               "INSERT INTO contact_timings(contact_id, channel, route, area, band, offered_us, "
               "answered_us, abandoned_us, abandon_threshold_us, lost, callback_requested_us, "
               "callback_made_us, closed_us, outcome_code, answered_by, shift_id, updated_seq) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?17, ?16) "
               "ON CONFLICT(contact_id) DO UPDATE SET channel = excluded.channel, "
               "route = excluded.route, area = excluded.area, band = excluded.band, "
               "offered_us = excluded.offered_us, answered_us = excluded.answered_us, "
               "abandoned_us = excluded.abandoned_us, "
               "abandon_threshold_us = excluded.abandon_threshold_us, lost = excluded.lost, "
               "callback_requested_us = excluded.callback_requested_us, "
               "callback_made_us = excluded.callback_made_us, closed_us = excluded.closed_us, "
               "outcome_code = excluded.outcome_code, answered_by = excluded.answered_by, "
               "shift_id = excluded.shift_id, updated_seq = excluded.updated_seq"),
        shift(db,
              "INSERT INTO shifts(shift_id, nurse, started_us, ended_us, handover_id, updated_seq) "
              "VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(shift_id) DO UPDATE SET "
              "ended_us = excluded.ended_us, handover_id = excluded.handover_id, "
              "updated_seq = excluded.updated_seq"),
        handover(
            db,
            "INSERT INTO handovers(handover_id, from_nurse, to_nurse, shift_id, created_us, "
            "acknowledged_by, acknowledged_us, open_conversations, pending_callbacks, "
            "high_risk, updated_seq) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
            "ON CONFLICT(handover_id) DO UPDATE SET acknowledged_by = excluded.acknowledged_by, "
            "acknowledged_us = excluded.acknowledged_us, updated_seq = excluded.updated_seq"),
        dispatch(db,
                 "INSERT INTO dispatch_timings(incident_id, assignment, unit, category, "
                 "raised_us, assigned_us, alerted_us, acknowledged_us, en_route_us, on_scene_us, "
                 "cleared_us, stood_down_us, skipped_steps, target_s, met, updated_seq) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16) "
                 "ON CONFLICT(incident_id, assignment) DO UPDATE SET unit = excluded.unit, "
                 "category = excluded.category, raised_us = excluded.raised_us, "
                 "assigned_us = excluded.assigned_us, alerted_us = excluded.alerted_us, "
                 "acknowledged_us = excluded.acknowledged_us, "
                 "en_route_us = excluded.en_route_us, on_scene_us = excluded.on_scene_us, "
                 "cleared_us = excluded.cleared_us, stood_down_us = excluded.stood_down_us, "
                 "skipped_steps = excluded.skipped_steps, target_s = excluded.target_s, "
                 "met = excluded.met, updated_seq = excluded.updated_seq"),
        progress(db, "UPDATE shift_log_progress SET projected_seq = ?1 WHERE id = 1"),
        logged(db, "SELECT payload, purged FROM events WHERE seq = ?1") {}

  store::statement upsert;
  store::statement shift;
  store::statement handover;
  store::statement dispatch;
  store::statement progress;
  store::statement logged;
};

std::optional<contact_timing_row> timing_row_of(const core::contact& c) {
  auto timing = core::kpi::timing_of(c);
  if (!timing) return std::nullopt;
  return contact_timing_row{.timing = std::move(*timing),
                            .closed = c.closed_time,
                            .outcome_code = c.outcome_code,
                            .answered_by = c.answered_by ? c.answered_by->value() : std::string{},
                            .shift_id = c.answered_shift};
}

shift_log_projection::shift_log_projection(core::settings s)
    : engine_(std::move(s)), risk_(engine_.config().lexicon) {}

shift_log_projection::~shift_log_projection() = default;

void shift_log_projection::prepare(store::connection& db) {
  if (prepared_for_ == &db) return;
  stmts_ = std::make_unique<statements>(db);
  prepared_for_ = &db;
}

void shift_log_projection::catch_up(store::connection& db) {
  const auto started = std::chrono::steady_clock::now();
  const auto cpu_started = thread_cpu_ns();
  prepare(db);
  const auto projected =
      static_cast<std::uint64_t>(db.query_int("SELECT projected_seq FROM shift_log_progress"));
  catch_up_ = {};
  std::uint64_t last = engine_.stats().last_seq;
  {
    // A projection reused by a later writer already holds what it applied.
    store::statement events(db, "SELECT seq, payload FROM events WHERE seq > ?1 ORDER BY seq");
    events.bind(1, static_cast<std::int64_t>(engine_.stats().last_seq));
    while (events.step()) {
      last = static_cast<std::uint64_t>(events.column_int(0));
      // Rows up to `projected` are already in the tables; the engine still
      // needs every event to reach the same state.
      const bool write = last > projected;
      project(events.column_blob(1), last, write);
      ++catch_up_.replayed;
      if (write) ++catch_up_.projected;
    }
  }
  if (last != projected) {
    stmts_->progress.bind(1, static_cast<std::int64_t>(last));
    (void)stmts_->progress.step();
    stmts_->progress.reset();
  }
  catch_up_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  catch_up_.cpu_seconds = static_cast<double>(thread_cpu_ns() - cpu_started) / 1e9;
  log::info("shift log up to date", {{"events_replayed", catch_up_.replayed},
                                     {"events_projected", catch_up_.projected},
                                     {"seconds", catch_up_.seconds},
                                     {"cpu_seconds", catch_up_.cpu_seconds}});
}

void shift_log_projection::apply(store::connection& db, std::uint64_t seq,
                                 const store::event_record& r) {
  const auto started = thread_cpu_ns();
  prepare(db);
  project(r.payload, seq, true);
  stmts_->progress.bind(1, static_cast<std::int64_t>(seq));
  (void)stmts_->progress.step();
  stmts_->progress.reset();
  events_.fetch_add(1, std::memory_order_relaxed);
  cpu_ns_.fetch_add(thread_cpu_ns() - started, std::memory_order_relaxed);
}

void shift_log_projection::tombstone_purged(const core::retention_purge& purge,
                                            const std::map<std::uint64_t, std::string>& unpurged) {
  std::map<std::string, std::string> number_keys;
  std::set<std::uint64_t> seqs;
  std::uint64_t contacts = 0;
  for (const core::purged_contact& pc : purge.contacts) {
    const auto was = unpurged.find(pc.contact_id);
    const core::contact* c = engine_.find_contact(core::contact_id{pc.contact_id});
    if (was == unpurged.end() || !c || !c->purged) continue;
    ++contacts;
    number_keys[was->second] = pc.from_key;
    seqs.insert(c->personal_events.begin(), c->personal_events.end());
  }
  std::uint64_t rewritten = 0;
  v1::Event e;
  for (const std::uint64_t seq : seqs) {
    auto& st = stmts_->logged;
    st.bind(1, static_cast<std::int64_t>(seq));
    if (!st.step()) throw std::runtime_error("purged event " + std::to_string(seq) + " is missing");
    const bool already = st.column_int(1) != 0;
    const std::string_view payload = st.column_blob(0);
    const bool parsed = e.ParseFromArray(payload.data(), static_cast<int>(payload.size()));
    st.reset();
    if (!parsed) throw std::runtime_error("event " + std::to_string(seq) + " does not decode");
    if (already || !redact_event(e, number_keys, risk_)) continue;
    store::tombstone(*prepared_for_, seq, e.SerializeAsString());
    ++rewritten;
  }
  purge_ = {contacts, rewritten};
  log::info(
      "retention purge",
      {{"contacts", contacts}, {"events_rewritten", rewritten}, {"seq", engine_.stats().last_seq}});
}

void shift_log_projection::project(std::string_view payload, std::uint64_t seq, bool write) {
  v1::Event e;
  if (!e.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    throw std::runtime_error("event " + std::to_string(seq) +
                             " is not a valid crisisline.v1.Event");
  }
  core::event ev = codec::to_core(e);
  ev.seq = seq;
  // The numbers of the listed contacts not purged yet, before the engine
  // replaces them with their keys.
  std::map<std::uint64_t, std::string> unpurged;
  if (const auto* purge = std::get_if<core::retention_purge>(&ev.payload)) {
    for (const core::purged_contact& pc : purge->contacts) {
      const core::contact* c = engine_.find_contact(core::contact_id{pc.contact_id});
      if (c && !c->purged) unpurged.emplace(pc.contact_id, c->from);
    }
  }
  (void)engine_.apply(ev);
  if (const auto* purge = std::get_if<core::retention_purge>(&ev.payload)) {
    // Tombstones were committed with the purge: catch-up over it rewrites nothing.
    if (write) tombstone_purged(*purge, unpurged);
  }

  if (write) {
    store_shifts_and_handovers(seq);
    store_dispatch_timings(seq);
  }
  // Only the contacts this event may have changed; each row is a function of
  // its contact alone, so the others' rows still hold.
  for (const core::contact_id id : engine_.touched()) {
    const core::contact& c = *engine_.find_contact(id);
    auto row = timing_row_of(c);
    if (!row) continue;
    const auto cached = rows_.find(id.value());
    if (cached == rows_.end() || cached->second != *row) {
      if (write) store_row(*row, seq);
      if (c.state == core::contact_state::closed) {
        if (cached != rows_.end()) rows_.erase(cached);
      } else {
        rows_.insert_or_assign(id.value(), std::move(*row));
      }
    } else if (c.state == core::contact_state::closed) {
      rows_.erase(cached);
    }
  }
}

void shift_log_projection::store_row(const contact_timing_row& row, std::uint64_t seq) {
  auto& st = stmts_->upsert;
  const auto& t = row.timing;
  st.bind(1, static_cast<std::int64_t>(t.contact.value()));
  st.bind(2, core::to_string(t.kind));
  st.bind(3, core::kpi::route_name(t.route));
  st.bind(4, t.area);
  st.bind(5, core::triage_code(t.band));
  bind_time(st, 6, t.offered);
  bind_time(st, 7, t.answered);
  bind_time(st, 8, t.abandoned);
  st.bind(
      9,
      static_cast<std::int64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(core::kpi::misdial_limit).count()));
  st.bind(10, std::int64_t{t.lost ? 1 : 0});
  bind_time(st, 11, t.callback_requested);
  bind_time(st, 12, t.callback_made);
  bind_time(st, 13, row.closed);
  st.bind(14, row.outcome_code);
  if (row.answered_by.empty()) {
    st.bind_null(15);
  } else {
    st.bind(15, row.answered_by);
  }
  st.bind(16, static_cast<std::int64_t>(seq));
  bind_id(st, 17, row.shift_id);
  (void)st.step();
  st.reset();
}

void shift_log_projection::store_shifts_and_handovers(std::uint64_t seq) {
  for (const std::uint64_t id : engine_.touched_shifts()) {
    const core::shift_record& s = *engine_.find_shift(id);
    auto& st = stmts_->shift;
    st.bind(1, static_cast<std::int64_t>(s.id));
    st.bind(2, s.nurse.value());
    st.bind(3, core::to_micros(s.started));
    bind_time(st, 4, s.ended);
    bind_id(st, 5, s.handover_id);
    st.bind(6, static_cast<std::int64_t>(seq));
    (void)st.step();
    st.reset();
  }
  for (const std::uint64_t id : engine_.touched_handovers()) {
    const core::handover& h = *engine_.find_handover(id);
    auto& st = stmts_->handover;
    st.bind(1, static_cast<std::int64_t>(h.id));
    st.bind(2, h.from.value());
    bind_nurse(st, 3, h.to);
    bind_id(st, 4, h.shift_id);
    st.bind(5, core::to_micros(h.created));
    bind_nurse(st, 6, h.acknowledged_by);
    bind_time(st, 7, h.acknowledged_at);
    st.bind(8, static_cast<std::int64_t>(h.open_conversations.size()));
    st.bind(9, static_cast<std::int64_t>(h.pending_callbacks.size()));
    st.bind(10, static_cast<std::int64_t>(h.high_risk.size()));
    st.bind(11, static_cast<std::int64_t>(seq));
    (void)st.step();
    st.reset();
  }
}

void shift_log_projection::store_dispatch_timings(std::uint64_t seq) {
  const std::set<core::incident_id> incidents(engine_.touched_incidents().begin(),
                                              engine_.touched_incidents().end());
  const auto& board = engine_.board();
  for (const core::incident_id id : incidents) {
    const auto* inc = board.find_incident(id);
    if (!inc) continue;
    for (const auto& t : core::kpi::dispatch_timings_of(*inc, board.config().targets)) {
      auto& st = stmts_->dispatch;
      st.bind(1, static_cast<std::int64_t>(t.incident.value()));
      st.bind(2, static_cast<std::int64_t>(t.assignment));
      st.bind(3, t.unit.value());
      st.bind(4, core::triage_code(t.category));
      st.bind(5, core::to_micros(t.raised));
      st.bind(6, core::to_micros(t.assigned));
      bind_time(st, 7, t.alerted);
      bind_time(st, 8, t.acknowledged);
      bind_time(st, 9, t.en_route);
      bind_time(st, 10, t.on_scene);
      bind_time(st, 11, t.cleared);
      bind_time(st, 12, t.stood_down);
      std::string skipped;
      for (const auto step : t.skipped) {
        if (!skipped.empty()) skipped += ',';
        skipped += core::dispatch::state_name(step);
      }
      st.bind(13, skipped);
      if (t.target) {
        st.bind(14, static_cast<std::int64_t>(
                        std::chrono::duration_cast<std::chrono::seconds>(*t.target).count()));
      } else {
        st.bind_null(14);
      }
      if (t.met) {
        st.bind(15, std::int64_t{*t.met ? 1 : 0});
      } else {
        st.bind_null(15);
      }
      st.bind(16, static_cast<std::int64_t>(seq));
      (void)st.step();
      st.reset();
    }
  }
}

}  // namespace crisisline::app
