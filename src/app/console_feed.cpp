#include "app/console_feed.hpp"

#include "app/dispatch_endpoints.hpp"

#include <algorithm>
#include <type_traits>

#include "app/state_json.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace {

// The contact an effect is about, whatever its kind: crew and dispatch
// effects that name a contact reach its consoles without the feed knowing them.
template <typename T>
std::uint64_t named_contact(const T& e) {
  if constexpr (requires { e.contact.value(); }) {
    return e.contact.value();
  } else if constexpr (requires { e.contact_id; }) {
    return static_cast<std::uint64_t>(e.contact_id);
  } else {
    return 0;
  }
}

json::object notice_json(const core::notice& n) {
  return {{"kind", n.kind},
          {"text", n.text},
          {"contact_id", n.contact_id == 0 ? json::value(nullptr) : json::value(n.contact_id)},
          {"audience", n.to == core::notice::audience::supervisors ? "supervisors" : "nurse"}};
}

}  // namespace

bool console_feed::pending::empty() const {
  return contacts.empty() && !nurse && nurses.empty() && !queue && notices.empty();
}

console_feed::console_feed(const core::engine& engine, feed_settings settings,
                           std::function<core::timestamp()> now, schedule_fn schedule)
    : engine_(engine),
      settings_(settings),
      now_(std::move(now)),
      schedule_(std::move(schedule)),
      horizon_(engine.stats().last_seq) {}

void console_feed::on_commit(std::uint64_t seq, const core::effects& fx) {
  change c;
  c.seq = seq;
  std::set<std::uint64_t> contacts;
  for (const core::effect& e : fx) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if (const auto id = named_contact(x); id != 0) contacts.insert(id);
          if constexpr (std::is_same_v<T, core::notice>) {
            c.notices.push_back(x);
          } else if constexpr (std::is_same_v<T, core::nurse_changed>) {
            c.nurses.insert(x.nurse.value());
          } else if constexpr (std::is_same_v<T, core::offer_made> ||
                               std::is_same_v<T, core::offer_withdrawn> ||
                               std::is_same_v<T, core::contact_assigned>) {
            c.nurses.insert(x.nurse.value());
          } else if constexpr (std::is_same_v<T, core::queue_changed>) {
            c.queue = true;
          }
        },
        e);
  }
  c.contacts.assign(contacts.begin(), contacts.end());
  if (c.contacts.empty() && c.nurses.empty() && !c.queue && c.notices.empty()) return;

  bool any = false;
  for (auto& s : subscribers_) {
    add(*s, c);
    any = any || !s->due.empty();
  }
  ring_.push_back(std::move(c));
  while (ring_.size() > settings_.replay_changes) {
    horizon_ = ring_.front().seq;
    ring_.pop_front();
  }
  if (any) schedule_flush();
}

void console_feed::add(subscriber& s, const change& c) const {
  const std::string& me = s.who.id;
  const bool my_nurse_changed = c.nurses.contains(me);
  for (const core::notice& n : c.notices) {
    const bool mine = n.to == core::notice::audience::nurse ? n.nurse_id == me : s.sees_all;
    if (mine) s.due.notices.push_back(notice_json(n));
  }
  for (const std::uint64_t id : c.contacts) {
    const core::contact* k = engine_.find_contact(core::contact_id{id});
    if (!k) continue;
    // Mine now, or it may just have stopped being mine (my state changed with it).
    const bool mine = (k->nurse && k->nurse->value() == me) ||
                      (k->offered_to && k->offered_to->value() == me) || my_nurse_changed;
    if (s.sees_all || mine) s.due.contacts.insert(id);
  }
  if (my_nurse_changed) s.due.nurse = true;
  if (s.sees_all) s.due.nurses.insert(c.nurses.begin(), c.nurses.end());
  if (c.queue) s.due.queue = true;
}

json::object console_feed::snapshot(const subscriber& s) const {
  const auto now = now_();
  const core::nurse_id me{s.who.id};
  const auto rows = engine_.queue_snapshot(now);
  json::array queue;
  for (const auto& q : rows) {
    if (queue.size() >= settings_.queue_rows) break;
    queue.push_back(queue_entry_json(q));
  }
  const auto nurse = engine_.find_nurse(me);
  json::object frame{{"seq", engine_.stats().last_seq},
                     {"type", "snapshot"},
                     {"queue", std::move(queue)},
                     {"queue_totals", queue_totals_json(rows)},
                     {"offers", offers_json(engine_, me, now)},
                     {"contacts", my_contacts_json(engine_, me)},
                     {"nurse", nurse ? json::value(nurse_json(*nurse)) : json::value(nullptr)},
                     {"notices", json::array{}}};
  if (s.sees_all) {
    json::array nurses;
    for (const auto& n : engine_.nurses()) nurses.push_back(nurse_json(n));
    frame["nurses"] = std::move(nurses);
  }
  return frame;
}

json::object console_feed::update(const subscriber& s) const {
  const auto now = now_();
  const core::nurse_id me{s.who.id};
  json::object frame{
      {"seq", engine_.stats().last_seq}, {"type", "update"}, {"queue_changed", s.due.queue}};
  if (s.due.queue) {
    const auto rows = engine_.queue_snapshot(now);
    json::array queue;
    for (const auto& q : rows) {
      if (queue.size() >= settings_.queue_rows) break;
      queue.push_back(queue_entry_json(q));
    }
    frame["queue"] = std::move(queue);
    frame["queue_totals"] = queue_totals_json(rows);
  }
  if (s.due.nurse) {
    const auto nurse = engine_.find_nurse(me);
    frame["nurse"] = nurse ? json::value(nurse_json(*nurse)) : json::value(nullptr);
    frame["offers"] = offers_json(engine_, me, now);
  }
  json::array contacts;
  for (const std::uint64_t id : s.due.contacts) {
    if (const core::contact* c = engine_.find_contact(core::contact_id{id})) {
      auto entry = console_contact_json(*c);
      // Crew progress (en route, on scene...) reaches the nurse this way.
      if (auto incidents = contact_dispatch_json(engine_, c->id); !incidents.empty())
        entry["dispatch"] = std::move(incidents);
      contacts.push_back(std::move(entry));
    }
  }
  frame["contacts"] = std::move(contacts);
  if (!s.due.nurses.empty()) {
    json::array nurses;
    for (const std::string& id : s.due.nurses) {
      const auto n = engine_.find_nurse(core::nurse_id{id});
      // A nurse who signed off is shown as gone.
      nurses.push_back(n ? nurse_json(*n) : json::object{{"nurse_id", id}, {"signed_off", true}});
    }
    frame["nurses"] = std::move(nurses);
  }
  frame["notices"] = s.due.notices;
  return frame;
}

void console_feed::send(subscriber& s, const json::object& frame) {
  // A full queue closes the connection (1013) in the transport; on_close
  // then drops the subscriber.
  (void)s.conn->send(json::serialize(frame), false);
  s.due = pending{};
}

net::ws_callbacks console_feed::subscribe(std::shared_ptr<net::ws_connection> conn,
                                          const principal& who,
                                          std::optional<std::uint64_t> since) {
  auto s = std::make_shared<subscriber>();
  s->conn = std::move(conn);
  s->who = who;
  s->sees_all = who.role == staff_role::supervisor || who.role == staff_role::admin;
  const std::uint64_t last = engine_.stats().last_seq;
  if (since && *since >= horizon_ && *since <= last) {
    for (const change& c : ring_) {
      if (c.seq > *since) add(*s, c);
    }
    send(*s, update(*s));
  } else {
    send(*s, snapshot(*s));
  }
  // Too big a first frame for the socket closes it at once: nothing to keep.
  if (s->conn->is_open()) subscribers_.push_back(s);
  std::weak_ptr<subscriber> weak = s;
  return net::ws_callbacks{.on_message =
                               [](std::string, bool) {
                                 // Consoles act through the HTTP API; the feed only speaks.
                               },
                           .on_close =
                               [this, weak](std::uint16_t, const std::string&) {
                                 const auto gone = weak.lock();
                                 std::erase_if(subscribers_,
                                               [&](const auto& x) { return x == gone; });
                               }};
}

void console_feed::flush() {
  flush_scheduled_ = false;
  // A send may close a slow console, whose on_close leaves subscribers_:
  // walk a copy that keeps each alive.
  const auto all = subscribers_;
  for (const auto& s : all) {
    if (!s->due.empty() && s->conn->is_open()) send(*s, update(*s));
  }
}

void console_feed::close_signed_out(const std::function<bool(const principal&)>& signed_in) {
  // close() may run on_close, which leaves subscribers_: walk a copy.
  const auto all = subscribers_;
  for (const auto& s : all) {
    if (signed_in(s->who) || !s->conn->is_open()) continue;
    s->conn->close(session_ended_code, session_ended_reason);
    std::erase(subscribers_, s);
  }
}

void console_feed::schedule_flush() {
  if (flush_scheduled_) return;
  flush_scheduled_ = true;
  schedule_(settings_.flush_interval, [this] { flush(); });
}

}  // namespace crisisline::app
