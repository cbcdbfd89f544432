#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// One person's contact with the service: a call, a text conversation, or a
// callback owed to them. Owned by the engine; the HTTP layer reads it for
// GET /v1/contacts/{id}.
namespace crisisline::core {

enum class channel { call, text, callback };

enum class contact_state {
  // A callback booked for later; joins the queue when due.
  scheduled,
  // In the queue (possibly with an offer out to a nurse).
  waiting,
  // With a nurse.
  active,
  closed,
};

// Who set the band the contact has now.
enum class band_source { default_band, risk_rule, caller_digits, nurse, inherited };

// Why a contact left the queue (DOMAIN.md §4 exit reasons).
enum class queue_exit {
  none,
  answered,
  abandoned,
  // The telephony platform could not keep the call (busy, failed, no-answer).
  failed,
  // A member of staff closed it while it waited (duplicate, spam).
  closed_in_queue,
  // The caller rang again and the new call took this callback's place.
  redialled,
};

struct triage_change {
  timestamp at{};
  triage_category from = triage_category::unspecified;
  triage_category to = triage_category::unspecified;
  band_source source = band_source::default_band;
  // Nurse id, rule ids, or the digits pressed.
  std::string by;
  std::string reason;

  friend bool operator==(const triage_change&, const triage_change&) = default;
};

struct contact_note {
  timestamp at{};
  std::string by;
  std::string text;
  // "" for a clinical note, note_kind_crisis_plan for a crisis plan.
  std::string kind;

  friend bool operator==(const contact_note&, const contact_note&) = default;
};

struct contact_reply {
  timestamp at{};
  std::string by;
  std::string body;
  bool clinically_necessary = false;

  friend bool operator==(const contact_reply&, const contact_reply&) = default;
};

// A text the person sent.
struct contact_message {
  timestamp at{};
  std::string body;

  friend bool operator==(const contact_message&, const contact_message&) = default;
};

struct contact_decline {
  timestamp at{};
  nurse_id by;
  std::string reason;

  friend bool operator==(const contact_decline&, const contact_decline&) = default;
};

struct contact {
  // The seq of the event that created it.
  contact_id id;
  channel kind = channel::call;
  route_of_access route = route_of_access::unspecified;
  std::string area;
  // Caller or sender as sent; `from_withheld` when it cannot be called back.
  std::string from;
  // The service number the person called or texted; replies go out from it.
  std::string service_number;
  bool from_withheld = false;
  // Keyed hash of the number (see CallEvent.sender_key): links this person's
  // contacts. Empty when withheld or unkeyed.
  std::string sender_key;
  std::string call_id;
  // Who connects the call ("twilio": crisisline asks the provider; empty: the PBX).
  std::string call_platform;
  // The provider accepted the request to connect this call to its nurse.
  bool connect_requested = false;
  timestamp created{};
  // The place in the queue (see urgency_queue.hpp). A callback after an
  // abandoned call keeps the arrival of the call.
  timestamp arrival{};
  std::optional<contact_id> callback_of;
  std::optional<timestamp> callback_due;
  // The nurse who booked this callback (create_callback), if one did.
  std::optional<nurse_id> booked_by;

  contact_state state = contact_state::waiting;
  triage_category band = triage_category::unspecified;
  band_source band_set_by = band_source::default_band;
  // Once a nurse has triaged, risk rules no longer change the band.
  bool nurse_triaged = false;
  // Risk rules that have fired on this contact, in the order they first fired.
  std::vector<std::string> risk_rules;
  std::vector<triage_change> triage_history;
  std::vector<contact_note> notes;
  std::vector<contact_reply> replies;
  std::vector<contact_decline> declines;
  std::uint32_t messages_in = 0;
  // The texts the person sent, in order.
  std::vector<contact_message> inbound;

  std::optional<nurse_id> offered_to;
  std::optional<timestamp> offer_expires;
  // The nurse the contact is with (or was with, once closed).
  std::optional<nurse_id> nurse;
  std::optional<timestamp> answered_time;
  // Who answered it first (a transfer changes `nurse`, not this).
  std::optional<nurse_id> answered_by;
  // The shift (start_shift seq) `answered_by` was on when answering.
  std::optional<std::uint64_t> answered_shift;
  std::optional<timestamp> abandoned_time;
  std::optional<timestamp> closed_time;
  queue_exit exit = queue_exit::none;
  std::string outcome_code;

  // Events carrying this person's number or message bodies (calls, texts,
  // replies), in seq order: what a retention purge rewrites.
  std::vector<std::uint64_t> personal_events;
  // An opt-out/opt-in word reached this contact: its number must stay in the
  // log so the opt-out list replays, so retention never purges it.
  bool opt_keyword_seen = false;
  // Retention purged its number and message bodies.
  bool purged = false;

  // Escalation notices sent while waiting: 0 none, 1..3 = 50/75/100% of the
  // answer target, 4 = maximum wait.
  std::uint32_t escalation_level = 0;
  // Engine bookkeeping: when the next escalation or eligibility widening is due.
  std::optional<timestamp> next_escalation;
  std::optional<timestamp> next_widening;

  friend bool operator==(const contact&, const contact&) = default;
};

// The latest time anything happened on the contact (arrival, answer, a text
// either way, a note, a triage change).
[[nodiscard]] timestamp last_activity(const contact& c);

[[nodiscard]] std::string_view to_string(channel c);
[[nodiscard]] std::string_view to_string(contact_state s);
[[nodiscard]] std::string_view to_string(band_source s);
[[nodiscard]] std::string_view to_string(queue_exit e);

// NHS "mental health drop in contact outcome" codes accepted by close_contact.
[[nodiscard]] bool valid_outcome_code(std::string_view code);

}  // namespace crisisline::core
