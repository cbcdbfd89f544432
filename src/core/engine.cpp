#include "core/engine.hpp"

#include <algorithm>
#include <cassert>
#include <set>
#include <sstream>
#include <tuple>
#include <type_traits>

namespace crisisline::core {

namespace {

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

std::string join_numbers(const std::vector<std::uint64_t>& numbers) {
  std::string out;
  for (const std::uint64_t n : numbers) {
    if (!out.empty()) out += ',';
    out += std::to_string(n);
  }
  return out;
}

// "45 s", "2 min 5 s", "1 h 10 min": seconds stop mattering past an hour.
std::string plain_duration(duration d) {
  auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (total < 0) total = -total;
  const auto h = total / 3600;
  const auto m = (total % 3600) / 60;
  const auto s = total % 60;
  std::vector<std::string> parts;
  if (h > 0) parts.push_back(std::to_string(h) + " h");
  if (m > 0) parts.push_back(std::to_string(m) + " min");
  if (h == 0 && (s > 0 || m == 0)) parts.push_back(std::to_string(s) + " s");
  return join(parts, " ");
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Providers send these words when the caller's number is hidden (DOMAIN.md
// §6); such a caller cannot be called back or recognised when they redial.
bool is_withheld(std::string_view from) {
  return from.empty() || equals_ignoring_case(from, "anonymous") ||
         equals_ignoring_case(from, "restricted") || equals_ignoring_case(from, "unavailable") ||
         equals_ignoring_case(from, "unknown") || equals_ignoring_case(from, "private");
}

std::string contact_label(const contact& c) {
  return "Contact " + std::to_string(c.id.value()) + " (" + std::string{to_string(c.kind)} +
         ", band " + std::string{triage_code(c.band)} + ")";
}

bool is_call_like(channel k) {
  switch (k) {
    case channel::call:
    case channel::callback:
      return true;
    case channel::text:
      return false;
  }
  return true;
}

constexpr std::uint32_t max_wait_level = 4;

}  // namespace

engine::engine() : engine(settings{}) {}

engine::engine(settings s)
    : settings_(std::move(s)),
      risk_(settings_.lexicon),
      queue_(settings_.triage),
      board_(settings_.dispatch) {}

effects engine::apply(const event& e) {
  assert(e.seq > stats_.last_seq && "events must be applied in log order");
  ++stats_.applied;
  stats_.last_seq = e.seq;
  stats_.last_recorded = e.recorded_time;
  ++stats_.by_kind[e.payload.index()];
  // A clock stepped back must not reopen deadlines already handled.
  now_ = std::max(now_, e.recorded_time);

  touched_.clear();
  touched_shifts_.clear();
  touched_handovers_.clear();
  touched_incidents_.clear();
  effects out;
  run_due(out);
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, call_event>) {
          handle(p, e.seq, out);
        } else if constexpr (std::is_same_v<T, text_event>) {
          handle(p, p.area, p.route, e.seq, out);
        } else if constexpr (std::is_same_v<T, keyword_text>) {
          handle(p.text, p.area, route_of_access::sms_keyword, e.seq, out);
        } else if constexpr (std::is_same_v<T, console_command>) {
          handle(p, e.seq, out);
        } else if constexpr (std::is_same_v<T, text_status>) {
          outbox_.on_status(p, out);
          if (const auto* t = outbox_.find_by_provider_id(p.message_id)) {
            if (contact* c = find(t->contact.value())) touch(*c);
          }
        } else if constexpr (std::is_same_v<T, outbound_result>) {
          outbox_.on_result(p, out);
          if (const auto* t = outbox_.find(p.outbound_id)) {
            if (contact* c = find(t->contact.value())) touch(*c);
          }
        } else if constexpr (std::is_same_v<T, dispatch_command>) {
          handle(p, e.by, e.seq, out);
        } else if constexpr (std::is_same_v<T, crew_status>) {
          handle(p, e, e.seq, out);
        } else if constexpr (std::is_same_v<T, retention_purge>) {
          on_retention_purge(p);
        }
        // Timers change nothing here; they only make run_due() happen.
      },
      e.payload);
  run_due(out);
  dispatch(out);
  report_changes(out);
  remember_rejection(e.seq, out);
  return out;
}

void engine::remember_rejection(std::uint64_t seq, const effects& out) {
  const auto refused = std::find_if(out.begin(), out.end(), [](const effect& fx) {
    return std::holds_alternative<command_rejected>(fx);
  });
  if (refused == out.end()) return;
  rejections_.insert_or_assign(seq, std::get<command_rejected>(*refused));
  if (rejections_.size() > remembered_rejections) rejections_.erase(rejections_.begin());
}

const command_rejected* engine::rejection_of(std::uint64_t seq) const {
  const auto it = rejections_.find(seq);
  return it == rejections_.end() ? nullptr : &it->second;
}

void engine::touch(const contact& c) {
  touched_contacts_.insert(c.id.value());
}

void engine::touch(const nurse_id& n) {
  touched_nurses_.insert(n);
}

void engine::report_changes(effects& out) {
  for (const std::uint64_t id : touched_contacts_)
    out.emplace_back(contact_changed{contact_id{id}});
  for (const nurse_id& n : touched_nurses_) out.emplace_back(nurse_changed{n});
  if (queue_touched_) out.emplace_back(queue_changed{});
  touched_contacts_.clear();
  touched_nurses_.clear();
  queue_touched_ = false;
}

std::optional<timestamp> engine::next_deadline() const {
  std::optional<timestamp> next;
  const auto consider = [&](std::optional<timestamp> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (!offer_timers_.empty()) consider(offer_timers_.begin()->first);
  if (!wrap_up_timers_.empty()) consider(wrap_up_timers_.begin()->first);
  if (!callback_timers_.empty()) consider(callback_timers_.begin()->first);
  if (!escalation_timers_.empty()) consider(escalation_timers_.begin()->first);
  // Widening only matters if a nurse is free to take what it makes eligible;
  // a nurse becoming free is an event of its own that re-runs the offers.
  if (!widening_timers_.empty()) {
    const bool someone_free = std::any_of(nurses_.begin(), nurses_.end(), [](const auto& kv) {
      return kv.second.offerable_for(channel::call) || kv.second.offerable_for(channel::text);
    });
    if (someone_free) consider(widening_timers_.begin()->first);
  }
  consider(board_.next_deadline());
  return next;
}

void engine::handle(const call_event& ev, std::uint64_t seq, effects& out) {
  // Without a call id later statuses could not find the call, so only an
  // offered call is taken, as a contact of its own.
  if (ev.call_id.empty() && ev.status != call_status::offered) return;
  const auto known = ev.call_id.empty() ? calls_.end() : calls_.find(ev.call_id);
  contact* existing = known == calls_.end() ? nullptr : find(known->second);
  if (existing) {
    note_personal(*existing, seq);
    mark(*existing);
  }
  const bool danger =
      !settings_.queue.danger_digits.empty() && ev.digits == settings_.queue.danger_digits;
  const auto fill = [&](contact& k) {
    k.call_id = ev.call_id;
    k.call_platform = ev.platform;
    k.from = ev.from;
    k.from_withheld = is_withheld(ev.from);
    k.route = ev.route;
    k.area = ev.area;
    if (!k.from_withheld && !ev.sender_key.empty()) {
      k.sender_key = ev.sender_key;
      by_sender_[k.sender_key].push_back(k.id);
    }
    if (!ev.call_id.empty()) calls_[ev.call_id] = k.id.value();
  };
  switch (ev.status) {
    case call_status::unspecified:
      return;
    case call_status::offered: {
      // Providers repeat themselves and callbacks arrive out of order: a call
      // already known (even one already abandoned) is not a new contact.
      if (existing) return;
      contact& k = new_contact(seq, channel::call);
      fill(k);
      set_band(k, settings_.queue.default_band, band_source::default_band, "",
               "default band before triage", out);
      if (danger && more_urgent(settings_.queue.danger_band, k.band)) {
        set_band(k, settings_.queue.danger_band, band_source::caller_digits, ev.digits,
                 "caller pressed " + ev.digits + " for immediate danger", out);
      }
      if (!k.from_withheld) {
        if (const auto owed = owed_callbacks_.find(k.from); owed != owed_callbacks_.end()) {
          contact& cb = contacts_.at(owed->second);
          note_personal(cb, seq);
          mark(cb);
          k.arrival = std::min(k.arrival, cb.arrival);
          for (const std::string& r : cb.risk_rules) {
            if (std::find(k.risk_rules.begin(), k.risk_rules.end(), r) == k.risk_rules.end()) {
              k.risk_rules.push_back(r);
            }
          }
          if (more_urgent(cb.band, k.band)) {
            set_band(k, cb.band, band_source::inherited, "contact " + std::to_string(cb.id.value()),
                     "redial takes the place and band of the callback owed", out);
          }
          if (cb.state == contact_state::waiting) {
            leave_queue(cb, queue_exit::redialled, withdraw_reason::contact_left, out);
          } else {
            callback_timers_.erase({cb.callback_due.value_or(timestamp{}), cb.id.value()});
            cb.exit = queue_exit::redialled;
            owed_callbacks_.erase(cb.from);
          }
          cb.state = contact_state::closed;
          cb.closed_time = now_;
        }
      }
      enqueue(k);
      return;
    }
    case call_status::digits:
      if (existing && existing->state == contact_state::waiting && danger &&
          more_urgent(settings_.queue.danger_band, existing->band)) {
        // The caller says so themselves: unlike an inferred risk rule this
        // raises the band even after a nurse's triage.
        set_band(*existing, settings_.queue.danger_band, band_source::caller_digits, ev.digits,
                 "caller pressed " + ev.digits + " for immediate danger", out);
      }
      return;
    case call_status::answered: {
      if (!existing) {
        contact& k = new_contact(seq, channel::call);
        fill(k);
        set_band(k, settings_.queue.default_band, band_source::default_band, "",
                 "default band before triage", out);
        enqueue(k);
        existing = &k;
      }
      if (existing->state != contact_state::waiting) return;
      if (nurse* n = find(nurse_id{ev.nurse_id})) {
        assign(*existing, *n, out);
      } else {
        // Connected by the telephony platform to someone not signed on here.
        leave_queue(*existing, queue_exit::answered, withdraw_reason::answered_elsewhere, out);
        existing->state = contact_state::active;
        existing->answered_time = now_;
        if (!ev.nurse_id.empty()) {
          existing->nurse = nurse_id{ev.nurse_id};
          existing->answered_by = existing->nurse;
        }
      }
      return;
    }
    case call_status::completed: {
      if (!existing) {
        contact& k = new_contact(seq, channel::call);
        fill(k);
        set_band(k, settings_.queue.default_band, band_source::default_band, "",
                 "default band before triage", out);
        k.state = contact_state::closed;
        k.exit = queue_exit::answered;
        k.answered_time = now_;
        k.closed_time = now_;
        if (!ev.nurse_id.empty()) {
          k.nurse = nurse_id{ev.nurse_id};
          k.answered_by = k.nurse;
        }
        return;
      }
      if (existing->state == contact_state::waiting) {
        if (nurse* n = find(nurse_id{ev.nurse_id})) {
          assign(*existing, *n, out);
        } else {
          leave_queue(*existing, queue_exit::answered, withdraw_reason::answered_elsewhere, out);
          existing->state = contact_state::active;
          existing->answered_time = now_;
        }
      }
      if (existing->state == contact_state::active) close(*existing);
      return;
    }
    case call_status::connect_requested:
      if (existing && existing->state == contact_state::active && existing->nurse &&
          existing->nurse->value() == ev.nurse_id) {
        existing->connect_requested = true;
      }
      return;
    case call_status::connect_failed: {
      if (!existing || existing->state != contact_state::active || !existing->nurse) return;
      const nurse_id who = *existing->nurse;
      // A late report about an earlier nurse changes nothing.
      if (!ev.nurse_id.empty() && ev.nurse_id != who.value()) return;
      release(*existing, false);
      existing->nurse.reset();
      existing->connect_requested = false;
      existing->answered_time.reset();
      existing->answered_by.reset();
      existing->exit = queue_exit::none;
      existing->declines.push_back({now_, who, "did not pick up the call"});
      // Back in its original place: arrival is unchanged.
      enqueue(*existing);
      if (nurse* n = find(who)) {
        n->status = nurse_status::on_break;
        notify_nurse(who, notice_kind::connect_failed, existing->id,
                     "The call could not be put through to you, so you have been put on a "
                     "break. Set yourself available when ready.",
                     out);
      }
      notify_supervisors(notice_kind::connect_failed, existing->id,
                         "The call could not be put through to nurse " + who.value() +
                             "; the caller is back in their place in the queue.",
                         out);
      return;
    }
    case call_status::abandoned:
    case call_status::failed: {
      const queue_exit why =
          ev.status == call_status::failed ? queue_exit::failed : queue_exit::abandoned;
      if (!existing) {
        // We never saw this call offered, but someone rang and hung up: owe
        // them a callback all the same.
        contact& k = new_contact(seq, channel::call);
        fill(k);
        set_band(k, settings_.queue.default_band, band_source::default_band, "",
                 "default band before triage", out);
        k.exit = why;
        k.abandoned_time = now_;
        if (k.from_withheld) {
          k.state = contact_state::closed;
          k.closed_time = now_;
          notify_supervisors(notice_kind::abandoned_no_callback, k.id,
                             contact_label(k) +
                                 " hung up before answer and the number is withheld, so no "
                                 "callback is possible.",
                             out);
          return;
        }
        k.kind = channel::callback;
        owed_callbacks_[k.from] = k.id.value();
        enqueue(k);
        notify_supervisors(notice_kind::callback_created, k.id,
                           contact_label(k) + " hung up before answer; a callback is waiting.",
                           out);
        return;
      }
      // Already a callback (the call was first heard of as abandoned): a
      // repeat of the hang-up changes nothing.
      if (existing->kind == channel::callback) return;
      if (existing->state == contact_state::waiting) {
        abandon(*existing, why, seq, out);
      } else if (existing->state == contact_state::active) {
        close(*existing);
      }
      return;
    }
  }
}

void engine::handle(const text_event& t, const std::string& area, route_of_access route,
                    std::uint64_t seq, effects& out) {
  const bool withheld = is_withheld(t.from);
  if (t.sender_blocked) {
    // Stored in the log and shown to supervisors; never queued for a nurse.
    out.push_back(notice{.to = notice::audience::supervisors,
                         .kind = notice_kind::blocked_sender_text,
                         .contact_id = 0,
                         .text = "A text from a number blocked for abuse was received (event " +
                                 std::to_string(seq) + ")."});
    return;
  }
  const std::string opt_change = withheld ? std::string{} : outbox_.on_inbound(t.from, t.opt);
  const auto open = withheld ? open_texts_.end() : open_texts_.find(t.from);
  const auto tell = [&](const contact& c, std::string_view kind, const std::string& text) {
    if (c.nurse) {
      out.push_back(notice{.to = notice::audience::nurse,
                           .nurse_id = c.nurse->value(),
                           .kind = std::string(kind),
                           .contact_id = c.id.value(),
                           .text = text});
    } else {
      out.push_back(notice{.to = notice::audience::supervisors,
                           .kind = std::string(kind),
                           .contact_id = c.id.value(),
                           .text = text});
    }
  };
  if (t.opt == opt_keyword::opt_out && !t.opt_ambiguous && open == open_texts_.end()) {
    // A lone STOP outside any conversation is about texts, not a plea for
    // help; it is recorded and shown, and the next text is triaged as ever.
    if (!opt_change.empty()) {
      out.push_back(notice{.to = notice::audience::supervisors,
                           .kind = notice_kind::opted_out,
                           .contact_id = 0,
                           .text = opt_change});
    }
    return;
  }
  if (open != open_texts_.end()) {
    contact& c = contacts_.at(open->second);
    note_personal(c, seq);
    touch(c);
    mark(c);
    if (t.opt != opt_keyword::none) c.opt_keyword_seen = true;
    ++c.messages_in;
    c.inbound.push_back({now_, t.body});
    if (c.area.empty()) c.area = area;
    apply_risk(c, t, out);
    if (!opt_change.empty()) tell(c, notice_kind::opted_out, opt_change);
    if (t.opt_ambiguous) {
      tell(c, notice_kind::ambiguous_opt_word,
           "The person texted a single word (END or QUIT) that can mean they want to stop "
           "texting or something more serious. Check with them.");
    }
    return;
  }
  contact& c = new_contact(seq, channel::text);
  c.route = route;
  c.area = area;
  c.from = t.from;
  c.service_number = t.to;
  c.from_withheld = withheld;
  c.messages_in = 1;
  if (t.opt != opt_keyword::none) c.opt_keyword_seen = true;
  c.inbound.push_back({now_, t.body});
  if (!withheld && !t.sender_key.empty()) {
    c.sender_key = t.sender_key;
    by_sender_[c.sender_key].push_back(c.id);
  }
  set_band(c, settings_.queue.default_band, band_source::default_band, "",
           "default band before triage", out);
  apply_risk(c, t, out);
  if (!withheld) open_texts_[t.from] = c.id.value();
  enqueue(c);
  if (t.opt_ambiguous) {
    tell(c, notice_kind::ambiguous_opt_word,
         "The first text is a single word (END or QUIT) that can mean they want to stop texting "
         "or something more serious. Check with them.");
  }
}

void engine::handle(const console_command& cmd, std::uint64_t seq, effects& out) {
  const nurse_id who{cmd.nurse_id};
  // A refused command changes nothing, so it must not report changes either
  // (the lookups it made mark what they found).
  const auto contacts_before = touched_contacts_;
  const auto nurses_before = touched_nurses_;
  const bool queue_before = queue_touched_;
  const std::size_t effects_before = out.size();
  const auto undo_touches_if_refused = [&] {
    const bool refused =
        std::any_of(out.begin() + static_cast<std::ptrdiff_t>(effects_before), out.end(),
                    [](const effect& e) { return std::holds_alternative<command_rejected>(e); });
    if (!refused) return;
    touched_contacts_ = contacts_before;
    touched_nurses_ = nurses_before;
    queue_touched_ = queue_before;
  };
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          reject(who, "console_command", "the command was empty", out);
        } else if constexpr (std::is_same_v<T, nurse_sign_on>) {
          on_sign_on(who, a, out);
        } else if constexpr (std::is_same_v<T, nurse_sign_off>) {
          on_sign_off(who, out);
        } else if constexpr (std::is_same_v<T, set_nurse_status>) {
          on_set_status(who, a, out);
        } else if constexpr (std::is_same_v<T, accept_offer>) {
          on_accept(who, a, out);
        } else if constexpr (std::is_same_v<T, decline_offer>) {
          on_decline(who, a, out);
        } else if constexpr (std::is_same_v<T, take_next>) {
          on_take_next(who, out);
        } else if constexpr (std::is_same_v<T, set_triage>) {
          on_set_triage(who, a, out);
        } else if constexpr (std::is_same_v<T, add_note>) {
          on_add_note(who, a, out);
        } else if constexpr (std::is_same_v<T, reply_text>) {
          on_reply(who, a, seq, out);
        } else if constexpr (std::is_same_v<T, transfer>) {
          on_transfer(who, a, out);
        } else if constexpr (std::is_same_v<T, close_contact>) {
          on_close(who, a, out);
        } else if constexpr (std::is_same_v<T, create_callback>) {
          on_create_callback(who, a, seq, out);
        } else if constexpr (std::is_same_v<T, wrap_up_done>) {
          on_wrap_up_done(who, out);
        } else if constexpr (std::is_same_v<T, start_shift>) {
          on_start_shift(who, a, seq, out);
        } else if constexpr (std::is_same_v<T, end_shift>) {
          on_end_shift(who, a, seq, out);
        } else if constexpr (std::is_same_v<T, acknowledge_handover>) {
          on_acknowledge_handover(who, a, out);
        } else {
          static_assert(!sizeof(T), "unhandled console action");
        }
      },
      cmd.action);
  undo_touches_if_refused();
}

void engine::on_sign_on(const nurse_id& who, const nurse_sign_on& cmd, effects& out) {
  if (who.value().empty()) return reject(who, "nurse_sign_on", "no nurse id was given", out);
  auto [it, created] = nurses_.try_emplace(who);
  nurse& n = it->second;
  touch(who);
  if (created) {
    n.id = who;
    n.signed_on_at = now_;
    n.free_since = now_;
  }
  n.skills = cmd.skills;
  n.areas = cmd.areas;
  n.text_capacity =
      cmd.text_capacity > 0 ? cmd.text_capacity : settings_.queue.default_text_capacity;
  n.senior = std::any_of(n.skills.begin(), n.skills.end(), [](const std::string& s) {
    return equals_ignoring_case(s, senior_skill);
  });
  if (n.status != nurse_status::available) {
    n.status = nurse_status::available;
    n.free_since = now_;
  }
}

void engine::on_sign_off(const nurse_id& who, effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "nurse_sign_off", "you are not signed on", out);
  if (n->load() > 0) {
    return reject(who, "nurse_sign_off",
                  "close or transfer your " + std::to_string(n->load()) +
                      " open contact(s) before signing off",
                  out);
  }
  if (n->offer)
    withdraw_offer(contacts_.at(n->offer->value()), withdraw_reason::nurse_unavailable, out);
  if (n->wrap_up_until) wrap_up_timers_.erase({*n->wrap_up_until, who});
  close_shift(*n, std::nullopt);
  touch(who);
  nurses_.erase(who);
}

void engine::on_set_status(const nurse_id& who, const set_nurse_status& cmd, effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "set_nurse_status", "you are not signed on", out);
  if (cmd.status == nurse_status::unspecified) {
    return reject(who, "set_nurse_status", "no status was given", out);
  }
  if (cmd.status == n->status) return;
  n->status = cmd.status;
  switch (cmd.status) {
    case nurse_status::available:
      n->free_since = now_;
      break;
    case nurse_status::on_break:
    case nurse_status::offline:
      if (n->offer) {
        withdraw_offer(contacts_.at(n->offer->value()), withdraw_reason::nurse_unavailable, out);
      }
      break;
    case nurse_status::unspecified:
      break;
  }
}

void engine::on_accept(const nurse_id& who, const accept_offer& cmd, effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "accept_offer", "you are not signed on", out);
  contact* c = find(cmd.contact_id);
  if (!c)
    return reject(who, "accept_offer", "there is no contact " + std::to_string(cmd.contact_id),
                  out);
  if (c->offered_to != who) {
    return reject(who, "accept_offer",
                  "contact " + std::to_string(cmd.contact_id) +
                      " is not on offer to you (the offer may have timed out or been withdrawn)",
                  out);
  }
  if (!n->has_room_for(c->kind)) {
    return reject(who, "accept_offer", "you have no room for another contact of this kind", out);
  }
  assign(*c, *n, out);
}

void engine::on_decline(const nurse_id& who, const decline_offer& cmd, effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "decline_offer", "you are not signed on", out);
  contact* c = find(cmd.contact_id);
  if (!c || c->offered_to != who) {
    return reject(who, "decline_offer",
                  "contact " + std::to_string(cmd.contact_id) + " is not on offer to you", out);
  }
  c->declines.push_back({now_, who, cmd.reason});
  withdraw_offer(*c, withdraw_reason::declined, out);
  notify_supervisors(notice_kind::offer_declined, c->id,
                     "Nurse " + who.value() + " declined " + contact_label(*c) + ": " +
                         (cmd.reason.empty() ? std::string{"no reason given"} : cmd.reason) +
                         ". It keeps its place and goes to another nurse.",
                     out);
}

void engine::on_take_next(const nurse_id& who, effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "take_next", "you are not signed on", out);
  if (n->status != nurse_status::available) {
    return reject(who, "take_next", "set yourself available before taking work", out);
  }
  if (n->offer) {
    return reject(who, "take_next",
                  "accept or decline the contact on offer to you (" +
                      std::to_string(n->offer->value()) + ") first",
                  out);
  }
  contact* chosen = nullptr;
  queue_.for_each_ranked(now_, [&](const urgency_queue::entry& e) {
    contact& c = contacts_.at(e.id.value());
    // Contacts a nurse declined stay open to them here: pulling work is their choice.
    if (!c.offered_to && n->has_room_for(c.kind) && eligible(*n, c)) {
      chosen = &c;
      return false;
    }
    return true;
  });
  if (!chosen) return reject(who, "take_next", "no waiting contact you can take right now", out);
  assign(*chosen, *n, out);
}

void engine::on_set_triage(const nurse_id& who, const set_triage& cmd, effects& out) {
  contact* c = find(cmd.contact_id);
  if (!c)
    return reject(who, "set_triage", "there is no contact " + std::to_string(cmd.contact_id), out);
  if (cmd.category == triage_category::unspecified) {
    return reject(who, "set_triage", "no triage category was given", out);
  }
  if (c->state == contact_state::closed) {
    return reject(who, "set_triage", "contact " + std::to_string(cmd.contact_id) + " is closed",
                  out);
  }
  c->nurse_triaged = true;
  set_band(*c, cmd.category, band_source::nurse, who.value(), cmd.reason, out);
}

void engine::on_add_note(const nurse_id& who, const add_note& cmd, effects& out) {
  contact* c = find(cmd.contact_id);
  if (!c)
    return reject(who, "add_note", "there is no contact " + std::to_string(cmd.contact_id), out);
  if (!cmd.kind.empty() && cmd.kind != note_kind_crisis_plan) {
    return reject(who, "add_note",
                  "a note is either clinical (no kind) or a crisis_plan, not \"" + cmd.kind + "\"",
                  out);
  }
  if (cmd.text.empty()) return reject(who, "add_note", "the note is empty", out);
  c->notes.push_back({now_, who.value(), cmd.text, cmd.kind});
}

void engine::on_reply(const nurse_id& who, const reply_text& cmd, std::uint64_t seq, effects& out) {
  contact* c = find(cmd.contact_id);
  if (!c)
    return reject(who, "reply_text", "there is no contact " + std::to_string(cmd.contact_id), out);
  note_personal(*c, seq);
  if (cmd.body.empty()) return reject(who, "reply_text", "the reply is empty", out);
  if (c->from_withheld || c->from.empty()) {
    return reject(who, "reply_text",
                  "the person's number is withheld, so a text cannot be sent to them", out);
  }
  c->replies.push_back({now_, who.value(), cmd.body, cmd.clinically_necessary});
  outbox_.request(seq, c->id, c->from, c->service_number, cmd.body, cmd.clinically_necessary,
                  who.value(), now_, out);
}

void engine::on_transfer(const nurse_id& who, const transfer& cmd, effects& out) {
  contact* c = find(cmd.contact_id);
  if (c) mark(*c);
  if (!c || c->state != contact_state::active || c->nurse != who || !find(who)) {
    return reject(who, "transfer", "contact " + std::to_string(cmd.contact_id) + " is not with you",
                  out);
  }
  if (cmd.to_nurse_id.empty() == cmd.to_area.empty()) {
    return reject(who, "transfer", "give either a nurse or an area to transfer to", out);
  }
  if (!cmd.to_nurse_id.empty()) {
    const nurse_id to{cmd.to_nurse_id};
    nurse* target = find(to);
    if (to == who) return reject(who, "transfer", "the contact is already with you", out);
    if (!target || target->status == nurse_status::offline) {
      return reject(who, "transfer", "nurse " + to.value() + " is not signed on", out);
    }
    if (!target->has_room_for(c->kind)) {
      return reject(who, "transfer", "nurse " + to.value() + " has no room for it", out);
    }
    if (cmd.warm) c->notes.push_back({now_, who.value(), "Transfer note: " + cmd.note});
    release(*c, false);
    assign(*c, *target, out);
    notify_nurse(to, notice_kind::transferred, c->id,
                 "Nurse " + who.value() + " transferred " + contact_label(*c) + " to you" +
                     (cmd.warm && !cmd.note.empty() ? ": " + cmd.note : std::string{"."}),
                 out);
    return;
  }
  if (cmd.warm) c->notes.push_back({now_, who.value(), "Transfer note: " + cmd.note});
  c->area = cmd.to_area;
  requeue(*c);
}

void engine::requeue(contact& c) {
  release(c, false);
  c.nurse.reset();
  // Back in the queue at its first arrival. Escalations already passed are
  // not repeated: the person has been answered once.
  std::uint32_t level = 0;
  for (std::uint32_t l = 1; l <= max_wait_level; ++l) {
    if (const auto t = escalation_time(c, l); t && *t <= now_) level = l;
  }
  c.escalation_level = level;
  enqueue(c);
}

void engine::on_close(const nurse_id& who, const close_contact& cmd, effects& out) {
  contact* c = find(cmd.contact_id);
  if (c) mark(*c);
  if (!c)
    return reject(who, "close_contact", "there is no contact " + std::to_string(cmd.contact_id),
                  out);
  if (!cmd.outcome_code.empty() && !valid_outcome_code(cmd.outcome_code)) {
    return reject(who, "close_contact",
                  "outcome code must be one of 01-06 or 98, not \"" + cmd.outcome_code + "\"", out);
  }
  switch (c->state) {
    case contact_state::active:
      if (c->nurse != who) {
        return reject(who, "close_contact",
                      "contact " + std::to_string(cmd.contact_id) + " is not with you", out);
      }
      close(*c);
      break;
    case contact_state::waiting:
      leave_queue(*c, queue_exit::closed_in_queue, withdraw_reason::contact_left, out);
      c->state = contact_state::closed;
      c->closed_time = now_;
      if (c->kind == channel::text && open_texts_.contains(c->from) &&
          open_texts_.at(c->from) == c->id.value()) {
        open_texts_.erase(c->from);
      }
      break;
    case contact_state::scheduled:
      callback_timers_.erase({c->callback_due.value_or(timestamp{}), c->id.value()});
      if (owed_callbacks_.contains(c->from) && owed_callbacks_.at(c->from) == c->id.value()) {
        owed_callbacks_.erase(c->from);
      }
      c->exit = queue_exit::closed_in_queue;
      c->state = contact_state::closed;
      c->closed_time = now_;
      break;
    case contact_state::closed:
      // The call may have ended before the nurse chose an outcome.
      if (c->outcome_code.empty() && !cmd.outcome_code.empty() && c->nurse == who) {
        c->outcome_code = cmd.outcome_code;
        return;
      }
      return reject(who, "close_contact",
                    "contact " + std::to_string(cmd.contact_id) + " is already closed", out);
  }
  c->outcome_code = cmd.outcome_code;
}

void engine::on_create_callback(const nurse_id& who, const create_callback& cmd, std::uint64_t seq,
                                effects& out) {
  contact* src = find(cmd.contact_id);
  if (!src) {
    return reject(who, "create_callback", "there is no contact " + std::to_string(cmd.contact_id),
                  out);
  }
  if (src->from_withheld) {
    return reject(who, "create_callback", "the number is withheld, so it cannot be called back",
                  out);
  }
  contact& cb = make_callback(*src, seq);
  cb.booked_by = who;
  set_band(cb, src->band, band_source::inherited, "contact " + std::to_string(src->id.value()),
           "callback booked by nurse " + who.value(), out);
  if (cmd.due_time && *cmd.due_time > now_) {
    cb.state = contact_state::scheduled;
    cb.callback_due = *cmd.due_time;
    cb.arrival = *cmd.due_time;
    callback_timers_.emplace(*cmd.due_time, cb.id.value());
    return;
  }
  enqueue(cb);
}

void engine::on_wrap_up_done(const nurse_id& who, effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "wrap_up_done", "you are not signed on", out);
  if (!n->wrap_up_until) return reject(who, "wrap_up_done", "you are not in wrap-up", out);
  wrap_up_timers_.erase({*n->wrap_up_until, who});
  n->wrap_up_until.reset();
  n->free_since = now_;
}

void engine::on_start_shift(const nurse_id& who, const start_shift& cmd, std::uint64_t seq,
                            effects& out) {
  if (who.value().empty()) return reject(who, "start_shift", "no nurse id was given", out);
  if (const nurse* n = find(who); n && n->shift_id) {
    return reject(who, "start_shift",
                  "you are already on shift (shift " + std::to_string(*n->shift_id) + ")", out);
  }
  on_sign_on(who, nurse_sign_on{cmd.skills, cmd.areas, cmd.text_capacity}, out);
  nurse& n = *find(who);
  n.shift_id = seq;
  n.signed_on_at = now_;
  shifts_.emplace(seq, shift_record{.id = seq, .nurse = who, .started = now_});
  touched_shifts_.push_back(seq);
}

void engine::close_shift(const nurse& n, std::optional<std::uint64_t> handover_id) {
  if (!n.shift_id) return;
  const auto it = shifts_.find(*n.shift_id);
  if (it == shifts_.end()) return;
  it->second.ended = now_;
  it->second.handover_id = handover_id;
  touched_shifts_.push_back(it->first);
}

const shift_record* engine::find_shift(std::uint64_t id) const {
  const auto it = shifts_.find(id);
  return it == shifts_.end() ? nullptr : &it->second;
}

handover_contact engine::handover_entry(const contact& c) const {
  return handover_contact{.contact = c.id,
                          .kind = c.kind,
                          .band = c.band,
                          .state = c.state,
                          .last_activity = last_activity(c),
                          .risk_rules = c.risk_rules,
                          .due = c.callback_due};
}

void engine::fill_dispatch_lists(const std::vector<contact_id>& contacts, handover& h) const {
  std::set<std::uint64_t> seen;
  for (const contact_id c : contacts) {
    for (const auto* inc : incidents_of(c)) {
      // An incident linked to two of the nurse's contacts is listed once.
      if (inc->state == dispatch::incident_state::ended || !seen.insert(inc->id.value()).second)
        continue;
      h.unresolved_dispatches.push_back({.incident_id = inc->id.value(),
                                         .unit = {},
                                         .state = std::string(dispatch::state_name(inc->state)),
                                         .contact = c});
      for (const auto& a : inc->assignments) {
        if (!a.live() || !a.at_or_past_scene()) continue;
        h.cars_on_scene.push_back({.incident_id = inc->id.value(),
                                   .unit = a.unit.value(),
                                   .state = std::string(dispatch::state_name(a.stage)),
                                   .contact = c});
      }
    }
  }
}

void engine::on_end_shift(const nurse_id& who, const end_shift& cmd, std::uint64_t seq,
                          effects& out) {
  nurse* n = find(who);
  if (!n) return reject(who, "end_shift", "you are not signed on", out);
  if (!n->calls.empty()) {
    return reject(who, "end_shift",
                  "finish or transfer your call before ending your shift: a call in progress "
                  "cannot be handed over",
                  out);
  }
  nurse* to = nullptr;
  if (!cmd.handover_to.empty()) {
    const nurse_id to_id{cmd.handover_to};
    if (to_id == who) return reject(who, "end_shift", "you cannot hand over to yourself", out);
    to = find(to_id);
    if (!to || to->status == nurse_status::offline) {
      return reject(who, "end_shift", "nurse " + to_id.value() + " is not signed on", out);
    }
    if (!to->calls.empty()) {
      return reject(who, "end_shift",
                    "nurse " + to_id.value() + " is on a call and cannot take text conversations",
                    out);
    }
  }

  handover h;
  h.id = seq;
  h.from = who;
  if (to) h.to = to->id;
  h.shift_id = n->shift_id;
  h.created = now_;
  h.note = cmd.note;
  std::vector<contact_id> involved;
  const auto risky = [this](const contact& c) {
    return !c.risk_rules.empty() || c.band == triage_category::a || c.band == triage_category::b;
  };
  for (const contact_id id : n->texts) {
    const contact& c = contacts_.at(id.value());
    h.open_conversations.push_back(handover_entry(c));
    if (risky(c)) h.high_risk.push_back(h.open_conversations.back());
    involved.push_back(id);
  }
  for (const auto& [id, c] : contacts_) {
    const bool pending = c.state == contact_state::scheduled || c.state == contact_state::waiting;
    if (c.kind == channel::callback && pending && c.booked_by == who) {
      h.pending_callbacks.push_back(handover_entry(c));
      if (risky(c)) h.high_risk.push_back(h.pending_callbacks.back());
      involved.push_back(c.id);
    }
  }
  fill_dispatch_lists(involved, h);

  const std::vector<contact_id> open(n->texts.begin(), n->texts.end());
  for (const contact_id id : open) {
    contact& c = contacts_.at(id.value());
    const std::string note = "Handover at the end of nurse " + who.value() + "'s shift" +
                             (cmd.note.empty() ? std::string{"."} : ": " + cmd.note);
    c.notes.push_back({now_, who.value(), note, ""});
    if (to) {
      // A shift change must not strand anyone, so the incoming nurse takes
      // every conversation even past their usual text capacity.
      release(c, false);
      assign(c, *to, out);
    } else {
      requeue(c);
    }
  }
  if (n->offer) {
    withdraw_offer(contacts_.at(n->offer->value()), withdraw_reason::nurse_unavailable, out);
  }
  if (n->wrap_up_until) wrap_up_timers_.erase({*n->wrap_up_until, who});
  close_shift(*n, h.id);
  touch(who);
  nurses_.erase(who);

  const std::string summary =
      "Nurse " + who.value() +
      " ended their shift: " + std::to_string(h.open_conversations.size()) +
      " open conversation(s)" +
      (to ? " handed to nurse " + to->id.value() : std::string{" returned to the queue"}) + ", " +
      std::to_string(h.pending_callbacks.size()) + " pending callback(s), " +
      std::to_string(h.high_risk.size()) + " high-risk. Handover " + std::to_string(h.id) + ".";
  if (to)
    notify_nurse(to->id, notice_kind::handover, contact_id{}, summary + " Please acknowledge it.",
                 out);
  notify_supervisors(notice_kind::handover, contact_id{}, summary, out);
  touched_handovers_.push_back(h.id);
  handovers_.emplace(h.id, std::move(h));
}

void engine::on_acknowledge_handover(const nurse_id& who, const acknowledge_handover& cmd,
                                     effects& out) {
  const auto it = handovers_.find(cmd.handover_id);
  if (it == handovers_.end()) {
    return reject(who, "acknowledge_handover",
                  "there is no handover " + std::to_string(cmd.handover_id), out);
  }
  handover& h = it->second;
  if (h.acknowledged_by) {
    return reject(who, "acknowledge_handover",
                  "handover " + std::to_string(h.id) + " was already acknowledged by " +
                      h.acknowledged_by->value(),
                  out);
  }
  if (h.to && *h.to != who) {
    return reject(who, "acknowledge_handover",
                  "handover " + std::to_string(h.id) + " is for nurse " + h.to->value(), out);
  }
  h.acknowledged_by = who;
  h.acknowledged_at = now_;
  touched_handovers_.push_back(h.id);
  touch(who);
}

const handover* engine::find_handover(std::uint64_t id) const {
  const auto it = handovers_.find(id);
  return it == handovers_.end() ? nullptr : &it->second;
}

std::vector<contact_id> engine::contacts_of_sender(const std::string& sender_key) const {
  if (sender_key.empty()) return {};
  const auto it = by_sender_.find(sender_key);
  return it == by_sender_.end() ? std::vector<contact_id>{} : it->second;
}

contact& engine::new_contact(std::uint64_t seq, channel kind) {
  auto [it, created] = contacts_.try_emplace(seq);
  assert(created && "one event creates at most one contact");
  contact& c = it->second;
  c.id = contact_id{seq};
  c.kind = kind;
  c.created = now_;
  c.arrival = now_;
  c.state = contact_state::scheduled;
  c.personal_events.push_back(seq);
  mark(c);
  touch(c);
  return c;
}

void engine::enqueue(contact& c) {
  touch(c);
  queue_touched_ = true;
  c.state = contact_state::waiting;
  const bool inserted = queue_.insert(c.id, c.band, c.arrival);
  assert(inserted);
  (void)inserted;
  if (is_call_like(c.kind)) {
    ++waiting_calls_;
  } else {
    ++waiting_texts_;
  }
  schedule(c);
}

void engine::leave_queue(contact& c, queue_exit why, withdraw_reason offer_reason, effects& out) {
  mark(c);
  touch(c);
  queue_touched_ = true;
  withdraw_offer(c, offer_reason, out);
  if (queue_.erase(c.id)) {
    if (is_call_like(c.kind)) {
      --waiting_calls_;
    } else {
      --waiting_texts_;
    }
  }
  unschedule(c);
  if (c.kind == channel::callback && owed_callbacks_.contains(c.from) &&
      owed_callbacks_.at(c.from) == c.id.value()) {
    owed_callbacks_.erase(c.from);
  }
  c.exit = why;
}

void engine::assign(contact& c, nurse& n, effects& out) {
  mark(c);
  touch(c);
  touch(n.id);
  if (c.offered_to == n.id) {
    // Accepting an offer is not a withdrawal: clear it quietly.
    offer_timers_.erase({c.offer_expires.value_or(timestamp{}), c.id.value()});
    n.offer.reset();
    c.offered_to.reset();
    c.offer_expires.reset();
  }
  if (c.state == contact_state::waiting) {
    leave_queue(c, queue_exit::answered, withdraw_reason::answered_elsewhere, out);
  }
  c.state = contact_state::active;
  c.nurse = n.id;
  if (!c.answered_time) {
    c.answered_time = now_;
    c.answered_by = n.id;
    c.answered_shift = n.shift_id;
  }
  if (is_call_like(c.kind)) {
    n.calls.insert(c.id);
  } else {
    n.texts.insert(c.id);
  }
  if (n.wrap_up_until) {
    wrap_up_timers_.erase({*n.wrap_up_until, n.id});
    n.wrap_up_until.reset();
  }
  out.emplace_back(contact_assigned{c.id, n.id});
  // Handed work another way (PBX answer, transfer), the nurse may no longer
  // have room for what is on offer to them; let it go to someone else now.
  if (n.offer) {
    contact& offered = contacts_.at(n.offer->value());
    if (!n.has_room_for(offered.kind)) {
      withdraw_offer(offered, withdraw_reason::nurse_unavailable, out);
    }
  }
}

void engine::release(contact& c, bool wrap_up) {
  touch(c);
  if (!c.nurse) return;
  touch(*c.nurse);
  nurse* n = find(*c.nurse);
  if (!n) return;
  n->calls.erase(c.id);
  n->texts.erase(c.id);
  if (wrap_up && settings_.queue.wrap_up > duration::zero()) {
    if (n->wrap_up_until) wrap_up_timers_.erase({*n->wrap_up_until, n->id});
    n->wrap_up_until = now_ + settings_.queue.wrap_up;
    wrap_up_timers_.emplace(*n->wrap_up_until, n->id);
  } else {
    n->free_since = now_;
  }
}

void engine::close(contact& c) {
  mark(c);
  touch(c);
  release(c, true);
  c.state = contact_state::closed;
  c.closed_time = now_;
  if (c.kind == channel::text && open_texts_.contains(c.from) &&
      open_texts_.at(c.from) == c.id.value()) {
    open_texts_.erase(c.from);
  }
}

void engine::abandon(contact& c, queue_exit why, std::uint64_t seq, effects& out) {
  mark(c);
  leave_queue(c, why, withdraw_reason::contact_left, out);
  c.state = contact_state::closed;
  c.abandoned_time = now_;
  c.closed_time = now_;
  if (c.from_withheld) {
    notify_supervisors(notice_kind::abandoned_no_callback, c.id,
                       contact_label(c) +
                           " hung up before answer and the number is withheld, so no callback "
                           "is possible.",
                       out);
    return;
  }
  contact& cb = make_callback(c, seq);
  set_band(cb, c.band, band_source::inherited, "contact " + std::to_string(c.id.value()),
           "callback after the call was abandoned", out);
  cb.arrival = c.arrival;
  // The callback carries on the call's escalations rather than repeating them.
  cb.escalation_level = c.escalation_level;
  enqueue(cb);
  notify_supervisors(notice_kind::callback_created, cb.id,
                     contact_label(c) + " hung up after " + plain_duration(now_ - c.arrival) +
                         "; callback " + std::to_string(cb.id.value()) +
                         " keeps its place in the queue.",
                     out);
}

contact& engine::make_callback(contact& src, std::uint64_t seq) {
  contact& cb = new_contact(seq, channel::callback);
  // The callback's number comes from `src`: purged together or not at all.
  note_personal(src, seq);
  cb.route = src.route;
  cb.area = src.area;
  cb.from = src.from;
  cb.from_withheld = src.from_withheld;
  cb.callback_of = src.id;
  if (!src.sender_key.empty()) {
    cb.sender_key = src.sender_key;
    by_sender_[cb.sender_key].push_back(cb.id);
  }
  cb.risk_rules = src.risk_rules;
  cb.nurse_triaged = src.nurse_triaged;
  if (!cb.from_withheld) owed_callbacks_[cb.from] = cb.id.value();
  return cb;
}

void engine::set_band(contact& c, triage_category band, band_source source, std::string by,
                      std::string reason, effects& out) {
  mark(c);
  const triage_category old = c.band;
  if (band == old && source != band_source::nurse) return;
  touch(c);
  if (queue_.contains(c.id)) queue_touched_ = true;
  c.triage_history.push_back({now_, old, band, source, by, reason});
  c.band_set_by = source;
  if (band == old) return;
  c.band = band;
  if (queue_.contains(c.id)) {
    const bool moved = queue_.change_band(c.id, band);
    assert(moved);
    (void)moved;
    unschedule(c);
    c.escalation_level = 0;
    schedule(c);
  }
  const triage_band& row = settings_.triage.band(band);
  const bool was_emergency =
      old != triage_category::unspecified && settings_.triage.band(old).emergency;
  if (row.emergency && !was_emergency) {
    std::string text = contact_label(c) + " is band " + std::string{triage_code(band)} + " (" +
                       row.label + "): " + row.action + ". Set by " +
                       std::string{to_string(source)} + (by.empty() ? "" : " " + by) + ".";
    notify_supervisors(notice_kind::emergency_services, c.id, text, out);
    if (c.state == contact_state::active && c.nurse) {
      notify_nurse(*c.nurse, notice_kind::emergency_services, c.id, text, out);
    }
  }
}

void engine::apply_risk(contact& c, const text_event& t, effects& out) {
  // A purged body keeps what the scan found when it was there.
  const risk_assessment a = t.purged_risk
                                ? risk_assessment{t.purged_risk->raise_to, t.purged_risk->fired}
                                : risk_.assess(t.body);
  if (a.fired.empty()) return;
  std::vector<std::string> fresh;
  for (const std::string& r : a.fired) {
    if (std::find(c.risk_rules.begin(), c.risk_rules.end(), r) == c.risk_rules.end()) {
      c.risk_rules.push_back(r);
      fresh.push_back(r);
    }
  }
  if (c.nurse_triaged) {
    if (fresh.empty()) return;
    const std::string msg = contact_label(c) + ": new risk signal (" + join(fresh, ", ") +
                            ") after triage. The band stays as the nurse set it; please review.";
    if (c.state == contact_state::active && c.nurse) {
      notify_nurse(*c.nurse, notice_kind::risk_after_triage, c.id, msg, out);
    } else {
      notify_supervisors(notice_kind::risk_after_triage, c.id, msg, out);
    }
    return;
  }
  if (!a.raise_to || !more_urgent(*a.raise_to, c.band)) return;
  const triage_category before = c.band;
  set_band(c, *a.raise_to, band_source::risk_rule, join(a.fired, ","),
           "risk rules fired: " + join(a.fired, ", "), out);
  const std::string msg = "Contact " + std::to_string(c.id.value()) + " raised from band " +
                          std::string{triage_code(before)} + " to " +
                          std::string{triage_code(c.band)} + " by risk rules " +
                          join(a.fired, ", ") + ".";
  notify_supervisors(notice_kind::risk_raised, c.id, msg, out);
  if (c.state == contact_state::active && c.nurse) {
    notify_nurse(*c.nurse, notice_kind::risk_raised, c.id, msg, out);
  }
}

void engine::make_offer(contact& c, nurse& n, effects& out) {
  touch(c);
  touch(n.id);
  queue_touched_ = true;
  c.offered_to = n.id;
  c.offer_expires = now_ + settings_.queue.offer_timeout;
  n.offer = c.id;
  offer_timers_.emplace(*c.offer_expires, c.id.value());
  out.emplace_back(offer_made{c.id, n.id, *c.offer_expires});
}

void engine::withdraw_offer(contact& c, withdraw_reason why, effects& out) {
  if (!c.offered_to) return;
  const nurse_id to = *c.offered_to;
  touch(c);
  touch(to);
  queue_touched_ = true;
  if (nurse* n = find(to)) n->offer.reset();
  offer_timers_.erase({c.offer_expires.value_or(timestamp{}), c.id.value()});
  c.offered_to.reset();
  c.offer_expires.reset();
  out.emplace_back(offer_withdrawn{c.id, to, why});
}

bool engine::eligible(const nurse& n, const contact& c) const {
  const triage_band& row = settings_.triage.band(c.band);
  if (row.emergency) return true;
  const duration waited = now_ - c.arrival;
  // Past the maximum wait, anyone may answer.
  if (waited >= row.max_wait) return true;
  if (n.senior && waited < settings_.queue.widen_to_senior) return false;
  if (!n.covers_area(c.area) && waited < settings_.queue.widen_to_other_areas) return false;
  return true;
}

void engine::dispatch(effects& out) {
  if (queue_.empty()) return;
  // Nurses in wrap-up are candidates only for emergencies, which interrupt it.
  std::vector<nurse*> free;
  for (auto& [id, n] : nurses_) {
    if (n.status == nurse_status::available && !n.offer &&
        (n.has_room_for(channel::call) || n.has_room_for(channel::text))) {
      free.push_back(&n);
    }
  }
  if (free.empty()) return;
  // Longest free first; a nurse already holding texts comes after an empty one,
  // and one in wrap-up after both.
  std::sort(free.begin(), free.end(), [](const nurse* a, const nurse* b) {
    return std::tuple(a->wrap_up_until.has_value(), a->load(), a->free_since, a->id) <
           std::tuple(b->wrap_up_until.has_value(), b->load(), b->free_since, b->id);
  });
  const auto can_take = [&](channel k) {
    return std::any_of(free.begin(), free.end(),
                       [k](const nurse* n) { return n->offerable_for(k); });
  };
  std::size_t calls_left = waiting_calls_;
  std::size_t texts_left = waiting_texts_;
  bool calls_takeable = can_take(channel::call);
  bool texts_takeable = can_take(channel::text);
  queue_.for_each_ranked(now_, [&](const urgency_queue::entry& e) {
    contact& c = contacts_.at(e.id.value());
    const bool emergency = settings_.triage.band(c.band).emergency;
    const bool call_like = is_call_like(c.kind);
    (call_like ? calls_left : texts_left) -= 1;
    if (!c.offered_to && (emergency || (call_like ? calls_takeable : texts_takeable))) {
      for (auto it = free.begin(); it != free.end(); ++it) {
        nurse& n = **it;
        if (!n.has_room_for(c.kind) || (n.wrap_up_until && !emergency) || !eligible(n, c)) {
          continue;
        }
        const bool declined = std::any_of(c.declines.begin(), c.declines.end(),
                                          [&](const contact_decline& d) { return d.by == n.id; });
        if (declined) continue;
        make_offer(c, n, out);
        free.erase(it);
        calls_takeable = can_take(channel::call);
        texts_takeable = can_take(channel::text);
        break;
      }
    }
    // Emergencies rank first, so once past them only fully free nurses matter.
    return (emergency && !free.empty()) || (calls_left > 0 && calls_takeable) ||
           (texts_left > 0 && texts_takeable);
  });
}

std::optional<timestamp> engine::escalation_time(const contact& c, std::uint32_t level) const {
  const triage_band& row = settings_.triage.band(c.band);
  if (level >= 1 && level <= 3) {
    // A zero target (band A) has its own immediate notice instead.
    if (row.answer_target <= duration::zero()) return std::nullopt;
    static constexpr std::array<std::int64_t, 3> percent{50, 75, 100};
    return c.arrival + row.answer_target * percent[level - 1] / 100;
  }
  if (level == max_wait_level && row.max_wait > duration::zero()) return c.arrival + row.max_wait;
  return std::nullopt;
}

std::optional<timestamp> engine::widening_after(const contact& c, timestamp t) const {
  const triage_band& row = settings_.triage.band(c.band);
  if (row.emergency) return std::nullopt;
  std::optional<timestamp> next;
  for (const duration d :
       {settings_.queue.widen_to_other_areas, settings_.queue.widen_to_senior, row.max_wait}) {
    const timestamp at = c.arrival + d;
    if (at > t && (!next || at < *next)) next = at;
  }
  return next;
}

void engine::schedule(contact& c) {
  unschedule(c);
  for (std::uint32_t l = c.escalation_level + 1; l <= max_wait_level; ++l) {
    if (const auto t = escalation_time(c, l)) {
      c.next_escalation = *t;
      escalation_timers_.emplace(*t, c.id.value());
      break;
    }
  }
  c.next_widening = widening_after(c, now_);
  if (c.next_widening) widening_timers_.emplace(*c.next_widening, c.id.value());
}

void engine::unschedule(contact& c) {
  if (c.next_escalation) escalation_timers_.erase({*c.next_escalation, c.id.value()});
  if (c.next_widening) widening_timers_.erase({*c.next_widening, c.id.value()});
  c.next_escalation.reset();
  c.next_widening.reset();
}

void engine::escalate(contact& c, effects& out) {
  touch(c);
  std::uint32_t reached = c.escalation_level;
  for (std::uint32_t l = c.escalation_level + 1; l <= max_wait_level; ++l) {
    if (const auto t = escalation_time(c, l); t && *t <= now_) reached = l;
  }
  if (reached > c.escalation_level) {
    // Only the highest threshold crossed is announced: a late timer or a
    // band change must not flood the supervisors with stale steps.
    c.escalation_level = reached;
    const triage_band& row = settings_.triage.band(c.band);
    const std::string waited = plain_duration(now_ - c.arrival);
    if (reached == max_wait_level) {
      notify_supervisors(notice_kind::max_wait, c.id,
                         contact_label(c) + " has waited " + waited +
                             ", past its band's maximum of " + plain_duration(row.max_wait) +
                             ". It now ranks ahead of all but emergency contacts and any nurse "
                             "may take it.",
                         out);
    } else {
      static constexpr std::array<const char*, 3> kinds{
          notice_kind::breach_50, notice_kind::breach_75, notice_kind::breach_100};
      static constexpr std::array<const char*, 3> shares{"50%", "75%", "100%"};
      notify_supervisors(kinds[reached - 1], c.id,
                         contact_label(c) + " has waited " + waited + ", " + shares[reached - 1] +
                             " of its " + plain_duration(row.answer_target) + " answer target.",
                         out);
    }
  }
  c.next_escalation.reset();
  for (std::uint32_t l = c.escalation_level + 1; l <= max_wait_level; ++l) {
    if (const auto t = escalation_time(c, l)) {
      if (*t > now_) {
        c.next_escalation = *t;
        escalation_timers_.emplace(*t, c.id.value());
      }
      break;
    }
  }
}

void engine::run_due(effects& out) {
  // The board's timers (ack timeouts, escalations of waiting incidents) touch
  // no contact state, so they run first, as one step.
  if (const auto t = board_.next_deadline(); t && *t <= now_) carry_out(board_.tick(now_), 0, out);
  enum class due { offer, wrap_up, callback, escalation, widening };
  for (;;) {
    std::optional<timestamp> when;
    due which = due::offer;
    const auto consider = [&](std::optional<timestamp> t, due kind) {
      if (t && *t <= now_ && (!when || *t < *when)) {
        when = t;
        which = kind;
      }
    };
    if (!offer_timers_.empty()) consider(offer_timers_.begin()->first, due::offer);
    if (!wrap_up_timers_.empty()) consider(wrap_up_timers_.begin()->first, due::wrap_up);
    if (!callback_timers_.empty()) consider(callback_timers_.begin()->first, due::callback);
    if (!escalation_timers_.empty()) consider(escalation_timers_.begin()->first, due::escalation);
    if (!widening_timers_.empty()) consider(widening_timers_.begin()->first, due::widening);
    if (!when) return;

    switch (which) {
      case due::offer: {
        contact& c = contacts_.at(offer_timers_.begin()->second);
        const nurse_id to = c.offered_to.value_or(nurse_id{});
        withdraw_offer(c, withdraw_reason::timed_out, out);
        if (nurse* n = find(to)) {
          n->status = nurse_status::on_break;
          notify_nurse(to, notice_kind::offer_timeout, c.id,
                       "You did not answer the offer of " + contact_label(c) + " within " +
                           plain_duration(settings_.queue.offer_timeout) +
                           ", so you have been put on a break. Set yourself available when ready.",
                       out);
          notify_supervisors(notice_kind::offer_timeout, c.id,
                             "Nurse " + to.value() + " did not answer the offer of " +
                                 contact_label(c) +
                                 " and has been paused. The contact keeps its place.",
                             out);
        }
        break;
      }
      case due::wrap_up: {
        const auto [at, id] = *wrap_up_timers_.begin();
        wrap_up_timers_.erase(wrap_up_timers_.begin());
        if (nurse* n = find(id)) {
          n->wrap_up_until.reset();
          n->free_since = at;
        }
        break;
      }
      case due::callback: {
        contact& c = contacts_.at(callback_timers_.begin()->second);
        callback_timers_.erase(callback_timers_.begin());
        enqueue(c);
        break;
      }
      case due::escalation: {
        contact& c = contacts_.at(escalation_timers_.begin()->second);
        escalation_timers_.erase(escalation_timers_.begin());
        c.next_escalation.reset();
        escalate(c, out);
        break;
      }
      case due::widening: {
        contact& c = contacts_.at(widening_timers_.begin()->second);
        widening_timers_.erase(widening_timers_.begin());
        c.next_widening = widening_after(c, now_);
        if (c.next_widening) widening_timers_.emplace(*c.next_widening, c.id.value());
        break;
      }
    }
  }
}

// Callers of the non-const finds are about to change what they find (or to
// refuse to): reporting it as changed is at worst one refresh too many.
contact* engine::find(std::uint64_t id) {
  const auto it = contacts_.find(id);
  if (it == contacts_.end()) return nullptr;
  touch(it->second);
  return &it->second;
}

nurse* engine::find(const nurse_id& id) {
  const auto it = nurses_.find(id);
  if (it == nurses_.end()) return nullptr;
  touch(id);
  return &it->second;
}

const contact* engine::find_contact(contact_id id) const {
  const auto it = contacts_.find(id.value());
  return it == contacts_.end() ? nullptr : &it->second;
}

void engine::reject(const nurse_id& who, std::string_view command, std::string reason,
                    effects& out) {
  out.emplace_back(command_rejected{who, std::string{command}, std::move(reason)});
}

void engine::notify_supervisors(std::string kind, contact_id about, std::string text,
                                effects& out) {
  out.emplace_back(
      notice{notice::audience::supervisors, "", std::move(kind), about.value(), std::move(text)});
}

void engine::notify_nurse(const nurse_id& who, std::string kind, contact_id about, std::string text,
                          effects& out) {
  out.emplace_back(notice{notice::audience::nurse, who.value(), std::move(kind), about.value(),
                          std::move(text)});
}

std::string engine::describe_rank(const urgency_queue::entry& e, const contact& c,
                                  timestamp now) const {
  const triage_band& row = settings_.triage.band(e.band);
  const duration waited = now - e.arrival;
  std::string why;
  switch (queue_.tier_of(e, now)) {
    case urgency_queue::tier::emergency:
      why = "Band " + std::string{triage_code(e.band)} + " (" + row.label +
            ") is an emergency: always answered first, oldest first. Waited " +
            plain_duration(waited) + ".";
      break;
    case urgency_queue::tier::overdue:
      why = "Waited " + plain_duration(waited) + ", past the band " +
            std::string{triage_code(e.band)} + " maximum of " + plain_duration(row.max_wait) +
            ": contacts past their maximum come before all but emergencies, longest past first.";
      break;
    case urgency_queue::tier::normal: {
      const duration left = queue_.answer_due(e) - now;
      why = "Band " + std::string{triage_code(e.band)} + ", waited " + plain_duration(waited) +
            (left >= duration::zero() ? "; breaches its " + plain_duration(row.answer_target) +
                                            " answer target in " + plain_duration(left)
                                      : "; breached its " + plain_duration(row.answer_target) +
                                            " answer target " + plain_duration(left) + " ago") +
            ". Ranked by time to breach: sooner comes first.";
      break;
    }
  }
  if (c.kind == channel::callback && c.callback_of) {
    why += " Callback for contact " + std::to_string(c.callback_of->value()) +
           ", keeping that contact's place.";
  }
  if (c.offered_to) why += " On offer to nurse " + c.offered_to->value() + ".";
  return why;
}

std::vector<queue_entry_view> engine::queue_snapshot(timestamp now) const {
  std::vector<queue_entry_view> rows;
  rows.reserve(queue_.size());
  // Before the last applied event the engine's own answers would be stale.
  const timestamp at = std::max(now, now_);
  queue_.for_each_ranked(at, [&](const urgency_queue::entry& e) {
    const contact& c = contacts_.at(e.id.value());
    queue_entry_view v;
    v.rank = rows.size() + 1;
    v.contact = e.id;
    v.band = e.band;
    v.kind = c.kind;
    v.area = c.area;
    v.arrival = e.arrival;
    v.waited = at - e.arrival;
    v.time_to_breach = queue_.answer_due(e) - at;
    v.time_to_max_wait = queue_.max_due(e) - at;
    v.tier = queue_.tier_of(e, at);
    v.offered_to = c.offered_to;
    v.callback = c.kind == channel::callback;
    v.reason = describe_rank(e, c, at);
    rows.push_back(std::move(v));
    return true;
  });
  return rows;
}

namespace {

nurse_view view_of(const nurse& n) {
  nurse_view v;
  v.id = n.id;
  v.status = n.status;
  v.state = n.state();
  v.skills = n.skills;
  v.areas = n.areas;
  v.calls = static_cast<std::uint32_t>(n.calls.size());
  v.texts = static_cast<std::uint32_t>(n.texts.size());
  v.text_capacity = n.text_capacity;
  v.contacts.assign(n.calls.begin(), n.calls.end());
  v.contacts.insert(v.contacts.end(), n.texts.begin(), n.texts.end());
  v.offered_contact = n.offer;
  v.wrap_up_until = n.wrap_up_until;
  v.free_since = n.free_since;
  v.signed_on_at = n.signed_on_at;
  v.shift_id = n.shift_id;
  return v;
}

}  // namespace

std::vector<nurse_view> engine::nurses() const {
  std::vector<nurse_view> rows;
  rows.reserve(nurses_.size());
  for (const auto& kv : nurses_) rows.push_back(view_of(kv.second));
  return rows;
}

std::optional<nurse_view> engine::find_nurse(const nurse_id& id) const {
  const auto it = nurses_.find(id);
  if (it == nurses_.end()) return std::nullopt;
  return view_of(it->second);
}

const contact* engine::find_call(const std::string& call_id) const {
  const auto it = calls_.find(call_id);
  return it == calls_.end() ? nullptr : find_contact(contact_id{it->second});
}

void engine::mark(const contact& c) {
  if (touched_.empty() || touched_.back() != c.id) touched_.push_back(c.id);
}

void engine::note_personal(contact& c, std::uint64_t seq) {
  if (c.personal_events.empty() || c.personal_events.back() != seq) {
    c.personal_events.push_back(seq);
  }
}

std::vector<contact_id> engine::purgeable(timestamp before) const {
  // Pending texts would be sent to the purged number; suppressed ones and
  // clinician tasks depended on an opt-out of the number itself.
  std::set<std::uint64_t> texts_open;
  for (const auto& [id, x] : outbox_.all()) {
    if (x.status != outbound_status::sent && x.status != outbound_status::delivered &&
        x.status != outbound_status::failed) {
      texts_open.insert(x.contact.value());
    }
  }
  std::set<std::uint64_t> chosen;
  for (const auto& [id, c] : contacts_) {
    if (c.purged || c.opt_keyword_seen || c.state != contact_state::closed || !c.closed_time ||
        *c.closed_time >= before || texts_open.contains(id)) {
      continue;
    }
    chosen.insert(id);
  }
  // An event that reached several contacts (a redial taking a callback's
  // place) is rewritten only if all of them are purged, or replay would link
  // a purged number with one still in clear.
  std::map<std::uint64_t, std::vector<std::uint64_t>> reached;
  for (const auto& [id, c] : contacts_) {
    // A purged contact's events were rewritten with everything they reached.
    if (c.purged) continue;
    for (const std::uint64_t seq : c.personal_events) reached[seq].push_back(id);
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (auto it = chosen.begin(); it != chosen.end();) {
      const contact& c = contacts_.at(*it);
      const bool linked_outside =
          std::any_of(c.personal_events.begin(), c.personal_events.end(), [&](std::uint64_t seq) {
            const auto& ids = reached.at(seq);
            return std::any_of(ids.begin(), ids.end(),
                               [&](std::uint64_t other) { return !chosen.contains(other); });
          });
      if (linked_outside) {
        it = chosen.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
  }
  std::vector<contact_id> out;
  out.reserve(chosen.size());
  for (const std::uint64_t id : chosen) out.push_back(contact_id{id});
  return out;
}

void engine::on_retention_purge(const retention_purge& p) {
  const auto candidates = purgeable(p.before);
  for (const purged_contact& pc : p.contacts) {
    if (!std::binary_search(candidates.begin(), candidates.end(), contact_id{pc.contact_id})) {
      continue;
    }
    contact& c = contacts_.at(pc.contact_id);
    c.from = pc.from_key;
    for (contact_reply& r : c.replies) r.body = std::string{purged_body};
    for (contact_message& m : c.inbound) m.body = std::string{purged_body};
    outbox_.redact(c.id, pc.from_key);
    c.purged = true;
  }
}

std::string engine::dump() const {
  std::ostringstream o;
  const auto t = [](const std::optional<timestamp>& v) {
    return v ? std::to_string(to_micros(*v)) : std::string{"-"};
  };
  const auto nid = [](const std::optional<nurse_id>& v) {
    return v ? v->value() : std::string{"-"};
  };
  const auto num = [](const std::optional<std::uint64_t>& v) {
    return v ? std::to_string(*v) : std::string{"-"};
  };
  o << "now " << to_micros(now_) << " applied " << stats_.applied << " last_seq " << stats_.last_seq
    << "\n";
  o << "waiting calls " << waiting_calls_ << " texts " << waiting_texts_ << "\n";
  for (const auto& [id, c] : contacts_) {
    o << "contact " << id << " kind " << to_string(c.kind) << " route " << static_cast<int>(c.route)
      << " area '" << c.area << "' from '" << c.from << "' withheld " << c.from_withheld
      << " call '" << c.call_id << "' platform '" << c.call_platform << "' connect_requested "
      << c.connect_requested << " created " << to_micros(c.created) << " arrival "
      << to_micros(c.arrival) << " callback_of "
      << (c.callback_of ? std::to_string(c.callback_of->value()) : "-") << " due "
      << t(c.callback_due) << " booked_by " << nid(c.booked_by) << " key '" << c.sender_key
      << "' state " << to_string(c.state) << " band " << triage_code(c.band) << " set_by "
      << to_string(c.band_set_by) << " nurse_triaged " << c.nurse_triaged << " rules ["
      << join(c.risk_rules, ",") << "] msgs " << c.messages_in << " offered " << nid(c.offered_to)
      << "@" << t(c.offer_expires) << " nurse " << nid(c.nurse) << " answered_by "
      << nid(c.answered_by) << " shift " << num(c.answered_shift) << " answered "
      << t(c.answered_time) << " abandoned " << t(c.abandoned_time) << " closed "
      << t(c.closed_time) << " exit " << to_string(c.exit) << " outcome '" << c.outcome_code
      << "' level " << c.escalation_level << " next_esc " << t(c.next_escalation) << " next_widen "
      << t(c.next_widening) << " personal [" << join_numbers(c.personal_events) << "] opt_seen "
      << c.opt_keyword_seen << " purged " << c.purged << "\n";
    for (const triage_change& h : c.triage_history) {
      o << "  triage " << to_micros(h.at) << " " << triage_code(h.from) << "->" << triage_code(h.to)
        << " " << to_string(h.source) << " '" << h.by << "' '" << h.reason << "'\n";
    }
    for (const contact_note& n : c.notes) {
      o << "  note " << to_micros(n.at) << " '" << n.by << "' '" << n.kind << "' '" << n.text
        << "'\n";
    }
    for (const contact_message& m : c.inbound) {
      o << "  inbound " << to_micros(m.at) << " '" << m.body << "'\n";
    }
    for (const contact_reply& r : c.replies) {
      o << "  reply " << to_micros(r.at) << " '" << r.by << "' " << r.clinically_necessary << " '"
        << r.body << "'\n";
    }
    for (const contact_decline& d : c.declines) {
      o << "  decline " << to_micros(d.at) << " '" << d.by.value() << "' '" << d.reason << "'\n";
    }
  }
  for (const auto& [id, x] : outbox_.all()) {
    o << "outbound " << id << " contact " << x.contact.value() << " to '" << x.to << "' from '"
      << x.from << "' status " << to_string(x.status) << " attempts " << x.attempts << " provider '"
      << x.provider_message_id << "' delivery '" << x.delivery_status << "' necessary "
      << x.clinically_necessary << " by '" << x.requested_by << "' error '" << x.last_error
      << "'\n";
  }
  for (const auto& number : outbox_.opted_out_numbers()) o << "opted_out '" << number << "'\n";
  for (const auto& [id, n] : nurses_) {
    o << "nurse '" << id.value() << "' status " << to_string(n.status) << " state "
      << to_string(n.state()) << " skills [" << join(n.skills, ",") << "] areas ["
      << join(n.areas, ",") << "] cap " << n.text_capacity << " senior " << n.senior << " calls [";
    for (const contact_id c : n.calls) o << c.value() << ",";
    o << "] texts [";
    for (const contact_id c : n.texts) o << c.value() << ",";
    o << "] offer " << (n.offer ? std::to_string(n.offer->value()) : "-") << " wrap "
      << t(n.wrap_up_until) << " on " << to_micros(n.signed_on_at) << " free "
      << to_micros(n.free_since) << " shift "
      << (n.shift_id ? std::to_string(*n.shift_id) : std::string{"-"}) << "\n";
  }
  for (const auto& [id, s] : shifts_) {
    o << "shift " << id << " nurse '" << s.nurse.value() << "' started " << to_micros(s.started)
      << " ended " << t(s.ended) << " handover " << num(s.handover_id) << "\n";
  }
  for (const auto& [key, ids] : by_sender_) {
    o << "sender '" << key << "'";
    for (const contact_id c : ids) o << " " << c.value();
    o << "\n";
  }
  const auto items = [&](std::string_view name, const std::vector<handover_contact>& v) {
    o << "  " << name;
    for (const handover_contact& x : v) {
      o << " " << x.contact.value() << ":" << to_string(x.kind) << ":" << triage_code(x.band) << ":"
        << to_string(x.state) << ":" << to_micros(x.last_activity) << ":" << t(x.due) << ":["
        << join(x.risk_rules, ",") << "]";
    }
    o << "\n";
  };
  const auto cars = [&](std::string_view name, const std::vector<handover_dispatch>& v) {
    o << "  " << name;
    for (const handover_dispatch& x : v) {
      o << " " << x.incident_id << ":" << x.unit << ":" << x.state << ":" << x.contact.value();
    }
    o << "\n";
  };
  for (const auto& [id, h] : handovers_) {
    o << "handover " << id << " from '" << h.from.value() << "' to '" << nid(h.to) << "' shift "
      << (h.shift_id ? std::to_string(*h.shift_id) : std::string{"-"}) << " created "
      << to_micros(h.created) << " ack '" << nid(h.acknowledged_by) << "'@" << t(h.acknowledged_at)
      << " note '" << h.note << "'\n";
    items("open", h.open_conversations);
    items("callbacks", h.pending_callbacks);
    items("high_risk", h.high_risk);
    cars("cars_on_scene", h.cars_on_scene);
    cars("unresolved", h.unresolved_dispatches);
  }
  for (const auto& [k, v] : calls_) o << "call '" << k << "' " << v << "\n";
  for (const auto& [k, v] : open_texts_) o << "open_text '" << k << "' " << v << "\n";
  for (const auto& [k, v] : owed_callbacks_) o << "owed '" << k << "' " << v << "\n";
  o << "queue";
  queue_.for_each_ranked(now_, [&](const urgency_queue::entry& e) {
    o << " " << e.id.value() << ":" << triage_code(e.band) << ":" << to_micros(e.arrival);
    return true;
  });
  o << "\n";
  const auto timers = [&](std::string_view name, const contact_timers& s) {
    o << name;
    for (const auto& [at, id] : s) o << " " << to_micros(at) << ":" << id;
    o << "\n";
  };
  timers("offer_timers", offer_timers_);
  timers("callback_timers", callback_timers_);
  timers("escalation_timers", escalation_timers_);
  timers("widening_timers", widening_timers_);
  o << "wrap_up_timers";
  for (const auto& [at, id] : wrap_up_timers_) o << " " << to_micros(at) << ":" << id.value();
  o << "\n";
  for (const auto& [crew, unit] : crew_units_)
    o << "crew '" << crew << "' " << unit.value() << "\n";
  o << board_.dump();
  return o.str();
}

std::uint64_t engine::digest() const {
  std::uint64_t h = 14695981039346656037ULL;
  for (const char ch : dump()) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace crisisline::core
