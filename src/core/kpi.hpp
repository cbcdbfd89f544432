#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/contact.hpp"
#include "core/dispatch/incident.hpp"
#include "core/dispatch/settings.hpp"
#include "core/engine.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// NHS answer-time, abandonment and callback KPIs (DOMAIN.md §3), computed from
// per-contact timings that are themselves derived from the contacts the engine
// rebuilds by replaying the log. Nothing here is a counter kept on the side:
// the same log always gives the same figures.
//
// Definitions at the edges (all thresholds inclusive, "within" means <=):
// - A contact counts in the window in which it was *offered* (reached the
//   service), with its eventual outcome, even if that outcome falls after the
//   window ends: a call offered at 09:59:50 and answered at 10:00:30 is an
//   answered call of the 09:00-10:00 window and does not appear in 10:00-11:00.
// - Answer time = answered - offered. An answer at exactly 20 s is "within
//   20 s"; at exactly 60 s, "within 60 s".
// - Abandoned after 30 s: the caller hung up more than 30 s after the offer.
//   DOMAIN.md treats abandonment within 30 s as a likely misdial, so a hang-up
//   at exactly 30 s is a misdial (within 30 s) and one at 30 s + 1 µs is not.
//   The share is taken over *offered* contacts; answer shares over *answered*.
// - A transfer does not make a new contact: the answer time is the first answer.
// - A redial keeps its own offered time (its queue place is inherited, its
//   answer time is not).
// - SL and SL2 use N = 20 s (the 111 mental-health option target) as Asterisk
//   defines them: SL = answered within N / answered; SL2 = (answered within N +
//   abandoned within N) / (answered + abandoned).
// - 95th percentile: nearest rank, the smallest answer time that at least 95%
//   of answered contacts did not exceed.
// - Callbacks: every callback contact (after an abandoned call, or booked by a
//   nurse) is a callback offered, counted in the window of its request time (the
//   hang-up, or the booked due time). It is made when a nurse is assigned to it
//   (the moment the outbound call starts); "within 10 minutes" is made - request
//   <= 10 min. A callback replaced by the caller redialling, or closed unmade,
//   is offered but not made.
// - A call lost by the telephony platform (busy, failed) is offered, neither
//   answered nor abandoned; so is a contact closed by staff while it waited.
// - Band: the band the contact had when it left the queue (answered or
//   abandoned), else its band now: the band that set its priority while it
//   waited. Area: the contact's area now (after any transfer to an area).
namespace crisisline::core::kpi {

inline constexpr duration answer_fast = seconds(20);
inline constexpr duration answer_standard = seconds(60);
inline constexpr duration misdial_limit = seconds(30);
inline constexpr duration service_level = seconds(20);
inline constexpr duration callback_target = seconds(600);

// One contact's timings. A contact can be both an inbound contact and a
// callback: a call first heard of as abandoned becomes its own callback.
struct timing_record {
  contact_id contact;
  // call or text; for a callback-only record, callback.
  channel kind = channel::call;
  route_of_access route = route_of_access::unspecified;
  std::string area;
  triage_category band = triage_category::unspecified;

  // Inbound part: set when the contact reached the service by itself.
  std::optional<timestamp> offered;
  std::optional<timestamp> answered;
  std::optional<timestamp> abandoned;
  // Lost by the telephony platform before answer.
  bool lost = false;

  // Callback part: set for a callback owed to this person.
  std::optional<timestamp> callback_requested;
  std::optional<timestamp> callback_made;

  friend bool operator==(const timing_record&, const timing_record&) = default;
};

// The record of one contact, or nullopt if it is neither an inbound contact
// nor a callback (cannot happen today; kept total for future channels).
[[nodiscard]] std::optional<timing_record> timing_of(const contact& c);

// Every contact the engine holds, in id order. Contact ids are the seqs of the
// events that created them, so this probes 1..last_seq: O(events log contacts).
[[nodiscard]] std::vector<timing_record> timings_of(const engine& e);

// Half-open [from, to).
struct window {
  timestamp from{};
  timestamp to{};

  [[nodiscard]] bool contains(timestamp t) const { return t >= from && t < to; }

  friend bool operator==(const window&, const window&) = default;
};

// Figures for one group of contacts. Shares and durations are nullopt when
// their denominator is zero (shown as "n/a", empty in CSV, null in JSON).
struct figures {
  std::uint64_t offered = 0;
  std::uint64_t answered = 0;
  std::uint64_t answered_within_20s = 0;
  std::uint64_t answered_within_60s = 0;
  std::uint64_t abandoned = 0;
  std::uint64_t abandoned_within_30s = 0;
  std::uint64_t abandoned_after_30s = 0;
  // Abandoned within the SL threshold N (for SL2).
  std::uint64_t abandoned_within_sl = 0;
  std::uint64_t lost = 0;
  // Offered, and neither answered, abandoned nor lost: still waiting, or
  // closed by staff while waiting.
  std::uint64_t unanswered = 0;
  std::optional<duration> average_speed_to_answer;
  std::optional<duration> answer_time_p95;
  std::optional<double> answered_within_20s_share;
  std::optional<double> answered_within_60s_share;
  std::optional<double> abandoned_after_30s_share;
  std::optional<double> sl;
  std::optional<double> sl2;

  std::uint64_t callbacks_offered = 0;
  std::uint64_t callbacks_made = 0;
  std::uint64_t callbacks_within_10min = 0;
  std::optional<double> callbacks_within_10min_share;

  friend bool operator==(const figures&, const figures&) = default;
};

// What a group is split by; `all` has the single group "all".
enum class dimension { all, channel, route, area, band };

struct split {
  dimension by = dimension::all;
  // "all", "call", "nhs111_option2", the area name ("(none)" if empty), "B".
  std::string group;
  figures values;

  friend bool operator==(const split&, const split&) = default;
};

// Dispatch (DOMAIN.md §5): the timings of one assignment of a unit to an
// incident, and the figures per triage category.
//
// Definitions at the edges (thresholds inclusive, "within" means <=):
// - An assignment counts in the window of its assigned time, with its eventual
//   progress, even if that falls after the window ends (like an offer).
// - Step times are the times the step happened (the crew's reported time for a
//   status), never the time a skipped step was noticed: a skipped step has no
//   time and is left out of that step's figures, not counted as zero.
// - Time to alert / acknowledgement / on scene = that step - assigned, over the
//   assignments of the window that reached the step.
// - Median and 90th percentile: nearest rank, the smallest value that at least
//   50% (90%) of the values do not exceed.
// - On scene within target is per incident, not per assignment: from the
//   incident's raise to its *first* unit on scene, against its category's
//   target, over the incidents raised in the window whose category has a target
//   (A..E by default). An incident with no unit on scene (yet, or ever) counts
//   as not within target. `met` on a row is that same test for its own unit.
struct dispatch_timing {
  incident_id incident;
  // 1, 2, ... in the order the incident's assignments were made.
  std::uint64_t assignment = 0;
  unit_id unit;
  triage_category category = triage_category::unspecified;
  timestamp raised{};
  timestamp assigned{};
  std::optional<timestamp> alerted;
  std::optional<timestamp> acknowledged;
  std::optional<timestamp> en_route;
  std::optional<timestamp> on_scene;
  std::optional<timestamp> cleared;
  // Set when the assignment was stood down (ended other than by clearing).
  std::optional<timestamp> stood_down;
  // The steps the crew skipped, in order.
  std::vector<unit_state> skipped;
  // The category's face-to-face target; nullopt when it has none.
  std::optional<duration> target;
  // on_scene - raised <= target; nullopt while not on scene or with no target.
  std::optional<bool> met;

  friend bool operator==(const dispatch_timing&, const dispatch_timing&) = default;
};

// One row per assignment of `inc`, in assignment order.
[[nodiscard]] std::vector<dispatch_timing> dispatch_timings_of(
    const dispatch::incident& inc, const dispatch::category_targets& targets);
// Every incident on the engine's board, in incident id order.
[[nodiscard]] std::vector<dispatch_timing> dispatch_timings_of(const engine& e);

// One incident against its category target: the share's numerator and
// denominator, kept apart from the assignments so an incident no unit was ever
// assigned to still counts (as not within target).
struct incident_timing {
  incident_id incident;
  triage_category category = triage_category::unspecified;
  timestamp raised{};
  std::optional<duration> target;
  // The earliest on-scene time of any of its units.
  std::optional<timestamp> first_on_scene;

  friend bool operator==(const incident_timing&, const incident_timing&) = default;
};

[[nodiscard]] std::vector<incident_timing> incident_timings_of(const engine& e);

struct dispatch_figures {
  std::uint64_t assignments = 0;
  std::optional<duration> to_alert_median;
  std::optional<duration> to_alert_p90;
  std::optional<duration> to_acknowledged_median;
  std::optional<duration> to_acknowledged_p90;
  std::optional<duration> to_on_scene_median;
  std::optional<duration> to_on_scene_p90;
  // Incidents raised in the window with a target, and those whose first unit
  // was on scene within it.
  std::uint64_t incidents_with_target = 0;
  std::uint64_t on_scene_within_target = 0;
  std::optional<double> on_scene_within_target_share;

  friend bool operator==(const dispatch_figures&, const dispatch_figures&) = default;
};

struct dispatch_split {
  // "A".."G", or "?" for an incident raised without a category.
  std::string category;
  dispatch_figures values;

  friend bool operator==(const dispatch_split&, const dispatch_split&) = default;
};

// Categories with an assignment or an incident in the window, A..G then "?".
[[nodiscard]] std::vector<dispatch_split> compute_dispatch(
    const std::vector<dispatch_timing>& assignments, const std::vector<incident_timing>& incidents,
    const window& w);

struct report {
  window span;
  // Overall first, then by channel, route of access, area and band. Channels
  // (call, text) and the four named routes are always listed so a return has
  // the same rows every month; areas and bands only when they have contacts.
  std::vector<split> splits;
  // Dispatch figures per category (compute_dispatch); report_of fills them.
  std::vector<dispatch_split> dispatch;

  // The split for (by, group), or nullptr.
  [[nodiscard]] const split* find(dimension by, std::string_view group) const;

  friend bool operator==(const report&, const report&) = default;
};

[[nodiscard]] figures compute(const std::vector<timing_record>& records, const window& w);
[[nodiscard]] report compute_report(const std::vector<timing_record>& records, const window& w);
// The whole report of the window from the engine's state: contact KPIs and
// dispatch figures.
[[nodiscard]] report report_of(const engine& e, const window& w);

// A shift in a report (`report --shift`): its KPIs are those of every contact
// offered in its window, whoever answered; `answered_by_nurse` counts the
// contacts its own nurse answered on it (the first answer, so a contact handed
// over counts for the shift that answered it).
struct shift_figures {
  shift_record shift;
  window span;
  std::uint64_t answered_by_nurse = 0;

  friend bool operator==(const shift_figures&, const shift_figures&) = default;
};

// The shift `id` with its window [started, ended), or [started, now) while it
// runs; nullopt for no such shift.
[[nodiscard]] std::optional<shift_figures> shift_figures_of(const engine& e, std::uint64_t id,
                                                            timestamp now);

[[nodiscard]] std::string_view to_string(dimension d);
// Stable names used in reports: "nhs111_option2", "local_line", ...
[[nodiscard]] std::string_view route_name(route_of_access r);

}  // namespace crisisline::core::kpi
