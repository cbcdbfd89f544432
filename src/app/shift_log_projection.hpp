#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/engine.hpp"
#include "core/kpi.hpp"
#include "core/risk.hpp"
#include "core/settings.hpp"
#include "store/projection.hpp"
#include "store/writer.hpp"

// The shift-log tables (contact_timings, shifts, handovers, dispatch_timings; see
// store/schema.cpp), derived from the event log inside the same transactions as the events.
//
// The projection runs its own core::engine from the server's settings: the
// engine is deterministic, so it reaches the decisions the server's engine
// reaches after the commit, and the rows are exactly what a replay of the log
// gives (core::kpi::timing_of for every contact).
//
// Retention purges are carried out here too: when a RetentionPurge event is
// committed, the events that carried the purged contacts' numbers and bodies
// are rewritten (store::tombstone) in the same transaction.
//
// Writer thread only (see store::projection), apart from the atomic counters.
namespace crisisline::app {

// One contact_timings row.
struct contact_timing_row {
  core::kpi::timing_record timing;
  std::optional<core::timestamp> closed;
  std::string outcome_code;
  std::string answered_by;
  std::optional<std::uint64_t> shift_id;

  friend bool operator==(const contact_timing_row&, const contact_timing_row&) = default;
};

// The row of a contact as a replay of the log up to now gives it.
[[nodiscard]] std::optional<contact_timing_row> timing_row_of(const core::contact& c);

class shift_log_projection final : public store::projection {
 public:
  explicit shift_log_projection(core::settings s);
  ~shift_log_projection() override;

  void catch_up(store::connection& db) override;
  void apply(store::connection& db, std::uint64_t seq, const store::event_record& r) override;

  // Live events projected (not catch-up) and the writer thread's CPU time
  // spent on them, for the cost per event.
  [[nodiscard]] std::uint64_t events_projected() const { return events_.load(); }
  [[nodiscard]] double cpu_seconds_projecting() const {
    return static_cast<double>(cpu_ns_.load()) / 1e9;
  }
  // Events replayed and rows written by catch_up.
  struct catch_up_stats {
    std::uint64_t replayed = 0;
    std::uint64_t projected = 0;
    double seconds = 0;
    double cpu_seconds = 0;
  };
  [[nodiscard]] const catch_up_stats& last_catch_up() const { return catch_up_; }
  // What the last retention purge projected did.
  struct purge_stats {
    std::uint64_t contacts = 0;
    std::uint64_t events_rewritten = 0;
  };
  [[nodiscard]] const purge_stats& last_purge() const { return purge_; }

 private:
  struct statements;

  // Applies the event to the engine and, if `write`, stores the rows it changed.
  void project(std::string_view payload, std::uint64_t seq, bool write);
  void prepare(store::connection& db);
  void store_row(const contact_timing_row& row, std::uint64_t seq);
  // The shifts and handovers rows the last event started, ended or acknowledged.
  void store_shifts_and_handovers(std::uint64_t seq);
  // The dispatch_timings rows of the incidents the last event touched.
  void store_dispatch_timings(std::uint64_t seq);
  // Rewrites the logged events of the contacts `purge` just purged; `unpurged`
  // holds their numbers from before the engine replaced them.
  void tombstone_purged(const core::retention_purge& purge,
                        const std::map<std::uint64_t, std::string>& unpurged);

  core::engine engine_;
  core::risk_detector risk_;
  // The rows of open contacts as last written, so an event that leaves a row
  // as it was writes nothing. Closed contacts drop out (a late change to one,
  // such as an outcome chosen after the call ended, is simply written).
  std::map<std::uint64_t, contact_timing_row> rows_;
  std::unique_ptr<statements> stmts_;
  store::connection* prepared_for_ = nullptr;
  catch_up_stats catch_up_;
  purge_stats purge_;
  std::atomic<std::uint64_t> events_{0};
  std::atomic<std::uint64_t> cpu_ns_{0};
};

}  // namespace crisisline::app
