#include "app/crew_feed.hpp"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <atomic>
#include <set>

#include "app/staff_actor.hpp"
#include "codec/dispatch_codec.hpp"
#include "codec/event_codec.hpp"
#include "log/log.hpp"

namespace crisisline::app {
namespace d = core::dispatch;

namespace {

// The reason of a refused command among the effects of its event, or "".
std::string refusal(const event_pipeline::outcome& o) {
  for (const auto& fx : o.effects)
    if (const auto* r = std::get_if<core::command_rejected>(&fx)) return r->reason;
  return {};
}

// Unique within this process and across restarts (the start time is part of
// it): for events whose retry the feed itself never repeats.
std::string next_event_id() {
  static const auto boot = core::to_micros(
      std::chrono::time_point_cast<core::duration>(std::chrono::system_clock::now()));
  static std::atomic<std::uint64_t> counter{0};
  return std::to_string(boot) + "-" + std::to_string(++counter);
}

}  // namespace

v1::CrewAlert to_frame(const d::crew_alert& a) {
  v1::CrewAlert f;
  f.set_id(a.alert_number);
  f.set_incident_id(a.incident.value());
  f.set_unit_id(a.unit.value());
  f.set_call_sign(a.call_sign);
  f.set_repeat(a.repeat);
  *f.mutable_assigned_at() = codec::to_proto_time(a.assigned_at);
  f.set_category(codec::to_proto(a.category));
  if (a.target) {
    f.set_has_target(true);
    f.set_target_seconds(static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::seconds>(*a.target).count()));
  }
  if (a.coordinates) *f.mutable_coordinates() = codec::to_proto_point(*a.coordinates);
  f.set_address(a.address);
  f.set_area(a.area.value());
  for (const auto& s : a.required_skills) f.add_required_skills(s);
  if (a.police) {
    f.mutable_police()->set_reason(codec::to_proto(a.police->reason));
    f.mutable_police()->set_detail(a.police->detail);
  }
  f.set_note(a.note);
  f.set_assign_note(a.assign_note);
  f.set_linked_contacts(static_cast<std::uint32_t>(a.contacts.size()));
  for (const auto& u : a.other_units) f.add_other_units(u);
  if (a.diverted_from) f.set_diverted_from(a.diverted_from->value());
  for (const auto& s : a.stacked_behind) f.add_stacked_behind(s.value());
  return f;
}

// One connected device. Owned by the feed; callbacks hold weak pointers, so
// a result arriving after the connection closed is dropped.
class crew_feed::session : public std::enable_shared_from_this<session> {
 public:
  session(crew_feed& feed, principal who, std::shared_ptr<net::ws_connection> conn)
      : feed_(feed),
        who_(std::move(who)),
        conn_(std::move(conn)),
        json_(conn_->subprotocol() == crew_feed_json) {}

  void on_message(const std::string& payload, bool binary) {
    v1::CrewClientFrame f;
    if (binary == json_ || !parse(payload, f)) {
      return send_error("", json_ ? "not a CrewClientFrame in the protobuf JSON mapping"
                                  : "not a binary CrewClientFrame");
    }
    const std::string& rid = f.request_id();
    switch (f.frame_case()) {
      case v1::CrewClientFrame::kSignOn:
        return sign_on(rid, f.sign_on());
      case v1::CrewClientFrame::kResume:
        return resume(rid, f.resume().since(), f.resume().stand_downs_since());
      case v1::CrewClientFrame::kAck:
        return ack(rid, f.ack().alert_id());
      case v1::CrewClientFrame::kStatus:
        return status(rid, f.status());
      case v1::CrewClientFrame::kLocation:
        return location(rid, f.location());
      case v1::CrewClientFrame::kSignOff:
        return sign_off(rid);
      case v1::CrewClientFrame::FRAME_NOT_SET:
        return send_error(rid, "the frame is empty");
    }
  }

  [[nodiscard]] const principal& who() const { return who_; }
  [[nodiscard]] net::ws_connection& connection() { return *conn_; }

  // A new alert (or re-alert) for the unit this device is on.
  void deliver(const d::crew_alert& a) {
    if (!unit_ || *unit_ != a.unit) return;
    send_alert(a);
  }

  void deliver(const d::crew_stand_down& s) {
    if (!unit_ || *unit_ != s.unit) return;
    // Once per connection, like alerts.
    if (!stand_downs_sent_.insert(s.number).second) return;
    v1::CrewServerFrame f;
    auto* n = f.mutable_stand_down();
    n->set_id(s.number);
    n->set_incident_id(s.incident.value());
    n->set_reason(codec::to_proto(s.reason));
    n->set_note(s.note);
    if (s.divert_to) n->set_divert_to(s.divert_to->value());
    send(std::move(f));
  }

 private:
  bool parse(const std::string& payload, v1::CrewClientFrame& f) const {
    if (!json_) return f.ParseFromString(payload);
    return google::protobuf::util::JsonStringToMessage(payload, &f).ok();
  }

  void send(v1::CrewServerFrame f, const std::string& request_id = {}) {
    f.set_seq(++seq_);
    f.set_request_id(request_id);
    std::string out;
    if (json_) {
      (void)google::protobuf::util::MessageToJsonString(f, &out);
    } else {
      out = f.SerializeAsString();
    }
    conn_->send(std::move(out), !json_);
  }

  void send_error(const std::string& rid, std::string reason) {
    v1::CrewServerFrame f;
    f.mutable_error()->set_reason(std::move(reason));
    send(std::move(f), rid);
  }

  void send_alert(const d::crew_alert& a) {
    // Once per connection: a resume racing a live alert must not duplicate it.
    if (!sent_.insert(a.alert_number).second) return;
    v1::CrewServerFrame f;
    *f.mutable_alert() = to_frame(a);
    send(std::move(f));
    feed_.record_alert_sent(a);
  }

  v1::Actor actor() const {
    v1::Actor a = to_actor(who_);
    a.set_kind(v1::Actor::CREW);
    return a;
  }

  v1::Event event(std::string source_event_id) const {
    v1::Event e;
    e.set_source("crew-feed");
    e.set_source_event_id(std::move(source_event_id));
    *e.mutable_actor() = actor();
    return e;
  }

  // Submits `e`; `done` runs with the refusal reason ("" when accepted) on
  // the io thread after the commit, unless the connection closed meanwhile.
  void submit(v1::Event e, const std::string& rid,
              std::function<void(session&, const std::string& refused)> done) {
    std::vector<v1::Event> events;
    events.push_back(std::move(e));
    const auto status =
        feed_.submit_(std::move(events), [weak = weak_from_this(), done = std::move(done)](
                                             const std::vector<event_pipeline::outcome>& out) {
          const auto self = weak.lock();
          if (!self || !self->conn_->is_open()) return;
          done(*self, out.empty() ? std::string{} : refusal(out.front()));
        });
    if (status != store::writer::submit_status::accepted)
      send_error(rid, "the server is busy or stopping; nothing was recorded, send it again");
  }

  // The unit this crew member is signed on to, as the engine knows it.
  std::optional<core::unit_id> engine_unit() const {
    core::actor a{core::actor_kind::crew, who_.id, "crew", who_.session};
    const auto info = feed_.engine_.dispatch_actor(a, nullptr);
    if (!info || info->unit.value().empty()) return std::nullopt;
    return info->unit;
  }

  // signedOn, then the stand-downs above `stand_downs_since` (none when it
  // is nullopt: a fresh sign-on has no job to be stood down from), then the
  // unacknowledged alerts above `since`.
  void signed_on(const std::string& rid, const core::unit_id& u, std::uint64_t since,
                 std::optional<std::uint64_t> stand_downs_since) {
    unit_ = u;
    const auto& board = feed_.engine_.board();
    const auto* found = board.find_unit(u);
    v1::CrewServerFrame f;
    auto* on = f.mutable_signed_on();
    on->set_unit_id(u.value());
    on->set_latest_stand_down(board.latest_stand_down(u));
    if (found) {
      on->set_call_sign(found->config.call_sign);
      on->set_state(codec::to_proto(found->state));
      if (const auto cur = found->current()) on->set_current_incident_id(cur->value());
    }
    if (const auto job = board.acknowledged_job(u)) *on->mutable_current_job() = to_frame(*job);
    send(std::move(f), rid);
    if (stand_downs_since)
      for (const auto& s : board.stand_downs_since(u, *stand_downs_since)) deliver(s);
    for (const auto& a : board.unacknowledged_alerts(u))
      if (a.alert_number > since) send_alert(a);
  }

  void sign_on(const std::string& rid, const v1::CrewSignOnRequest& r) {
    const core::unit_id u{r.unit_id()};
    if (engine_unit() == u) return signed_on(rid, u, 0, std::nullopt);
    v1::DispatchCommand c;
    auto* s = c.mutable_crew_sign_on();
    s->set_unit_id(r.unit_id());
    for (const auto& m : r.crew()) s->add_crew(m);
    if (!r.skills().empty()) *s->mutable_skills()->mutable_skills() = r.skills();
    if (r.has_location()) *s->mutable_location() = r.location();
    if (auto problem = codec::dispatch_problem(c)) return send_error(rid, *problem);
    auto e = event(next_event_id());
    *e.mutable_dispatch() = std::move(c);
    submit(std::move(e), rid, [rid, u](session& self, const std::string& refused) {
      if (!refused.empty()) return self.send_error(rid, refused);
      self.signed_on(rid, u, 0, std::nullopt);
    });
  }

  void resume(const std::string& rid, std::uint64_t since, std::uint64_t stand_downs_since) {
    const auto u = engine_unit();
    if (!u) return send_error(rid, "you are not signed on to a unit: sign on first");
    signed_on(rid, *u, since, stand_downs_since);
  }

  void location(const std::string& rid, const v1::CrewLocationUpdate& l) {
    const auto u = engine_unit();
    if (!u) return send_error(rid, "you are not signed on to a unit: sign on first");
    if (!l.has_location()) return send_error(rid, "location is required");
    auto e = event(next_event_id());
    auto* c = e.mutable_dispatch()->mutable_crew_location();
    c->set_unit_id(u->value());
    *c->mutable_location() = l.location();
    if (l.has_at()) *c->mutable_at() = l.at();
    submit(std::move(e), rid, [rid, on = *u](session& self, const std::string& refused) {
      if (!refused.empty()) return self.send_error(rid, refused);
      self.answer_status(rid, on);
    });
  }

  // statusResult with the unit's state and current incident now.
  void answer_status(const std::string& rid, const core::unit_id& on) {
    const auto* unit = feed_.engine_.board().find_unit(on);
    v1::CrewServerFrame f;
    if (unit) {
      f.mutable_status_result()->set_state(codec::to_proto(unit->state));
      if (const auto cur = unit->current())
        f.mutable_status_result()->set_incident_id(cur->value());
    }
    send(std::move(f), rid);
  }

  void sign_off(const std::string& rid) {
    const auto u = engine_unit();
    if (!u) return send_error(rid, "you are not signed on to a unit");
    auto e = event(next_event_id());
    e.mutable_dispatch()->mutable_crew_sign_off()->set_unit_id(u->value());
    submit(std::move(e), rid, [rid](session& self, const std::string& refused) {
      if (!refused.empty()) return self.send_error(rid, refused);
      self.unit_.reset();
      v1::CrewServerFrame f;
      f.mutable_status_result()->set_state(v1::UNIT_UNAVAILABLE);
      self.send(std::move(f), rid);
    });
  }

  void ack(const std::string& rid, std::uint64_t alert_id) {
    const auto u = engine_unit();
    if (!u) return send_error(rid, "you are not signed on to a unit: sign on first");
    const auto* unit = feed_.engine_.board().find_unit(*u);
    std::optional<core::incident_id> incident;
    bool already = false;
    for (const auto& [id, inc] : feed_.engine_.board().incidents()) {
      for (const auto& a : inc.assignments) {
        if (a.unit != *u || a.alert_number != alert_id) continue;
        incident = id;
        already = a.stage != core::unit_state::assigned && a.stage != core::unit_state::alerted;
      }
    }
    if (!unit || !incident) return send_error(rid, "there is no alert " + std::to_string(alert_id));
    const auto answer = [rid, alert_id, inc = *incident](session& self, bool before) {
      v1::CrewServerFrame f;
      f.mutable_ack_result()->set_alert_id(alert_id);
      f.mutable_ack_result()->set_incident_id(inc.value());
      f.mutable_ack_result()->set_already_acknowledged(before);
      self.send(std::move(f), rid);
    };
    if (already) return answer(*this, true);
    auto e = event("ack:" + u->value() + ":" + std::to_string(alert_id));
    auto* a = e.mutable_dispatch()->mutable_acknowledge();
    a->set_incident_id(incident->value());
    a->set_unit_id(u->value());
    submit(std::move(e), rid, [rid, answer](session& self, const std::string& refused) {
      if (!refused.empty()) return self.send_error(rid, refused);
      answer(self, false);
    });
  }

  void status(const std::string& rid, const v1::CrewStatusUpdate& s) {
    const auto u = engine_unit();
    if (!u) return send_error(rid, "you are not signed on to a unit: sign on first");
    auto e = event(next_event_id());
    auto* cs = e.mutable_crew_status();
    cs->set_unit_id(u->value());
    cs->set_state(s.state());
    cs->set_incident_id(s.incident_id());
    if (s.has_location()) *cs->mutable_location() = s.location();
    cs->set_reason(s.reason());
    cs->set_destination(s.destination());
    if (s.has_at()) *e.mutable_occurred_time() = s.at();
    submit(std::move(e), rid, [rid, on = *u](session& self, const std::string& refused) {
      if (!refused.empty()) return self.send_error(rid, refused);
      self.answer_status(rid, on);
    });
  }

  crew_feed& feed_;
  principal who_;
  std::shared_ptr<net::ws_connection> conn_;
  bool json_;
  std::uint64_t seq_ = 0;
  std::optional<core::unit_id> unit_;
  std::set<std::uint64_t> sent_;
  std::set<std::uint64_t> stand_downs_sent_;
};

crew_feed::crew_feed(const core::engine& engine, submit_fn submit)
    : engine_(engine), submit_(std::move(submit)) {}

crew_feed::~crew_feed() = default;

net::ws_decision crew_feed::accept(const principal& who, const net::http_request& req) {
  for (const auto& p : net::offered_subprotocols(req)) {
    if (p != crew_feed_proto && p != crew_feed_json) continue;
    return net::ws_accept{.subprotocol = p,
                          .on_open = [this, who](auto conn) { return open(who, std::move(conn)); }};
  }
  return net::http_response::error(
      400, "unsupported_subprotocol",
      std::string("offer the subprotocol ") + crew_feed_proto + " or " + crew_feed_json);
}

net::ws_callbacks crew_feed::open(const principal& who, std::shared_ptr<net::ws_connection> conn) {
  auto s = std::make_shared<session>(*this, who, std::move(conn));
  const session* key = s.get();
  sessions_.emplace(key, s);
  std::weak_ptr<session> weak = s;
  return net::ws_callbacks{
      .on_message =
          [weak](std::string payload, bool binary) {
            if (const auto self = weak.lock()) self->on_message(payload, binary);
          },
      .on_close = [this, key](std::uint16_t, const std::string&) { sessions_.erase(key); }};
}

void crew_feed::on_effects(const core::effects& fx) {
  for (const auto& f : fx) {
    if (const auto* a = std::get_if<d::crew_alert>(&f)) {
      for (const auto& [key, s] : sessions_) s->deliver(*a);
    } else if (const auto* s = std::get_if<d::crew_stand_down>(&f)) {
      for (const auto& [key, ss] : sessions_) ss->deliver(*s);
    }
  }
}

void crew_feed::close_signed_out(const std::function<bool(const principal&)>& signed_in) {
  std::vector<std::shared_ptr<session>> ended;
  for (const auto& [key, s] : sessions_)
    if (!signed_in(s->who())) ended.push_back(s);
  // close() may run on_close, which erases from sessions_.
  for (const auto& s : ended) {
    if (s->connection().is_open()) s->connection().close(session_ended_code, session_ended_reason);
    sessions_.erase(s.get());
  }
}

void crew_feed::record_alert_sent(const d::crew_alert& a) {
  const auto* inc = engine_.board().find_incident(a.incident);
  const auto* assignment = inc ? inc->live_assignment(a.unit) : nullptr;
  // Only the first delivery moves the unit to alerted; a re-alert or a second
  // device changes nothing.
  if (!assignment || assignment->stage != core::unit_state::assigned) return;
  const assignment_key key{a.incident.value(), a.unit.value()};
  if (!alert_sent_in_flight_->insert(key).second) return;
  v1::Event e;
  e.set_source("crew-feed");
  // One per alert: a duplicate after a restart is recognised by the log.
  e.set_source_event_id("alert-sent:" + std::to_string(a.alert_number));
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  e.mutable_actor()->set_id("crew_feed");
  auto* c = e.mutable_dispatch()->mutable_alert_sent();
  c->set_incident_id(a.incident.value());
  c->set_unit_id(a.unit.value());
  std::vector<v1::Event> events;
  events.push_back(std::move(e));
  const std::weak_ptr<std::set<assignment_key>> in_flight = alert_sent_in_flight_;
  const auto done = [in_flight, key](const auto&) {
    if (const auto set = in_flight.lock()) set->erase(key);
  };
  if (submit_(std::move(events), done) != store::writer::submit_status::accepted) {
    // The ack timeout counts from the assignment, so a lost alert_sent is
    // still caught; the next delivery tries again.
    alert_sent_in_flight_->erase(key);
    log::warn("alert_sent not recorded", {{"alert", a.alert_number}});
  }
}

}  // namespace crisisline::app
