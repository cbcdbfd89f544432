#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/dispatch/commands.hpp"
#include "core/shared_types.hpp"
#include "core/time.hpp"

// Domain events: the core's view of what codec/ decodes from
// crisisline.v1.Event. Field meanings are documented in proto/crisisline/v1/event.proto.
namespace crisisline::core {

enum class actor_kind { unspecified, system, integration, provider, staff, crew };

struct actor {
  actor_kind kind = actor_kind::unspecified;
  std::string id;
  std::string role;
  std::string session;
};

enum class route_of_access {
  unspecified,
  nhs111_option2,
  local_line,
  sms_keyword,
  professional_line
};

enum class call_status {
  unspecified,
  offered,
  answered,
  completed,
  abandoned,
  failed,
  digits,
  connect_failed,
  connect_requested
};

struct call_event {
  std::string call_id;
  std::uint32_t sequence_number = 0;
  call_status status = call_status::unspecified;
  std::string from;
  std::string to;
  route_of_access route = route_of_access::unspecified;
  std::string area;
  std::string digits;
  std::string forwarded_from;
  std::uint32_t duration_seconds = 0;
  std::string nurse_id;
  std::string platform;
  std::string sender_key;
};

enum class opt_keyword { none, opt_out, opt_in, help };

// What the risk scan found in a text when retention purged its body: replay
// uses it instead of scanning words that are no longer there.
struct recorded_risk {
  std::optional<triage_category> raise_to;
  std::vector<std::string> fired;
};

struct text_event {
  std::string message_id;
  std::string from;
  std::string to;
  std::string body;
  std::uint32_t num_segments = 0;
  std::uint32_t num_media = 0;
  bool sender_flagged = false;
  bool body_repaired = false;
  std::string area;
  std::string routing_reason;
  route_of_access route = route_of_access::unspecified;
  opt_keyword opt = opt_keyword::none;
  bool opt_ambiguous = false;
  bool sender_blocked = false;
  std::string sender_key;
  // Set when the body was purged (retention); `body` is then a placeholder.
  std::optional<recorded_risk> purged_risk;
};

struct keyword_text {
  text_event text;
  std::string keyword;
  std::string area;
};

struct text_status {
  std::string message_id;
  std::string status;
  std::uint32_t error_code = 0;
};

enum class nurse_status { unspecified, available, on_break, offline };

struct nurse_sign_on {
  std::vector<std::string> skills;
  std::vector<std::string> areas;
  std::uint32_t text_capacity = 0;
};
struct nurse_sign_off {};
struct set_nurse_status {
  nurse_status status = nurse_status::unspecified;
};
struct accept_offer {
  std::uint64_t contact_id = 0;
};
struct decline_offer {
  std::uint64_t contact_id = 0;
  std::string reason;
};
struct take_next {};
struct set_triage {
  std::uint64_t contact_id = 0;
  triage_category category = triage_category::unspecified;
  std::string reason;
};
struct add_note {
  std::uint64_t contact_id = 0;
  std::string text;
  // "" or note_kind_crisis_plan.
  std::string kind;
};

inline constexpr const char* note_kind_crisis_plan = "crisis_plan";
struct reply_text {
  std::uint64_t contact_id = 0;
  std::string body;
  bool clinically_necessary = false;
};
struct transfer {
  std::uint64_t contact_id = 0;
  std::string to_nurse_id;
  std::string to_area;
  bool warm = false;
  std::string note;
};
struct close_contact {
  std::uint64_t contact_id = 0;
  std::string outcome_code;
};
struct create_callback {
  std::uint64_t contact_id = 0;
  std::optional<timestamp> due_time;
};
struct wrap_up_done {};
struct start_shift {
  std::vector<std::string> skills;
  std::vector<std::string> areas;
  std::uint32_t text_capacity = 0;
};
struct end_shift {
  std::string handover_to;
  std::string note;
};
struct acknowledge_handover {
  std::uint64_t handover_id = 0;
};

using console_action = std::variant<std::monostate, nurse_sign_on, nurse_sign_off, set_nurse_status,
                                    accept_offer, decline_offer, take_next, set_triage, add_note,
                                    reply_text, transfer, close_contact, create_callback,
                                    wrap_up_done, start_shift, end_shift, acknowledge_handover>;

struct console_command {
  std::string nurse_id;
  console_action action;
};

struct crew_status {
  std::string unit_id;
  unit_state state = unit_state::unspecified;
  std::uint64_t incident_id = 0;
  std::optional<geo_point> location;
  std::string reason;
  std::string destination;
};

// A command to the dispatch board (recommend, a query, never appears here).
// Who gave it is the event's actor.
struct dispatch_command {
  dispatch::command command;
};

struct timer_fired {
  std::string reason;
};

enum class send_outcome { unspecified, accepted, failed_retryable, failed_permanent };

struct outbound_result {
  std::uint64_t outbound_id = 0;
  send_outcome outcome = send_outcome::unspecified;
  std::string provider_message_id;
  std::uint32_t attempt = 0;
  std::string error;
};

// One contact whose message bodies and number a retention purge removes.
struct purged_contact {
  std::uint64_t contact_id = 0;
  // What replaces the number: its keyed hash (adapters::sender_key).
  std::string from_key;
};

// Retention: message bodies and personal identifiers of contacts closed
// before `before` are purged, from memory and (by the shift-log projection,
// in the same commit) from the logged events. Only the listed contacts that
// the engine finds purgeable at apply time are purged (see
// engine::purgeable), so live apply and replay purge the same ones.
struct retention_purge {
  timestamp before{};
  // The last seq in the log when the purge was requested.
  std::uint64_t through_seq = 0;
  std::vector<purged_contact> contacts;
};

// The placeholder a purged message body becomes.
inline constexpr std::string_view purged_body = "[purged]";

using event_payload =
    std::variant<std::monostate, call_event, text_event, keyword_text, text_status, console_command,
                 crew_status, timer_fired, outbound_result, dispatch_command, retention_purge>;

// One committed entry of the log.
struct event {
  std::uint64_t seq = 0;
  std::optional<timestamp> occurred_time;
  timestamp recorded_time{};
  std::string source;
  std::string source_event_id;
  actor by;
  event_payload payload;
};

}  // namespace crisisline::core
