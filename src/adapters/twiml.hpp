#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

// TwiML responses for Twilio-compatible webhooks. Only the verbs this service
// uses. Pure; any thread.
//
// Text and attribute values may be anything: they are XML-escaped, invalid
// UTF-8 is repaired, and characters XML 1.0 forbids (NUL and most other C0
// controls) become U+FFFD, because a provider that cannot parse the reply
// drops it and the person hears or reads nothing.
namespace crisisline::adapters::twiml {

struct say {
  std::string text;
  // Provider voice and language, e.g. "Polly.Amy" and "en-GB"; omitted when empty.
  std::string voice;
  std::string language;
};

struct pause {
  int seconds = 1;
};

// Collects key presses, e.g. "press 1 if you are in immediate danger". The
// prompts are spoken while waiting; the digits are POSTed to `action` as
// `Digits`. With no key press the next verb runs.
struct gather {
  int num_digits = 1;
  std::string action;
  int timeout_seconds = 5;
  std::vector<say> prompts;
};

// Places the caller in a named queue; `wait_url` returns what they hear while
// waiting (e.g. a hold message), `action` is called when they leave it.
struct enqueue {
  std::string queue;
  std::string wait_url;
  std::string action;
};

enum class endpoint_kind { number, sip, client };

struct dial_endpoint {
  endpoint_kind kind = endpoint_kind::number;
  // An E.164 number, a sip: URI or a client identity.
  std::string address;
};

// Connects the call to a nurse. `action` receives DialCallStatus when the leg
// ends, so an unanswered offer can be withdrawn and the caller re-queued.
struct dial {
  dial_endpoint endpoint;
  int timeout_seconds = 20;
  std::string action;
  std::string caller_id;
};

struct message {
  std::string body;
};

struct redirect {
  std::string url;
};

struct hangup {};

using verb = std::variant<say, pause, gather, enqueue, dial, message, redirect, hangup>;

// A full document: the XML declaration and <Response> holding `verbs` in order.
[[nodiscard]] std::string render(const std::vector<verb>& verbs);

// <Response/>: acknowledge a webhook and do nothing, e.g. for status
// callbacks and texts whose reply goes out through the outbox.
[[nodiscard]] std::string empty_response();

// A single SMS reply.
[[nodiscard]] std::string message_reply(std::string_view body);

// Speaks `hold_message` once, then holds the caller in `queue`.
[[nodiscard]] std::string hold_in_queue(std::string_view hold_message, std::string_view queue,
                                        std::string_view wait_url);

// The first answer to a call: asks for one digit (prompt), posting it to
// `gather_action`; if none is pressed, speaks `hold_message` and enqueues.
[[nodiscard]] std::string danger_menu_then_queue(std::string_view prompt,
                                                 std::string_view gather_action,
                                                 std::string_view hold_message,
                                                 std::string_view queue, std::string_view wait_url);

// What the caller hears while queued: the message, a pause, repeated by the
// provider calling the wait URL again.
[[nodiscard]] std::string hold_message_loop(std::string_view hold_message, int pause_seconds);

// Connects to a nurse endpoint.
[[nodiscard]] std::string dial_nurse(const dial_endpoint& endpoint, int timeout_seconds,
                                     std::string_view action);

// Escapes &, <, >, " and ' and replaces what XML cannot carry (see above).
[[nodiscard]] std::string xml_escape(std::string_view text);

}  // namespace crisisline::adapters::twiml
