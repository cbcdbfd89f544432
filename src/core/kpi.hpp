#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/contact.hpp"
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

struct report {
  window span;
  // Overall first, then by channel, route of access, area and band. Channels
  // (call, text) and the four named routes are always listed so a return has
  // the same rows every month; areas and bands only when they have contacts.
  std::vector<split> splits;

  // The split for (by, group), or nullptr.
  [[nodiscard]] const split* find(dimension by, std::string_view group) const;

  friend bool operator==(const report&, const report&) = default;
};

[[nodiscard]] figures compute(const std::vector<timing_record>& records, const window& w);
[[nodiscard]] report compute_report(const std::vector<timing_record>& records, const window& w);

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
