#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/effect.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

// Outbound texts and who has opted out, by DOMAIN.md's crisis-safe rule: an
// opt-out stops only non-essential messages and never stops anyone reaching
// help; a clinically necessary message it would suppress becomes a task for a
// clinician instead of being dropped.
//
// The event that asks for a text (a nurse's reply) is its durable outbox
// record: the outbound id is that event's seq. outbound_result events move it
// on, so after a restart pending() is exactly what was never accepted.
namespace crisisline::core {

enum class outbound_status {
  // Waiting to be handed to the provider (or to be retried).
  pending,
  // The provider accepted it.
  sent,
  delivered,
  // Given up: the provider refused it, it never arrived, or too many attempts.
  failed,
  // Not sent because the person opted out (non-essential).
  suppressed,
  // Not sent because the person opted out; a clinician must act instead.
  clinician_task,
};

[[nodiscard]] std::string_view to_string(outbound_status s);

struct outbound_text {
  std::uint64_t id = 0;
  contact_id contact;
  std::string to;
  std::string from;
  std::string body;
  std::string requested_by;
  bool clinically_necessary = false;
  outbound_status status = outbound_status::pending;
  std::uint32_t attempts = 0;
  std::string provider_message_id;
  // Provider's last delivery status text ("queued", "delivered", ...).
  std::string delivery_status;
  std::string last_error;
  timestamp requested{};

  friend bool operator==(const outbound_text&, const outbound_text&) = default;
};

class sms_outbox {
 public:
  // An inbound text's opt keyword from `from`. Returns a plain description
  // for a notice, or empty when nothing changed.
  std::string on_inbound(const std::string& from, opt_keyword opt);

  [[nodiscard]] bool opted_out(const std::string& number) const {
    return opted_out_.contains(number);
  }

  // Records a text to send. Emits send_text when it may go now; a notice
  // instead when the opt-out suppresses it.
  void request(std::uint64_t id, contact_id contact, const std::string& to, const std::string& from,
               const std::string& body, bool clinically_necessary, const std::string& requested_by,
               timestamp now, effects& out);

  // A send attempt's result. Unknown ids or results for finished texts are
  // ignored (a late retry result after success).
  void on_result(const outbound_result& r, effects& out);

  // A provider delivery status callback; statuses only move forward.
  void on_status(const text_status& s, effects& out);

  // Retention: the texts to `contact` lose their body and are addressed to
  // `to_key` (the number's keyed hash) instead of the number.
  void redact(contact_id contact, const std::string& to_key);

  [[nodiscard]] const outbound_text* find(std::uint64_t id) const;
  // The text the provider knows by this id (status callbacks), if any.
  [[nodiscard]] const outbound_text* find_by_provider_id(const std::string& message_id) const;
  // Texts still to be handed to the provider, oldest first.
  [[nodiscard]] std::vector<const outbound_text*> pending() const;
  [[nodiscard]] const std::map<std::uint64_t, outbound_text>& all() const { return texts_; }
  [[nodiscard]] const std::set<std::string>& opted_out_numbers() const { return opted_out_; }

  friend bool operator==(const sms_outbox&, const sms_outbox&) = default;

 private:
  std::map<std::uint64_t, outbound_text> texts_;
  std::map<std::string, std::uint64_t> by_provider_id_;
  std::set<std::string> opted_out_;
};

}  // namespace crisisline::core
