#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/contact.hpp"
#include "core/dispatch/board.hpp"
#include "core/effect.hpp"
#include "core/event.hpp"
#include "core/handover.hpp"
#include "core/risk.hpp"
#include "core/roster.hpp"
#include "core/settings.hpp"
#include "core/sms_outbox.hpp"
#include "core/urgency_queue.hpp"
#include "core/views.hpp"

namespace crisisline::core {

// Counts of applied events, by payload kind, for /metrics and the recovery log.
struct engine_stats {
  std::uint64_t applied = 0;
  std::uint64_t last_seq = 0;
  timestamp last_recorded{};
  std::array<std::uint64_t, std::variant_size_v<event_payload>> by_kind{};
};

// The whole in-memory state of the service, rebuilt by applying the log in
// order. Live traffic and recovery call the same apply().
//
// Every apply(e) first handles whatever fell due by e.recorded_time (offer
// timeouts, wrap-up ends, due callbacks, escalations, eligibility widening),
// in the order it fell due; then the event itself; then offers waiting
// contacts to free nurses. So a late timer_fired never lets an expired offer
// be accepted, and replaying the log reproduces every decision.
//
// Offers: the best-ranked waiting contact goes to the eligible nurse free the
// longest (fewest texts first); area and seniority restrictions lift after the
// queue_settings waits, and emergency bands ignore them and also interrupt
// wrap-up. A nurse holds at most one offer at a time.
//
// Not thread-safe: owned by the io thread (or by recovery before serving).
// Views and find_* results are valid until the next apply().
class engine {
 public:
  engine();
  // `s` should pass validate(s); the app refuses to start otherwise.
  explicit engine(settings s);

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  engine(engine&&) = default;
  engine& operator=(engine&&) = default;
  ~engine() = default;

  // Applies one committed event. Events must come in strictly increasing seq
  // order; time is the event's recorded_time. Never throws for bad input: a
  // command that cannot be carried out yields command_rejected and changes nothing.
  [[nodiscard]] effects apply(const event& e);

  // Earliest time at which a timer_fired event would change something.
  [[nodiscard]] std::optional<timestamp> next_deadline() const;

  [[nodiscard]] const engine_stats& stats() const { return stats_; }
  [[nodiscard]] const settings& config() const { return settings_; }

  // GET /v1/queue: waiting contacts in rank order as of `now` (normally the
  // current time; it should not be earlier than the last applied event).
  [[nodiscard]] std::vector<queue_entry_view> queue_snapshot(timestamp now) const;
  [[nodiscard]] std::size_t waiting_count() const { return queue_.size(); }

  // Signed-on nurses, by id.
  [[nodiscard]] std::vector<nurse_view> nurses() const;
  [[nodiscard]] std::optional<nurse_view> find_nurse(const nurse_id& id) const;

  // A contact's detail: band, risk rules fired, triage history, notes.
  [[nodiscard]] const contact* find_contact(contact_id id) const;
  // The contact of a provider call id, if the call is known.
  [[nodiscard]] const contact* find_call(const std::string& call_id) const;
  // Every contact, in id (arrival) order.
  [[nodiscard]] const std::map<std::uint64_t, contact>& contacts() const { return contacts_; }
  // Outbound texts and opt-outs.
  [[nodiscard]] const sms_outbox& outbox() const { return outbox_; }
  // Every contact of the person with this sender key (see contact::sender_key),
  // in id order; empty for an empty key.
  [[nodiscard]] std::vector<contact_id> contacts_of_sender(const std::string& sender_key) const;

  // Handover records by id (the end_shift seq), and one by id.
  [[nodiscard]] const std::map<std::uint64_t, handover>& handovers() const { return handovers_; }
  [[nodiscard]] const handover* find_handover(std::uint64_t id) const;

  // Closed contacts whose number and message bodies a retention purge with
  // this cutoff would remove, in id order: closed before `before`, never sent
  // an opt keyword, every outbound text finished, and sharing no event with a
  // contact that stays. Deterministic, so live apply and replay agree.
  [[nodiscard]] std::vector<contact_id> purgeable(timestamp before) const;

  // Why the command logged at `seq` was refused, if it was among the last
  // remembered_rejections refused: a retried delivery of it (same source
  // and id, so the log answers "duplicate") gets the same answer as the first.
  [[nodiscard]] const command_rejected* rejection_of(std::uint64_t seq) const;
  static constexpr std::size_t remembered_rejections = 10'000;

  // Contacts whose timings, band, area, nurse or outcome may have changed in
  // the last apply() (and contacts it created), in no particular order,
  // possibly repeated: what the shift-log projection re-reads instead of
  // every contact.
  [[nodiscard]] const std::vector<contact_id>& touched() const { return touched_; }
  // Shifts started or ended, and handovers created or acknowledged, by the
  // last apply() (ids), for the shift log.
  [[nodiscard]] const std::vector<std::uint64_t>& touched_shifts() const { return touched_shifts_; }
  [[nodiscard]] const std::vector<std::uint64_t>& touched_handovers() const {
    return touched_handovers_;
  }
  // Incidents the last apply() may have changed (any dispatch effect naming
  // them), possibly repeated: what the shift log re-reads for dispatch_timings.
  [[nodiscard]] const std::vector<incident_id>& touched_incidents() const {
    return touched_incidents_;
  }
  // Every shift started, by id (the start_shift seq), and one by id.
  [[nodiscard]] const std::map<std::uint64_t, shift_record>& shifts() const { return shifts_; }
  [[nodiscard]] const shift_record* find_shift(std::uint64_t id) const;
  // Response cars and incidents (DispatchCommand and CrewStatus events).
  [[nodiscard]] const dispatch::dispatch_board& board() const { return board_; }
  // Incidents `c` is linked to, in id order.
  [[nodiscard]] std::vector<const dispatch::incident*> incidents_of(contact_id c) const;
  // How the board sees the author of an event: staff role nurse -> nurse;
  // supervisor, admin and integration (and integration tokens) -> dispatcher;
  // crew -> crew of the unit they signed on to (the unit being signed on to,
  // for crew_sign_on); system -> system. nullopt for anyone else.
  [[nodiscard]] std::optional<dispatch::actor_info> dispatch_actor(
      const actor& by, const dispatch::command* c) const;

  // The whole state as canonical text (every contact, nurse, queue lane and
  // timer), for the replay-equivalence check and for debugging. Equal states
  // give equal dumps.
  [[nodiscard]] std::string dump() const;
  // 64-bit FNV-1a of dump().
  [[nodiscard]] std::uint64_t digest() const;

 private:
  using contact_timers = std::set<std::pair<timestamp, std::uint64_t>>;

  void handle(const call_event& c, std::uint64_t seq, effects& out);
  void handle(const text_event& t, const std::string& area, route_of_access route,
              std::uint64_t seq, effects& out);
  void handle(const console_command& c, std::uint64_t seq, effects& out);
  void handle(const dispatch_command& c, const actor& by, std::uint64_t seq, effects& out);
  void handle(const crew_status& s, const event& e, std::uint64_t seq, effects& out);
  void apply_dispatch(const dispatch::command& c, const actor& by, std::uint64_t seq, effects& out);
  // Board effects as engine effects: crew alerts and stand-downs as they are,
  // dispatcher notices to supervisors, nurse updates as dispatch_update, and
  // the optional text to the person.
  void carry_out(const dispatch::effect_list& fx, std::uint64_t seq, effects& out);
  [[nodiscard]] dispatch_update update_for(const dispatch::incident& inc, contact_id contact,
                                           std::string text, unit_id unit,
                                           std::optional<duration> eta) const;
  void text_person_en_route(const dispatch::incident& inc, std::uint64_t seq, effects& out);

  void on_sign_on(const nurse_id& who, const nurse_sign_on& cmd, effects& out);
  void on_sign_off(const nurse_id& who, effects& out);
  void on_set_status(const nurse_id& who, const set_nurse_status& cmd, effects& out);
  void on_accept(const nurse_id& who, const accept_offer& cmd, effects& out);
  void on_decline(const nurse_id& who, const decline_offer& cmd, effects& out);
  void on_take_next(const nurse_id& who, effects& out);
  void on_set_triage(const nurse_id& who, const set_triage& cmd, effects& out);
  void on_add_note(const nurse_id& who, const add_note& cmd, effects& out);
  void on_reply(const nurse_id& who, const reply_text& cmd, std::uint64_t seq, effects& out);
  void on_transfer(const nurse_id& who, const transfer& cmd, effects& out);
  void on_close(const nurse_id& who, const close_contact& cmd, effects& out);
  void on_create_callback(const nurse_id& who, const create_callback& cmd, std::uint64_t seq,
                          effects& out);
  void on_wrap_up_done(const nurse_id& who, effects& out);
  void on_start_shift(const nurse_id& who, const start_shift& cmd, std::uint64_t seq, effects& out);
  void on_end_shift(const nurse_id& who, const end_shift& cmd, std::uint64_t seq, effects& out);
  // Ends the nurse's shift record, if they are on one.
  void close_shift(const nurse& n, std::optional<std::uint64_t> handover_id);
  void on_acknowledge_handover(const nurse_id& who, const acknowledge_handover& cmd, effects& out);
  [[nodiscard]] handover_contact handover_entry(const contact& c) const;
  // Cars on scene and unresolved dispatches for the contacts being handed
  // over. The dispatch board integration fills these; until then none.
  void fill_dispatch_lists(const std::vector<contact_id>& contacts, handover& h) const;
  // Puts an answered contact back in the queue at its first arrival.
  void requeue(contact& c);
  // Records what apply() changed, reported as *_changed effects at its end.
  void touch(const contact& c);
  void touch(const nurse_id& n);
  void report_changes(effects& out);
  // Keeps the first command_rejected of `out` for rejection_of(seq).
  void remember_rejection(std::uint64_t seq, const effects& out);

  contact& new_contact(std::uint64_t seq, channel kind);
  void enqueue(contact& c);
  void leave_queue(contact& c, queue_exit why, withdraw_reason offer_reason, effects& out);
  void assign(contact& c, nurse& n, effects& out);
  void release(contact& c, bool wrap_up);
  void close(contact& c);
  void abandon(contact& c, queue_exit why, std::uint64_t seq, effects& out);
  contact& make_callback(contact& from, std::uint64_t seq);
  void set_band(contact& c, triage_category band, band_source source, std::string by,
                std::string reason, effects& out);
  void apply_risk(contact& c, const text_event& t, effects& out);
  // Notes `c` in touched().
  void mark(const contact& c);
  // Records that event `seq` carried this contact's number or a message body.
  void note_personal(contact& c, std::uint64_t seq);
  void on_retention_purge(const retention_purge& p);

  void make_offer(contact& c, nurse& n, effects& out);
  void withdraw_offer(contact& c, withdraw_reason why, effects& out);
  [[nodiscard]] bool eligible(const nurse& n, const contact& c) const;
  void dispatch(effects& out);

  void schedule(contact& c);
  void unschedule(contact& c);
  [[nodiscard]] std::optional<timestamp> escalation_time(const contact& c,
                                                         std::uint32_t level) const;
  [[nodiscard]] std::optional<timestamp> widening_after(const contact& c, timestamp t) const;
  void run_due(effects& out);
  void escalate(contact& c, effects& out);

  [[nodiscard]] contact* find(std::uint64_t id);
  [[nodiscard]] nurse* find(const nurse_id& id);
  void reject(const nurse_id& who, std::string_view command, std::string reason, effects& out);
  void notify_supervisors(std::string kind, contact_id about, std::string text, effects& out);
  void notify_nurse(const nurse_id& who, std::string kind, contact_id about, std::string text,
                    effects& out);
  [[nodiscard]] std::string describe_rank(const urgency_queue::entry& e, const contact& c,
                                          timestamp now) const;

  settings settings_;
  risk_detector risk_;
  urgency_queue queue_;
  engine_stats stats_;
  // The engine's clock: the latest recorded_time applied, never moving back.
  timestamp now_{};

  std::map<std::uint64_t, contact> contacts_;
  std::map<nurse_id, nurse> nurses_;
  // Provider call id -> contact, so every status of a call finds its contact.
  std::map<std::string, std::uint64_t> calls_;
  // Sender -> their open text conversation.
  std::map<std::string, std::uint64_t> open_texts_;
  sms_outbox outbox_;
  // Number -> callback owed to it, so a redial takes the callback's place.
  std::map<std::string, std::uint64_t> owed_callbacks_;

  // Contacts in the queue by channel (callbacks count as calls), so offering
  // stops scanning once no free nurse could take anything still to be seen.
  std::size_t waiting_calls_ = 0;
  std::size_t waiting_texts_ = 0;

  std::vector<contact_id> touched_;
  std::vector<std::uint64_t> touched_shifts_;
  std::vector<std::uint64_t> touched_handovers_;
  std::vector<incident_id> touched_incidents_;
  std::map<std::uint64_t, shift_record> shifts_;
  contact_timers offer_timers_;
  std::set<std::pair<timestamp, nurse_id>> wrap_up_timers_;
  // Sender key -> the person's contacts, in id order.
  std::map<std::string, std::vector<contact_id>> by_sender_;
  std::map<std::uint64_t, handover> handovers_;
  // seq -> refusal, the newest remembered_rejections (see rejection_of).
  std::map<std::uint64_t, command_rejected> rejections_;

  // Not state: what the apply() in progress changed.
  std::set<std::uint64_t> touched_contacts_;
  std::set<nurse_id> touched_nurses_;
  bool queue_touched_ = false;
  contact_timers callback_timers_;
  contact_timers escalation_timers_;
  contact_timers widening_timers_;

  dispatch::dispatch_board board_;
  // Crew member id -> the unit they signed on to (crew_sign_on by a crew).
  std::map<std::string, unit_id> crew_units_;
};

}  // namespace crisisline::core
