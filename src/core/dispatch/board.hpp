#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "core/dispatch/commands.hpp"
#include "core/dispatch/effects.hpp"
#include "core/dispatch/geo.hpp"
#include "core/dispatch/incident.hpp"
#include "core/dispatch/recommendation.hpp"
#include "core/dispatch/settings.hpp"
#include "core/dispatch/unit.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace crisisline::core::dispatch {

// Response cars and the incidents they are sent to (DOMAIN.md §5), as a pure
// state machine: commands in, effects out, no clock and no I/O.
//
// Time: every call takes `now` (the committed event's recorded time). apply()
// refuses a `now` earlier than the latest one it accepted, and a unit status
// earlier than the unit's last. Timeouts and escalations happen only in
// tick(now): call it whenever next_deadline() <= now, and before apply() for
// the same instant if notices should come out in time order. Replaying the same
// apply()/tick() calls gives the same state (digest()) and the same effects.
//
// Not thread-safe: owned by the io thread, like the engine. References from the
// views are valid until the next apply() or tick().
class dispatch_board {
 public:
  // Throws std::invalid_argument with validate()'s problems if `s` is not
  // usable: a configuration bug the app must not start with. `eta` defaults to
  // straight_line_eta at s.default_speed_kmh.
  explicit dispatch_board(dispatch_settings s, std::shared_ptr<const eta_estimator> eta = nullptr);

  // Carries out one command for `by`. A rejected command changes nothing and
  // has no effects; its reason is plain language for the person who asked.
  [[nodiscard]] result apply(const command& c, const actor_info& by, timestamp now);

  // Ack timeouts (and reminders) and escalations of waiting incidents that fell
  // due by `now`, in the order they fell due.
  [[nodiscard]] effect_list tick(timestamp now);

  // Earliest time at which tick() would produce something.
  [[nodiscard]] std::optional<timestamp> next_deadline() const;

  // Every configured unit, by id.
  [[nodiscard]] const std::map<unit_id, unit>& units() const { return units_; }
  [[nodiscard]] const unit* find_unit(const unit_id& id) const;
  // Every incident ever raised, by id (ids are 1, 2, 3... in raising order).
  [[nodiscard]] const std::map<incident_id, incident>& incidents() const { return incidents_; }
  [[nodiscard]] const incident* find_incident(incident_id id) const;
  // What recommend would answer at `now`; nullopt for an unknown incident.
  [[nodiscard]] std::optional<recommendation> recommend_for(incident_id id, timestamp now) const;

  [[nodiscard]] const dispatch_settings& config() const { return settings_; }

  // The current alert of every live assignment of `u` not yet acknowledged,
  // oldest first: what the crew feed (re)sends when the crew connects.
  [[nodiscard]] std::vector<crew_alert> unacknowledged_alerts(const unit_id& u) const;
  // The alert of the job `u` is working, once acknowledged: for a device that
  // lost its state and signs on again. nullopt when there is none.
  [[nodiscard]] std::optional<crew_alert> acknowledged_job(const unit_id& u) const;
  // Stand-downs of `u` numbered above `after` since it last signed on, oldest
  // first: what a reconnecting crew missed.
  [[nodiscard]] std::vector<crew_stand_down> stand_downs_since(const unit_id& u,
                                                               std::uint64_t after) const;
  // The number of `u`'s latest stand-down since it signed on; 0 for none.
  [[nodiscard]] std::uint64_t latest_stand_down(const unit_id& u) const;
  // The ETA of `u` to `inc` from where it is now (last report, else base);
  // nullopt when either is unknown or the estimator has no answer.
  [[nodiscard]] std::optional<duration> eta_of(const unit_id& u, incident_id inc) const;

  // The whole state as canonical text, for replay-equivalence tests and
  // debugging. Equal states give equal dumps.
  [[nodiscard]] std::string dump() const;
  // 64-bit FNV-1a of dump().
  [[nodiscard]] std::uint64_t digest() const;

 private:
  struct context;

  result handle(const raise_incident& c, context& ctx);
  result handle(const link_contact& c, context& ctx);
  result handle(const set_monitored& c, context& ctx);
  result handle(const queue_incident& c, context& ctx);
  result handle(const recommend& c, context& ctx);
  result handle(const assign_unit& c, context& ctx);
  result handle(const alert_sent& c, context& ctx);
  result handle(const acknowledge& c, context& ctx);
  result handle(const confirm_by_radio& c, context& ctx);
  result handle(const re_alert& c, context& ctx);
  result handle(const crew_status_update& c, context& ctx);
  result handle(const stand_down& c, context& ctx);
  result handle(const end_incident& c, context& ctx);
  result handle(const reopen& c, context& ctx);
  result handle(const crew_sign_on& c, context& ctx);
  result handle(const crew_sign_off& c, context& ctx);
  result handle(const crew_location& c, context& ctx);

  // Checks shared by assign_unit and a stand-down's replacement; empty when ok.
  [[nodiscard]] std::optional<result> check_assignable(const incident& inc, const unit& u,
                                                       bool force, const context& ctx) const;
  void assign(incident& inc, unit& u, const std::string& note, bool at_front,
              std::optional<incident_id> diverted_from, std::optional<unit_id> replaces,
              context& ctx);
  result acknowledged(incident_id id, const unit_id& uid, bool by_radio, const std::string& note,
                      context& ctx);
  void progress(incident& inc, assignment& a, unit& u, unit_state to, const std::string& note,
                context& ctx);
  // Ends the unit's current (or stacked) assignment to `inc` and, when it was
  // the current one, moves the unit to its next job (if `advance`) or to
  // `idle_state` when nothing is left.
  void release(incident& inc, assignment& a, unit& u, unit_state idle_state, bool advance,
               context& ctx);
  void move(incident& inc, incident_state to, const std::string& note, context& ctx);
  // Records a state change (or the raising, raised -> raised) in the
  // incident's history and as an effect.
  void record_transition(incident& inc, incident_state from, incident_state to,
                         const std::string& note, context& ctx);
  // Puts an incident that may proceed with a unit in new or queued.
  void classify_waiting(incident& inc, context& ctx);
  void tell_nurses(const incident& inc, const unit_id& u, std::string text,
                   std::optional<duration> eta, context& ctx) const;
  void notify(std::string kind, incident_id inc, unit_id u, std::string text, context& ctx) const;
  void offer_to_queued(const unit& u, std::optional<incident_id> except, context& ctx) const;
  void record_unit(const unit& u, std::optional<incident_id> inc, unit_state from, unit_state to,
                   std::optional<timestamp> at, std::string note, context& ctx) const;
  [[nodiscard]] crew_alert make_alert(const incident& inc, const assignment& a, const unit& u,
                                      bool repeat, const std::string& note) const;
  [[nodiscard]] std::optional<duration> eta_to(const unit& u, const incident& inc) const;
  [[nodiscard]] std::optional<timestamp> escalation_time(const incident& inc,
                                                         std::size_t level) const;

  [[nodiscard]] unit* unit_ptr(const unit_id& id);
  [[nodiscard]] incident* incident_ptr(incident_id id);

  dispatch_settings settings_;
  std::shared_ptr<const eta_estimator> eta_;
  std::map<unit_id, unit> units_;
  std::map<incident_id, incident> incidents_;
  // Incidents not ended: the only ones with timers.
  std::set<incident_id> open_;
  std::uint64_t next_incident_ = 1;
  std::uint64_t next_alert_ = 1;
  std::uint64_t next_stand_down_ = 1;
  // Each signed-on unit's stand-downs this shift (emptied at sign-on and
  // sign-off), so a crew that was offline when one happened still hears of it.
  std::map<unit_id, std::vector<crew_stand_down>> stand_downs_;
  // Latest `now` accepted; apply() refuses earlier ones.
  timestamp now_{};
};

}  // namespace crisisline::core::dispatch
