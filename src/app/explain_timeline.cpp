#include "app/explain_timeline.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <type_traits>
#include <variant>

#include "app/report_format.hpp"
#include "core/kpi.hpp"
#include "core/triage.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace {

// "45 s", "2 min 5 s", "1 h 10 min", "0.4 s": whole seconds unless under one.
std::string plain_duration(core::duration d) {
  if (d < core::duration::zero()) d = -d;
  if (d < std::chrono::seconds{1}) {
    const auto tenths = std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 100;
    return "0." + std::to_string(tenths) + " s";
  }
  const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  const auto h = total / 3600;
  const auto m = (total % 3600) / 60;
  const auto s = total % 60;
  std::string out;
  const auto part = [&](std::int64_t v, const char* unit) {
    if (!out.empty()) out += ' ';
    out += std::to_string(v) + " " + unit;
  };
  if (h > 0) part(h, "h");
  if (m > 0) part(m, "min");
  if (h == 0 && (s > 0 || m == 0)) part(s, "s");
  return out;
}

std::string_view outcome_label(std::string_view code) {
  if (code == "01") return "caller disconnected";
  if (code == "02") return "advice on call only";
  if (code == "03") return "signposted to non-NHS services";
  if (code == "04") return "non-urgent referral to another NHS service";
  if (code == "05") return "urgent referral for face-to-face assessment";
  if (code == "06") return "emergency service(s) notified";
  if (code == "98") return "other";
  return "unknown code";
}

std::string_view withdraw_words(core::withdraw_reason r) {
  switch (r) {
    case core::withdraw_reason::timed_out:
      return "not answered in time";
    case core::withdraw_reason::declined:
      return "declined";
    case core::withdraw_reason::nurse_unavailable:
      return "the nurse went on a break, offline or took other work";
    case core::withdraw_reason::answered_elsewhere:
      return "answered by someone else";
    case core::withdraw_reason::contact_left:
      return "the contact left the queue";
  }
  return "withdrawn";
}

std::string band_words(const core::engine& engine, core::triage_category b) {
  if (b == core::triage_category::unspecified) return "?";
  return std::string{core::triage_code(b)} + " (" + engine.config().triage.band(b).label + ")";
}

std::string area_words(const std::string& area) {
  return area.empty() ? "no area" : "area " + area;
}

// The contact a console command is about, if any.
std::optional<std::uint64_t> command_target(const core::console_command& cmd) {
  return std::visit(
      [](const auto& a) -> std::optional<std::uint64_t> {
        using T = std::decay_t<decltype(a)>;
        if constexpr (requires { a.contact_id; }) {
          return a.contact_id;
        } else {
          (void)sizeof(T);
          return std::nullopt;
        }
      },
      cmd.action);
}

// Length of an inbound message's body, never the body itself.
std::optional<std::size_t> message_length(const core::event& ev) {
  if (const auto* t = std::get_if<core::text_event>(&ev.payload)) return t->body.size();
  if (const auto* k = std::get_if<core::keyword_text>(&ev.payload)) return k->text.body.size();
  return std::nullopt;
}

std::string by_reference(std::uint64_t seq, std::size_t length) {
  return "seq " + std::to_string(seq) + ", " + std::to_string(length) + " characters";
}

bool notice_worth_showing(const core::notice& n) {
  // The rest (offer_declined, offer_timeout, callback_created, transferred,
  // risk_raised) repeat what the contact's own change already shows.
  return n.kind == core::notice_kind::emergency_services ||
         n.kind == core::notice_kind::breach_50 || n.kind == core::notice_kind::breach_75 ||
         n.kind == core::notice_kind::breach_100 || n.kind == core::notice_kind::max_wait ||
         n.kind == core::notice_kind::risk_after_triage ||
         n.kind == core::notice_kind::abandoned_no_callback ||
         n.kind == core::notice_kind::opted_out ||
         n.kind == core::notice_kind::ambiguous_opt_word ||
         n.kind == core::notice_kind::blocked_sender_text;
}

}  // namespace

timeline_recorder::timeline_recorder(core::contact_id id) : id_(id), family_{id.value()} {}

core::effects timeline_recorder::apply(core::engine& engine, const core::event& ev) {
  before_.clear();
  for (const std::uint64_t f : family_) {
    if (const core::contact* c = engine.find_contact(core::contact_id{f})) before_.emplace(f, *c);
  }
  core::effects fx = engine.apply(ev);

  // A contact created by this event joins the family if it is a callback for
  // one of ours, or a redial that took the place of one of our callbacks.
  if (const core::contact* created = engine.find_contact(core::contact_id{ev.seq});
      created && std::find(family_.begin(), family_.end(), ev.seq) == family_.end()) {
    bool ours = created->callback_of && std::find(family_.begin(), family_.end(),
                                                  created->callback_of->value()) != family_.end();
    for (const auto& [f, was] : before_) {
      const core::contact* now = engine.find_contact(core::contact_id{f});
      if (now && now->exit == core::queue_exit::redialled && was.exit != now->exit) {
        ours = true;
        add(ev, f, "redial",
            "the caller rang again: new call " + std::to_string(ev.seq) +
                " takes this callback's place in the queue, so the callback is no longer needed");
      }
    }
    if (ours) family_.push_back(ev.seq);
  }

  describe_effects(engine, ev, fx, true);
  for (const std::uint64_t f : family_) {
    const core::contact* after = engine.find_contact(core::contact_id{f});
    if (!after) continue;
    const auto was = before_.find(f);
    describe_change(engine, ev, was == before_.end() ? nullptr : &was->second, *after);
  }
  describe_effects(engine, ev, fx, false);
  return fx;
}

void timeline_recorder::add(const core::event& ev, std::uint64_t contact, std::string what,
                            std::string detail) {
  entries_.push_back({ev.seq, ev.recorded_time, contact, std::move(what), std::move(detail)});
}

std::string timeline_recorder::queue_context(const core::engine& engine, const core::contact& c,
                                             core::timestamp now) const {
  std::string out;
  const auto rows = engine.queue_snapshot(now);
  for (const auto& row : rows) {
    if (row.contact == c.id) {
      out = "rank " + std::to_string(row.rank) + " of " + std::to_string(rows.size()) + " waiting";
      break;
    }
  }
  std::size_t free = 0;
  std::size_t busy = 0;
  std::size_t away = 0;
  const auto nurses = engine.nurses();
  for (const auto& n : nurses) {
    if (n.status != core::nurse_status::available) {
      ++away;
      continue;
    }
    switch (n.state) {
      case core::nurse_state::idle:
      case core::nurse_state::offered:
        ++free;
        break;
      case core::nurse_state::on_contact:
      case core::nurse_state::wrap_up:
        ++busy;
        break;
    }
  }
  if (!out.empty()) out += "; ";
  out += "nurses signed on: " + std::to_string(nurses.size()) + " (" + std::to_string(free) +
         " free, " + std::to_string(busy) + " on a contact or wrap-up, " + std::to_string(away) +
         " on a break or offline)";
  return out;
}

void timeline_recorder::describe_change(const core::engine& engine, const core::event& ev,
                                        const core::contact* b, const core::contact& a) {
  const std::uint64_t id = a.id.value();
  const auto target_of = [&](core::triage_category band) {
    return plain_duration(engine.config().triage.band(band).answer_target);
  };

  if (!b) {
    std::string detail;
    switch (a.kind) {
      case core::channel::call:
        detail = "call arrived via " + std::string{core::kpi::route_name(a.route)} + ", " +
                 area_words(a.area);
        break;
      case core::channel::text:
        detail = "text conversation started via " + std::string{core::kpi::route_name(a.route)} +
                 ", " + area_words(a.area);
        break;
      case core::channel::callback:
        if (a.callback_of) {
          detail = "callback owed for contact " + std::to_string(a.callback_of->value());
          if (std::holds_alternative<core::console_command>(ev.payload)) {
            detail += ", booked by nurse " + std::get<core::console_command>(ev.payload).nurse_id;
          } else {
            detail += " after the caller hung up before answer";
          }
          if (a.callback_due) detail += "; due " + iso8601(*a.callback_due);
        } else {
          detail = "call first heard of as hung up before answer (" + area_words(a.area) +
                   "); a callback is owed";
        }
        break;
    }
    if (a.from_withheld) detail += "; number withheld, so no callback is possible";
    if (a.arrival < a.created) {
      detail += "; keeps the queue place it had from " + iso8601(a.arrival);
    }
    add(ev, id, "arrived", detail);
  }

  const core::contact empty;
  const core::contact& was = b ? *b : empty;

  if (a.messages_in > was.messages_in) {
    const auto len = message_length(ev);
    add(ev, id, "message",
        "message " + std::to_string(a.messages_in) + " in" +
            (len ? " (" + by_reference(ev.seq, *len) + ")" : std::string{}));
  }

  for (std::size_t i = was.triage_history.size(); i < a.triage_history.size(); ++i) {
    const core::triage_change& t = a.triage_history[i];
    std::string detail = (t.from == core::triage_category::unspecified
                              ? "band set to "
                              : "band " + std::string{core::triage_code(t.from)} + " -> ") +
                         band_words(engine, t.to) + ", set by " +
                         std::string{core::to_string(t.source)};
    if (!t.by.empty()) detail += " " + t.by;
    if (!t.reason.empty()) detail += ": " + t.reason;
    if (t.to != core::triage_category::unspecified) {
      detail += " (answer target " + target_of(t.to) + ")";
    }
    add(ev, id, "band", detail);
  }
  if (a.risk_rules.size() > was.risk_rules.size() &&
      a.triage_history.size() == was.triage_history.size()) {
    std::string rules;
    for (std::size_t i = was.risk_rules.size(); i < a.risk_rules.size(); ++i) {
      if (!rules.empty()) rules += ", ";
      rules += a.risk_rules[i];
    }
    add(ev, id, "risk",
        "risk rules fired: " + rules + "; band stays " + std::string{core::triage_code(a.band)} +
            (a.nurse_triaged ? " as the nurse set it" : ""));
  }

  if (a.area != was.area && b) add(ev, id, "transferred", "moved to " + area_words(a.area));

  if (a.state != was.state || !b) {
    switch (a.state) {
      case core::contact_state::scheduled:
        if (b) add(ev, id, "callback", "scheduled");
        break;
      case core::contact_state::waiting: {
        std::string why = !b ? "joined the queue"
                          : was.state == core::contact_state::scheduled
                              ? "callback due: joined the queue"
                              : "back in the queue at its first arrival";
        add(ev, id, "queued", why + ": " + queue_context(engine, a, ev.recorded_time));
        break;
      }
      case core::contact_state::active: {
        const std::string who =
            a.nurse ? "nurse " + a.nurse->value() : std::string{"someone not signed on here"};
        if (a.answered_time && (!was.answered_time || !b) && a.kind == core::channel::callback) {
          const core::duration owed = *a.answered_time - a.callback_due.value_or(a.created);
          add(ev, id, "answered",
              "callback made by " + who + ", " + plain_duration(owed) + " after it was owed (" +
                  (owed <= core::kpi::callback_target ? "within" : "outside") +
                  " the 10-minute standard)");
        } else if (a.answered_time && (!was.answered_time || !b)) {
          const core::duration waited = *a.answered_time - a.created;
          add(ev, id, "answered",
              "answered by " + who + " after " + plain_duration(waited) + " (band " +
                  std::string{core::triage_code(a.band)} + " answer target " + target_of(a.band) +
                  ")");
        } else {
          add(ev, id, "answered", "taken again by " + who);
        }
        break;
      }
      case core::contact_state::closed: {
        const core::duration since_arrival = ev.recorded_time - a.created;
        switch (a.exit) {
          case core::queue_exit::abandoned: {
            const core::duration waited =
                a.abandoned_time ? *a.abandoned_time - a.created : since_arrival;
            add(ev, id, "hung_up",
                "caller hung up before answer after " + plain_duration(waited) +
                    (waited <= core::kpi::misdial_limit
                         ? " (30 s or less: counted as a likely misdial)"
                         : " (more than 30 s: counts against the abandonment standard)"));
            break;
          }
          case core::queue_exit::failed:
            add(ev, id, "lost",
                "the telephony platform lost the call after " + plain_duration(since_arrival));
            break;
          case core::queue_exit::closed_in_queue:
            add(ev, id, "closed",
                "closed while waiting" +
                    (std::holds_alternative<core::console_command>(ev.payload)
                         ? " by nurse " + std::get<core::console_command>(ev.payload).nurse_id
                         : std::string{}));
            break;
          case core::queue_exit::redialled:
            add(ev, id, "closed", "closed: the caller rang again");
            break;
          case core::queue_exit::answered:
          case core::queue_exit::none: {
            std::string detail = "closed";
            if (a.answered_time) {
              detail += " after " + plain_duration(ev.recorded_time - *a.answered_time) + " with " +
                        (a.nurse ? "nurse " + a.nurse->value() : std::string{"staff"});
            }
            if (std::holds_alternative<core::call_event>(ev.payload)) detail += " (call ended)";
            add(ev, id, "closed", detail);
            break;
          }
        }
        break;
      }
    }
  } else if (a.state == core::contact_state::active && a.nurse != was.nurse && a.nurse) {
    add(ev, id, "transferred",
        "transferred from nurse " + (was.nurse ? was.nurse->value() : std::string{"?"}) +
            " to nurse " + a.nurse->value());
  }

  if (a.outcome_code != was.outcome_code && !a.outcome_code.empty()) {
    add(ev, id, "outcome",
        "outcome " + a.outcome_code + " (" + std::string{outcome_label(a.outcome_code)} + ")");
  }

  for (std::size_t i = was.declines.size(); i < a.declines.size(); ++i) {
    const core::contact_decline& d = a.declines[i];
    ++declines_;
    add(ev, id, "declined",
        "declined by nurse " + d.by.value() + ": " +
            (d.reason.empty() ? std::string{"no reason given"} : d.reason) +
            "; it keeps its place and is not offered to that nurse again");
  }
  for (std::size_t i = was.notes.size(); i < a.notes.size(); ++i) {
    add(ev, id, "note",
        "note by " + a.notes[i].by + " (" + by_reference(ev.seq, a.notes[i].text.size()) + ")");
  }
  for (std::size_t i = was.replies.size(); i < a.replies.size(); ++i) {
    const core::contact_reply& r = a.replies[i];
    add(ev, id, "reply",
        "reply by " + r.by + " (" + by_reference(ev.seq, r.body.size()) +
            (r.clinically_necessary ? ", clinically necessary" : "") + ")");
  }
}

void timeline_recorder::describe_effects(const core::engine& engine, const core::event& ev,
                                         const core::effects& fx, bool fell_due) {
  const auto followed = [&](std::uint64_t id) {
    return std::find(family_.begin(), family_.end(), id) != family_.end();
  };
  const auto is_due = [](const core::effect& e) {
    if (const auto* w = std::get_if<core::offer_withdrawn>(&e)) {
      return w->reason == core::withdraw_reason::timed_out;
    }
    if (const auto* n = std::get_if<core::notice>(&e)) {
      return n->kind == core::notice_kind::breach_50 || n->kind == core::notice_kind::breach_75 ||
             n->kind == core::notice_kind::breach_100 || n->kind == core::notice_kind::max_wait;
    }
    return false;
  };
  std::vector<std::string> shown;
  for (const core::effect& e : fx) {
    if (is_due(e) != fell_due) continue;
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, core::offer_made>) {
            if (!followed(x.contact.value())) return;
            ++offers_;
            add(ev, x.contact.value(), "offer",
                "offered to nurse " + x.nurse.value() + " (must be answered by " +
                    iso8601(x.expires) + ")");
          } else if constexpr (std::is_same_v<T, core::offer_withdrawn>) {
            if (!followed(x.contact.value())) return;
            // A decline already has its own line, with the reason.
            if (x.reason == core::withdraw_reason::declined) return;
            if (x.reason == core::withdraw_reason::timed_out) {
              ++offer_timeouts_;
              const auto was = before_.find(x.contact.value());
              const std::string expired =
                  was != before_.end() && was->second.offer_expires
                      ? " (expired " + iso8601(*was->second.offer_expires) + ")"
                      : std::string{};
              add(ev, x.contact.value(), "offer_timeout",
                  "offer to nurse " + x.nurse.value() + " timed out: not answered within " +
                      plain_duration(engine.config().queue.offer_timeout) + expired +
                      "; the nurse was put on a break and the contact kept its place");
              return;
            }
            add(ev, x.contact.value(), "offer_withdrawn",
                "offer to nurse " + x.nurse.value() +
                    " withdrawn: " + std::string{withdraw_words(x.reason)});
          } else if constexpr (std::is_same_v<T, core::notice>) {
            if (!followed(x.contact_id) || !notice_worth_showing(x)) return;
            if (std::find(shown.begin(), shown.end(), x.text) != shown.end()) return;
            shown.push_back(x.text);
            add(ev, x.contact_id, "notice",
                std::string{x.to == core::notice::audience::supervisors ? "supervisors"
                                                                        : "nurse " + x.nurse_id} +
                    " told (" + x.kind + "): " + x.text);
          } else if constexpr (std::is_same_v<T, core::command_rejected>) {
            const auto* cmd = std::get_if<core::console_command>(&ev.payload);
            if (!cmd) return;
            const auto target = command_target(*cmd);
            if (!target || !followed(*target)) return;
            add(ev, *target, "refused",
                "nurse " + x.nurse.value() + "'s " + x.command + " was refused: " + x.reason);
          } else if constexpr (std::is_same_v<T, core::contact_assigned>) {
            // Shown as the contact's change of state (answered, transferred).
          } else if constexpr (std::is_same_v<T, core::send_text>) {
            // The reply that asked for it already has its own line.
          } else if constexpr (std::is_same_v<T, core::dispatch_update>) {
            if (!followed(x.contact.value())) return;
            add(ev, x.contact.value(), "dispatch",
                "incident " + std::to_string(x.incident.value()) + ": " + x.text);
          } else if constexpr (std::is_same_v<T, core::dispatch::crew_alert> ||
                               std::is_same_v<T, core::dispatch::crew_stand_down>) {
            // For the crew's device; the nurse's side is the dispatch update.
          } else if constexpr (std::is_same_v<T, core::contact_changed> ||
                               std::is_same_v<T, core::nurse_changed> ||
                               std::is_same_v<T, core::queue_changed>) {
            // Markers for live consoles; the changes themselves have their own lines.
          } else {
            static_assert(!sizeof(T), "unhandled effect");
          }
        },
        e);
  }
}

contact_explanation timeline_recorder::result(const core::engine& engine) const {
  contact_explanation x;
  x.contact = id_.value();
  if (const core::contact* c = engine.find_contact(id_)) x.final_state = *c;
  x.related.assign(family_.begin() + 1, family_.end());
  x.timeline = entries_;
  x.offers = offers_;
  x.declines = declines_;
  x.offer_timeouts = offer_timeouts_;
  return x;
}

std::string render_explanation_text(const contact_explanation& x) {
  std::string out;
  if (!x.final_state) return "No contact " + std::to_string(x.contact) + " in the log.\n";
  const core::contact& c = *x.final_state;
  out += "Contact " + std::to_string(x.contact) + ": " + std::string{core::to_string(c.kind)} +
         " via " + std::string{core::kpi::route_name(c.route)} + ", " + area_words(c.area) +
         ", band " + std::string{core::triage_code(c.band)} + " (set by " +
         std::string{core::to_string(c.band_set_by)} + "), " +
         std::string{core::to_string(c.state)} + "\n";
  out += "  Arrived   " + iso8601(c.created) + "\n";
  if (c.answered_time) {
    out += "  Answered  " + iso8601(*c.answered_time) + " after " +
           plain_duration(*c.answered_time - c.created) +
           (c.nurse ? " by nurse " + c.nurse->value() : "") + "\n";
  } else if (c.abandoned_time) {
    out += "  Hung up   " + iso8601(*c.abandoned_time) + " after " +
           plain_duration(*c.abandoned_time - c.created) + " without an answer\n";
  }
  if (c.closed_time) {
    out += "  Closed    " + iso8601(*c.closed_time) + ", exit " +
           std::string{core::to_string(c.exit)} +
           (c.outcome_code.empty() ? ""
                                   : ", outcome " + c.outcome_code + " (" +
                                         std::string{outcome_label(c.outcome_code)} + ")") +
           "\n";
  }
  out += "  Offers " + std::to_string(x.offers) + ", declined " + std::to_string(x.declines) +
         ", timed out " + std::to_string(x.offer_timeouts);
  if (!c.risk_rules.empty()) {
    out += "; risk rules fired:";
    for (const auto& r : c.risk_rules) out += " " + r;
  }
  out += "\n";
  if (!x.related.empty()) {
    out += "  Also followed:";
    for (const auto r : x.related) out += " contact " + std::to_string(r);
    out += "\n";
  }
  out += "\nTimeline (seq, time UTC, contact, what):\n";
  for (const timeline_entry& e : x.timeline) {
    std::string seq = std::to_string(e.seq);
    if (seq.size() < 6) seq.insert(0, 6 - seq.size(), ' ');
    std::string what = e.what;
    if (what.size() < 16) what.append(16 - what.size(), ' ');
    out += seq + "  " + iso8601(e.at) + "  #" + std::to_string(e.contact) + "  " + what + e.detail +
           "\n";
  }
  return out;
}

std::string render_explanation_json(const contact_explanation& x) {
  json::array timeline;
  for (const timeline_entry& e : x.timeline) {
    timeline.push_back(json::object{{"seq", e.seq},
                                    {"at", iso8601(e.at)},
                                    {"contact", e.contact},
                                    {"what", e.what},
                                    {"detail", e.detail}});
  }
  json::object top{{"contact", x.contact}, {"found", x.final_state.has_value()}};
  if (x.final_state) {
    const core::contact& c = *x.final_state;
    const auto opt = [](const std::optional<core::timestamp>& t) {
      return t ? json::value(iso8601(*t)) : json::value(nullptr);
    };
    top["channel"] = core::to_string(c.kind);
    top["route"] = core::kpi::route_name(c.route);
    top["area"] = c.area;
    top["band"] = core::triage_code(c.band);
    top["band_set_by"] = core::to_string(c.band_set_by);
    top["state"] = core::to_string(c.state);
    top["exit"] = core::to_string(c.exit);
    top["outcome_code"] = c.outcome_code;
    top["arrived"] = iso8601(c.created);
    top["answered"] = opt(c.answered_time);
    top["abandoned"] = opt(c.abandoned_time);
    top["closed"] = opt(c.closed_time);
    top["nurse"] = c.nurse ? json::value(c.nurse->value()) : json::value(nullptr);
    top["risk_rules"] = json::value_from(c.risk_rules);
  }
  json::array related;
  for (const auto r : x.related) related.push_back(r);
  top["related"] = std::move(related);
  top["offers"] = x.offers;
  top["declines"] = x.declines;
  top["offer_timeouts"] = x.offer_timeouts;
  top["timeline"] = std::move(timeline);
  return json::serialize(top) + "\n";
}

}  // namespace crisisline::app
