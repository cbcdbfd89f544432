#include "core/sms_outbox.hpp"

namespace crisisline::core {
namespace {

// Order of provider statuses; a callback for an earlier one arriving late is ignored.
int delivery_rank(std::string_view s) {
  if (s == "accepted" || s == "scheduled") return 1;
  if (s == "queued") return 2;
  if (s == "sending") return 3;
  if (s == "sent") return 4;
  if (s == "delivered" || s == "read") return 6;
  if (s == "undelivered" || s == "failed" || s == "canceled") return 6;
  return 0;
}

// Twilio error 21610: the recipient replied STOP at the carrier.
constexpr std::uint32_t carrier_opt_out = 21610;

}  // namespace

std::string_view to_string(outbound_status s) {
  switch (s) {
    case outbound_status::pending:
      return "pending";
    case outbound_status::sent:
      return "sent";
    case outbound_status::delivered:
      return "delivered";
    case outbound_status::failed:
      return "failed";
    case outbound_status::suppressed:
      return "suppressed";
    case outbound_status::clinician_task:
      return "clinician_task";
  }
  return "pending";
}

std::string sms_outbox::on_inbound(const std::string& from, opt_keyword opt) {
  switch (opt) {
    case opt_keyword::opt_out:
      if (opted_out_.insert(from).second) {
        return "The person texted an opt-out word. Follow-up texts will not be sent; they can "
               "still text us and every text is still answered.";
      }
      return {};
    case opt_keyword::opt_in:
      if (opted_out_.erase(from) > 0) return "The person opted back in to texts.";
      return {};
    case opt_keyword::help:
    case opt_keyword::none:
      return {};
  }
  return {};
}

void sms_outbox::request(std::uint64_t id, contact_id contact, const std::string& to,
                         const std::string& from, const std::string& body,
                         bool clinically_necessary, const std::string& requested_by, timestamp now,
                         effects& out) {
  outbound_text t{.id = id,
                  .contact = contact,
                  .to = to,
                  .from = from,
                  .body = body,
                  .requested_by = requested_by,
                  .clinically_necessary = clinically_necessary,
                  .requested = now};
  if (opted_out(to)) {
    if (clinically_necessary) {
      t.status = outbound_status::clinician_task;
      out.push_back(notice{.to = notice::audience::supervisors,
                           .nurse_id = requested_by,
                           .kind = "clinician_task",
                           .contact_id = contact.value(),
                           .text =
                               "A clinically necessary text was not sent because the person "
                               "opted out of texts. A clinician must contact them another way."});
      out.push_back(notice{.to = notice::audience::nurse,
                           .nurse_id = requested_by,
                           .kind = "clinician_task",
                           .contact_id = contact.value(),
                           .text = "Not sent: the person opted out of texts. This is now a task "
                                   "for a clinician to contact them another way."});
    } else {
      t.status = outbound_status::suppressed;
      out.push_back(notice{.to = notice::audience::nurse,
                           .nurse_id = requested_by,
                           .kind = "text_suppressed_opt_out",
                           .contact_id = contact.value(),
                           .text = "Not sent: the person opted out of texts. Mark the message "
                                   "clinically necessary if they must get it."});
    }
    texts_.emplace(id, std::move(t));
    return;
  }
  texts_.emplace(id, std::move(t));
  out.push_back(send_text{.outbound_id = id});
}

void sms_outbox::on_result(const outbound_result& r, effects& out) {
  auto it = texts_.find(r.outbound_id);
  if (it == texts_.end() || it->second.status != outbound_status::pending) return;
  auto& t = it->second;
  t.attempts = std::max(t.attempts, r.attempt);
  switch (r.outcome) {
    case send_outcome::accepted:
      t.status = outbound_status::sent;
      t.provider_message_id = r.provider_message_id;
      if (!r.provider_message_id.empty()) by_provider_id_[r.provider_message_id] = t.id;
      return;
    case send_outcome::failed_retryable:
      t.last_error = r.error;
      return;
    case send_outcome::failed_permanent:
    case send_outcome::unspecified:
      t.status = outbound_status::failed;
      t.last_error = r.error;
      out.push_back(notice{.to = notice::audience::nurse,
                           .nurse_id = t.requested_by,
                           .kind = "text_not_sent",
                           .contact_id = t.contact.value(),
                           .text = "A text could not be sent: " + r.error});
      return;
  }
}

void sms_outbox::on_status(const text_status& s, effects& out) {
  const auto id = by_provider_id_.find(s.message_id);
  if (id == by_provider_id_.end()) return;
  auto& t = texts_.at(id->second);
  if (delivery_rank(s.status) < delivery_rank(t.delivery_status)) return;
  t.delivery_status = s.status;
  if (s.status == "delivered" || s.status == "read") {
    t.status = outbound_status::delivered;
  } else if (s.status == "undelivered" || s.status == "failed") {
    t.status = outbound_status::failed;
    t.last_error = "provider status " + s.status +
                   (s.error_code ? " (error " + std::to_string(s.error_code) + ")" : "");
    if (s.error_code == carrier_opt_out) opted_out_.insert(t.to);
    out.push_back(notice{.to = notice::audience::nurse,
                         .nurse_id = t.requested_by,
                         .kind = "text_not_delivered",
                         .contact_id = t.contact.value(),
                         .text = "A text was not delivered: " + t.last_error});
  }
}

const outbound_text* sms_outbox::find_by_provider_id(const std::string& message_id) const {
  const auto id = by_provider_id_.find(message_id);
  return id == by_provider_id_.end() ? nullptr : find(id->second);
}

const outbound_text* sms_outbox::find(std::uint64_t id) const {
  const auto it = texts_.find(id);
  return it == texts_.end() ? nullptr : &it->second;
}

std::vector<const outbound_text*> sms_outbox::pending() const {
  std::vector<const outbound_text*> out;
  for (const auto& [id, t] : texts_) {
    if (t.status == outbound_status::pending) out.push_back(&t);
  }
  return out;
}

void sms_outbox::redact(contact_id contact, const std::string& to_key) {
  for (auto& [id, x] : texts_) {
    if (x.contact != contact) continue;
    x.to = to_key;
    x.body = std::string{purged_body};
  }
}

}  // namespace crisisline::core
