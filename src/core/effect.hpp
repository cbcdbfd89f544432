#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "core/dispatch/effects.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// Effects are what applying an event asks the outside world to do. The core
// returns them and never performs them; app/ carries them out only after the
// event that caused them is committed, so replay can re-derive them without
// repeating them.
namespace crisisline::core {

// A message for people watching a console (a nurse, or supervisors).
struct notice {
  enum class audience { supervisors, nurse };
  audience to = audience::supervisors;
  // Nurse the notice is for, when `to` is nurse.
  std::string nurse_id;
  // Machine-readable kind, one of the notice_kind constants below.
  std::string kind;
  std::uint64_t contact_id = 0;
  // Plain-language text for the console.
  std::string text;
  // Set for dispatch notices: the incident and unit concerned (0 / empty otherwise).
  std::uint64_t incident_id = 0;
  std::string unit_id;

  friend bool operator==(const notice&, const notice&) = default;
};

// Values of notice::kind.
namespace notice_kind {
// A contact entered an emergency band: call ambulance/police, keep them on the line.
inline constexpr const char* emergency_services = "emergency_services";
// A contact reached 50, 75 or 100% of its answer target, or its maximum wait.
inline constexpr const char* breach_50 = "breach_50";
inline constexpr const char* breach_75 = "breach_75";
inline constexpr const char* breach_100 = "breach_100";
inline constexpr const char* max_wait = "max_wait";
// A risk rule raised a contact's band before triage.
inline constexpr const char* risk_raised = "risk_raised";
// A risk rule fired after a nurse triaged: the band stands, the nurse is told.
inline constexpr const char* risk_after_triage = "risk_after_triage";
// A nurse did not answer an offer in time and was put on a break.
inline constexpr const char* offer_timeout = "offer_timeout";
inline constexpr const char* offer_declined = "offer_declined";
// A call was abandoned before answer and a callback is waiting in its place.
inline constexpr const char* callback_created = "callback_created";
// A call was abandoned and the number is withheld, so no callback is possible.
inline constexpr const char* abandoned_no_callback = "abandoned_no_callback";
// A contact was handed to this nurse by a colleague.
inline constexpr const char* transferred = "transferred";
// The platform could not connect a caller to the nurse who accepted them.
inline constexpr const char* connect_failed = "connect_failed";
// A text from a number blocked for abuse: stored, never queued.
inline constexpr const char* blocked_sender_text = "blocked_sender_text";
// The person texted an opt-out (or opt-in) word.
inline constexpr const char* opted_out = "opted_out";
// END or QUIT alone: may mean stop texting, may mean something worse.
inline constexpr const char* ambiguous_opt_word = "ambiguous_opt_word";
// A nurse ended their shift: the handover record is waiting for the incoming nurse.
inline constexpr const char* handover = "handover";
}  // namespace notice_kind

// The engine offers a waiting contact to a nurse; the console shows it until
// the nurse accepts or declines or the offer is withdrawn.
struct offer_made {
  contact_id contact;
  nurse_id nurse;
  timestamp expires{};

  friend bool operator==(const offer_made&, const offer_made&) = default;
};

enum class withdraw_reason {
  // Not accepted within the offer timeout.
  timed_out,
  // The nurse declined.
  declined,
  // The nurse went on a break, offline or signed off.
  nurse_unavailable,
  // Someone else answered the contact (take_next, a PBX answer).
  answered_elsewhere,
  // The contact left the queue (abandoned, closed).
  contact_left,
};

struct offer_withdrawn {
  contact_id contact;
  nurse_id nurse;
  withdraw_reason reason = withdraw_reason::timed_out;

  friend bool operator==(const offer_withdrawn&, const offer_withdrawn&) = default;
};

// A contact is now with a nurse (accepted offer, take_next, transfer, PBX answer).
// For a callback this is the moment the app should start the outbound call.
struct contact_assigned {
  contact_id contact;
  nurse_id nurse;

  friend bool operator==(const contact_assigned&, const contact_assigned&) = default;
};

// A console command was refused; nothing changed. `reason` is plain language
// for the nurse; the HTTP layer may answer 409 with it.
struct command_rejected {
  nurse_id nurse;
  // Name of the command ("accept_offer").
  std::string command;
  std::string reason;

  friend bool operator==(const command_rejected&, const command_rejected&) = default;
};

// An outbound text (sms_outbox::find(outbound_id)) may now be handed to the
// provider. Sent only after the event that asked for it is committed.
struct send_text {
  std::uint64_t outbound_id = 0;

  friend bool operator==(const send_text&, const send_text&) = default;
};

// One unit on an incident, as a nurse sees it.
struct dispatch_unit_view {
  unit_id unit;
  std::string call_sign;
  // Stage of the unit's assignment (assigned ... at_destination, clear).
  unit_state state = unit_state::unspecified;
  // Quoted when the unit was assigned; nullopt without coordinates.
  std::optional<duration> eta;

  friend bool operator==(const dispatch_unit_view&, const dispatch_unit_view&) = default;
};

// Something changed in the dispatch of an incident linked to `contact` (one
// per linked contact): for the nurse's view of the contact and the console feed.
struct dispatch_update {
  contact_id contact;
  incident_id incident;
  dispatch::incident_state state = dispatch::incident_state::raised;
  // Units with a live assignment, in assignment order.
  std::vector<dispatch_unit_view> units;
  // What happened, in plain words ("MHRC1 is en route, ETA 12 min").
  std::string text;
  // The unit the change is about (empty for incident-only changes).
  unit_id unit;
  std::optional<duration> eta;

  friend bool operator==(const dispatch_update&, const dispatch_update&) = default;
};

// What an event changed, for live consoles: one of each per apply(), in id
// order, after every other effect. Nothing to carry out; a console showing
// the contact, the nurse or the queue re-reads it.
struct contact_changed {
  contact_id contact;

  friend bool operator==(const contact_changed&, const contact_changed&) = default;
};
struct nurse_changed {
  nurse_id nurse;

  friend bool operator==(const nurse_changed&, const nurse_changed&) = default;
};
// A contact joined or left the queue, or its band or offer changed.
struct queue_changed {
  friend bool operator==(const queue_changed&, const queue_changed&) = default;
};

using effect = std::variant<notice, offer_made, offer_withdrawn, contact_assigned, command_rejected,
                            send_text, dispatch::crew_alert, dispatch::crew_stand_down,
                            dispatch_update, contact_changed, nurse_changed, queue_changed>;
using effects = std::vector<effect>;

}  // namespace crisisline::core
