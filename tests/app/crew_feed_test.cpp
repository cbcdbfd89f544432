#include <catch2/catch.hpp>

#include <google/protobuf/util/json_util.h>

#include <map>
#include <set>

#include "app/crew_feed.hpp"
#include "codec/dispatch_codec.hpp"
#include "codec/event_codec.hpp"

using namespace crisisline;
namespace d = core::dispatch;

namespace {

// A connection that keeps what the feed sends.
class fake_connection final : public net::ws_connection {
 public:
  explicit fake_connection(std::string subprotocol) : subprotocol_(std::move(subprotocol)) {}

  bool send(std::string payload, bool binary) override {
    if (!open_) return false;
    sent.push_back({std::move(payload), binary});
    return true;
  }
  void close(std::uint16_t, std::string) override { open_ = false; }
  [[nodiscard]] std::size_t queued_bytes() const override { return 0; }
  [[nodiscard]] bool is_open() const override { return open_; }
  [[nodiscard]] const std::string& subprotocol() const override { return subprotocol_; }
  [[nodiscard]] const std::string& remote_address() const override { return address_; }

  struct frame {
    std::string payload;
    bool binary = false;
  };
  std::vector<frame> sent;

 private:
  std::string subprotocol_;
  std::string address_ = "127.0.0.1";
  bool open_ = true;
};

// The event path without SQLite: each submitted event gets the next seq,
// duplicates (source + source_event_id) are recognised, the engine applies
// it, `done` runs, then the effects go to the feed, as event_pipeline does.
// `hold` keeps submissions uncommitted until release().
struct fake_log {
  core::engine engine;
  app::crew_feed* feed = nullptr;
  std::vector<v1::Event> events;
  std::map<std::string, std::uint64_t> keys;
  core::timestamp now = core::from_micros(1'700'000'000'000'000);
  bool hold = false;
  std::vector<std::pair<std::vector<v1::Event>, app::event_pipeline::done_fn>> held;

  explicit fake_log(core::settings s) : engine(std::move(s)) {}

  app::crew_feed::submit_fn submit() {
    return [this](std::vector<v1::Event> batch, app::event_pipeline::done_fn done) {
      if (hold) {
        held.emplace_back(std::move(batch), std::move(done));
      } else {
        commit(std::move(batch), done);
      }
      return store::writer::submit_status::accepted;
    };
  }

  void release() {
    auto pending = std::move(held);
    held.clear();
    for (auto& [batch, done] : pending) commit(std::move(batch), done);
  }

  void commit(std::vector<v1::Event> batch, const app::event_pipeline::done_fn& done) {
    std::vector<app::event_pipeline::outcome> out;
    for (auto& e : batch) {
      const std::string key = e.source() + "\n" + e.source_event_id();
      if (const auto it = keys.find(key); it != keys.end()) {
        out.push_back({it->second, true, {}});
        continue;
      }
      e.set_seq(events.size() + 1);
      *e.mutable_recorded_time() = codec::to_proto_time(now);
      keys[key] = e.seq();
      events.push_back(e);
      out.push_back({e.seq(), false, engine.apply(codec::to_core(e))});
    }
    done(out);
    for (const auto& o : out)
      if (feed) feed->on_effects(o.effects);
  }

  // A command from a nurse or the system, straight into the log.
  core::effects command(const d::command& c, v1::Actor::Kind kind = v1::Actor::STAFF,
                        const std::string& role = "supervisor") {
    v1::Event e;
    e.set_source("test");
    e.set_source_event_id(std::to_string(events.size() + 1000));
    e.mutable_actor()->set_kind(kind);
    e.mutable_actor()->set_id("sam");
    e.mutable_actor()->set_role(role);
    *e.mutable_dispatch() = codec::to_proto(c);
    core::effects fx;
    commit({e}, [&](const auto& out) { fx = out.at(0).effects; });
    return fx;
  }
};

core::settings one_car() {
  core::settings s;
  s.dispatch.units = {d::unit_config{.id = core::unit_id{"u1"},
                                     .call_sign = "MHRC1",
                                     .skills = {"mh_paramedic", "mh_nurse"},
                                     .base = {50.90, -1.40},
                                     .area = {},
                                     .shifts = {},
                                     .speed_kmh = {}},
                      d::unit_config{.id = core::unit_id{"u2"},
                                     .call_sign = "MHRC2",
                                     .skills = {"mh_paramedic"},
                                     .base = {50.80, -1.10},
                                     .area = {},
                                     .shifts = {},
                                     .speed_kmh = {}}};
  return s;
}

const app::principal alice{.id = "alice", .role = app::staff_role::crew, .session = "s1"};

// A device: a connection opened on the feed, frames in and out.
struct device {
  std::shared_ptr<fake_connection> conn;
  net::ws_callbacks cb;
  std::size_t read_ = 0;
  bool json = false;

  device(app::crew_feed& feed, const app::principal& who, bool as_json = false)
      : conn(std::make_shared<fake_connection>(as_json ? app::crew_feed_json
                                                       : app::crew_feed_proto)),
        json(as_json) {
    cb = feed.open(who, conn);
  }

  void send(const v1::CrewClientFrame& f) {
    std::string out;
    if (json) {
      REQUIRE(google::protobuf::util::MessageToJsonString(f, &out).ok());
    } else {
      out = f.SerializeAsString();
    }
    cb.on_message(out, !json);
  }

  // Frames not read yet.
  std::vector<v1::CrewServerFrame> unread() {
    std::vector<v1::CrewServerFrame> out;
    for (; read_ < conn->sent.size(); ++read_) {
      const auto& f = conn->sent[read_];
      CHECK(f.binary == !json);
      v1::CrewServerFrame parsed;
      if (json) {
        REQUIRE(google::protobuf::util::JsonStringToMessage(f.payload, &parsed).ok());
      } else {
        REQUIRE(parsed.ParseFromString(f.payload));
      }
      out.push_back(parsed);
    }
    return out;
  }

  void close() {
    conn->close(1000, "");
    cb.on_close(1000, "");
  }
};

v1::CrewClientFrame sign_on(const std::string& unit, const std::string& rid = "on") {
  v1::CrewClientFrame f;
  f.set_request_id(rid);
  f.mutable_sign_on()->set_unit_id(unit);
  f.mutable_sign_on()->add_crew("alice");
  return f;
}

v1::CrewClientFrame ack(std::uint64_t id, const std::string& rid = "ack") {
  v1::CrewClientFrame f;
  f.set_request_id(rid);
  f.mutable_ack()->set_alert_id(id);
  return f;
}

v1::CrewClientFrame status(v1::UnitState s, const std::string& rid = "st") {
  v1::CrewClientFrame f;
  f.set_request_id(rid);
  f.mutable_status()->set_state(s);
  return f;
}

v1::CrewClientFrame resume(std::uint64_t since) {
  v1::CrewClientFrame f;
  f.set_request_id("re");
  f.mutable_resume()->set_since(since);
  return f;
}

std::vector<std::uint64_t> alert_ids(const std::vector<v1::CrewServerFrame>& frames) {
  std::vector<std::uint64_t> out;
  for (const auto& f : frames)
    if (f.has_alert()) out.push_back(f.alert().id());
  return out;
}

// An incident on contact 1 (a text), raised by a supervisor.
void raise_incident(fake_log& log) {
  v1::Event text;
  text.set_source("twilio");
  text.set_source_event_id("SM" + std::to_string(log.events.size()));
  text.mutable_text()->set_message_id(text.source_event_id());
  // A new number each time, so each text opens a contact of its own.
  text.mutable_text()->set_from("+4477009" + std::to_string(10000 + log.events.size()));
  text.mutable_text()->set_to("+447700900000");
  log.commit({text}, [](const auto&) {});
  const auto contact = log.events.back().seq();
  const auto fx = log.command(d::raise_incident{.contact = core::contact_id{contact},
                                                .coordinates = core::geo_point{50.91, -1.41},
                                                .address = "1 High St",
                                                .area = {},
                                                .required_skills = {"mh_paramedic"},
                                                .category = core::triage_category::b,
                                                .police = {},
                                                .note = "dog in house",
                                                .monitor_only = false});
  for (const auto& f : fx) REQUIRE_FALSE(std::holds_alternative<core::command_rejected>(f));
}

}  // namespace

TEST_CASE("crew feed: sign on, alert, ack committed before its result, statuses, all numbered") {
  for (const bool json : {false, true}) {
    INFO((json ? "json" : "proto"));
    fake_log log{one_car()};
    app::crew_feed feed(log.engine, log.submit());
    log.feed = &feed;
    device dev(feed, alice, json);

    dev.send(sign_on("u1"));
    auto frames = dev.unread();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].seq() == 1);
    CHECK(frames[0].request_id() == "on");
    REQUIRE(frames[0].has_signed_on());
    CHECK(frames[0].signed_on().call_sign() == "MHRC1");
    CHECK(frames[0].signed_on().state() == v1::UNIT_AVAILABLE);
    CHECK(log.engine.board().find_unit(core::unit_id{"u1"})->signed_on);

    raise_incident(log);
    log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, "go"});
    frames = dev.unread();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].seq() == 2);
    REQUIRE(frames[0].has_alert());
    // A copy: `frames` is reassigned below.
    const v1::CrewAlert alert = frames[0].alert();
    CHECK(alert.incident_id() == 1);
    CHECK(alert.call_sign() == "MHRC1");
    CHECK(alert.address() == "1 High St");
    CHECK(alert.note() == "dog in house");
    CHECK(alert.assign_note() == "go");
    CHECK(alert.category() == v1::TRIAGE_B);
    CHECK(alert.linked_contacts() == 1);
    // Handing it to the device recorded alert_sent.
    CHECK(log.engine.board().find_incident(core::incident_id{1})->assignments[0].stage ==
          core::unit_state::alerted);
    CHECK(log.events.back().dispatch().has_alert_sent());

    // The result frame waits for the commit.
    log.hold = true;
    dev.send(ack(alert.id()));
    CHECK(dev.unread().empty());
    log.release();
    frames = dev.unread();
    REQUIRE(frames.size() == 1);
    REQUIRE(frames[0].has_ack_result());
    CHECK(frames[0].request_id() == "ack");
    CHECK_FALSE(frames[0].ack_result().already_acknowledged());
    CHECK(log.engine.board().find_unit(core::unit_id{"u1"})->state ==
          core::unit_state::acknowledged);
    log.hold = false;

    // A repeated ack is harmless and records nothing new.
    const auto logged = log.events.size();
    dev.send(ack(alert.id(), "ack2"));
    frames = dev.unread();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].ack_result().already_acknowledged());
    CHECK(log.events.size() == logged);

    dev.send(status(v1::UNIT_EN_ROUTE));
    dev.send(status(v1::UNIT_ON_SCENE));
    dev.send(status(v1::UNIT_CLEAR));
    frames = dev.unread();
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].status_result().state() == v1::UNIT_EN_ROUTE);
    CHECK(frames[0].status_result().incident_id() == 1);
    CHECK(frames[1].status_result().state() == v1::UNIT_ON_SCENE);
    CHECK(frames[2].status_result().state() == v1::UNIT_CLEAR);
    CHECK(frames[2].seq() == 7);
    CHECK(log.events.back().actor().kind() == v1::Actor::CREW);
    CHECK(log.events.back().actor().id() == "alice");
  }
}

TEST_CASE("crew feed: a refused status gets an error frame with the reason and changes nothing") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  log.feed = &feed;
  device dev(feed, alice);
  dev.send(status(v1::UNIT_EN_ROUTE));
  auto frames = dev.unread();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].error().reason() == "you are not signed on to a unit: sign on first");
  CHECK(log.events.empty());

  dev.send(sign_on("u1"));
  (void)dev.unread();
  const std::string before = log.engine.board().dump();
  dev.send(status(v1::UNIT_ON_SCENE, "bad"));
  frames = dev.unread();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].request_id() == "bad");
  REQUIRE(frames[0].has_error());
  CHECK_FALSE(frames[0].error().reason().empty());
  CHECK(log.engine.board().dump() == before);

  dev.cb.on_message("not a frame", true);
  dev.cb.on_message("{}", false);
  frames = dev.unread();
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].error().reason() == "not a binary CrewClientFrame");
  CHECK(frames[1].error().reason() == "not a binary CrewClientFrame");

  dev.send(ack(42));
  CHECK(dev.unread().at(0).error().reason() == "there is no alert 42");
}

TEST_CASE("crew feed: after a reconnect, unacknowledged alerts come again, nothing twice") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  log.feed = &feed;
  raise_incident(log);
  raise_incident(log);
  auto first = std::make_unique<device>(feed, alice);
  first->send(sign_on("u1"));
  log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, ""});
  log.command(d::assign_unit{core::incident_id{2}, core::unit_id{"u1"}, true, "after that one"});
  const auto ids = alert_ids(first->unread());
  REQUIRE(ids.size() == 2);
  first->send(ack(ids[0]));
  (void)first->unread();
  first->close();
  CHECK(feed.connections() == 0);

  // While the device is away a dispatcher re-alerts: a new id.
  log.command(d::re_alert{core::incident_id{2}, core::unit_id{"u1"}});

  device again(feed, alice);
  again.send(resume(0));
  auto frames = again.unread();
  REQUIRE(frames.size() == 2);
  CHECK(frames[0].has_signed_on());
  CHECK(frames[0].seq() == 1);
  REQUIRE(frames[1].has_alert());
  CHECK(frames[1].alert().incident_id() == 2);
  CHECK(frames[1].alert().id() > ids[1]);
  // Resuming again on the same connection sends nothing twice.
  again.send(resume(0));
  frames = again.unread();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].has_signed_on());
  // `since` skips what the device already has.
  device third(feed, alice);
  third.send(resume(frames.empty() ? 0 : 1'000'000));
  CHECK(alert_ids(third.unread()).empty());
}

TEST_CASE("crew feed: a restart rebuilds alerts from the log") {
  fake_log log{one_car()};
  std::uint64_t alert_id = 0;
  {
    app::crew_feed feed(log.engine, log.submit());
    log.feed = &feed;
    raise_incident(log);
    device dev(feed, alice);
    dev.send(sign_on("u1"));
    log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, ""});
    alert_id = alert_ids(dev.unread()).at(0);
    log.feed = nullptr;
  }
  // A new engine from the same events, as recovery does.
  fake_log restarted{one_car()};
  for (const auto& e : log.events) (void)restarted.engine.apply(codec::to_core(e));
  restarted.events = log.events;
  for (const auto& e : log.events)
    restarted.keys[e.source() + "\n" + e.source_event_id()] = e.seq();
  app::crew_feed feed(restarted.engine, restarted.submit());
  restarted.feed = &feed;
  device dev(feed, alice);
  dev.send(resume(0));
  const auto ids = alert_ids(dev.unread());
  REQUIRE(ids == std::vector<std::uint64_t>{alert_id});
  dev.send(ack(alert_id));
  CHECK(dev.unread().at(0).has_ack_result());
  CHECK(restarted.engine.board().find_unit(core::unit_id{"u1"})->state ==
        core::unit_state::acknowledged);
}

d::stand_down stand_down_u1(std::uint64_t incident, std::string note) {
  return d::stand_down{.incident = core::incident_id{incident},
                       .unit = core::unit_id{"u1"},
                       .reason = d::stand_down_reason::not_needed,
                       .note = std::move(note),
                       .divert_to = {},
                       .replace_with = {},
                       .force_replacement = false};
}

TEST_CASE("crew feed: a stand-down reaches the unit's device, not other units'") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  log.feed = &feed;
  raise_incident(log);
  device dev(feed, alice);
  dev.send(sign_on("u1"));
  device other(feed, app::principal{.id = "bob", .role = app::staff_role::crew, .session = "s2"});
  other.send(sign_on("u2"));
  log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, ""});
  (void)dev.unread();
  (void)other.unread();
  log.command(stand_down_u1(1, "person safe"));
  const auto frames = dev.unread();
  REQUIRE(frames.size() == 1);
  REQUIRE(frames[0].has_stand_down());
  CHECK(frames[0].stand_down().reason() == v1::STAND_DOWN_NOT_NEEDED);
  CHECK(frames[0].stand_down().note() == "person safe");
  CHECK(other.unread().empty());
}

v1::CrewClientFrame resume(std::uint64_t since, std::uint64_t stand_downs_since) {
  auto f = resume(since);
  f.mutable_resume()->set_stand_downs_since(stand_downs_since);
  return f;
}

TEST_CASE("crew feed: a stand-down sent while the crew was offline comes on resume, once") {
  for (const bool json : {false, true}) {
    INFO((json ? "json" : "proto"));
    fake_log log{one_car()};
    app::crew_feed feed(log.engine, log.submit());
    log.feed = &feed;
    raise_incident(log);
    raise_incident(log);
    device dev(feed, alice, json);
    dev.send(sign_on("u1"));
    REQUIRE(dev.unread().at(0).signed_on().latest_stand_down() == 0);

    // The first stand-down reaches the connected device, numbered.
    log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, ""});
    (void)dev.unread();
    log.command(stand_down_u1(1, "person safe"));
    auto frames = dev.unread();
    REQUIRE(frames.size() == 1);
    const auto first = frames[0].stand_down().id();
    CHECK(first > 0);

    // The device drops; the crew is sent to incident 2 and stood down while offline.
    dev.close();
    log.command(d::assign_unit{core::incident_id{2}, core::unit_id{"u1"}, false, ""});
    log.command(stand_down_u1(2, "police attended"));
    CHECK(log.engine.board().find_unit(core::unit_id{"u1"})->state == core::unit_state::available);

    // Resuming with the highest id it saw gets only the one it missed, after signedOn.
    device back(feed, alice, json);
    back.send(resume(0, first));
    frames = back.unread();
    REQUIRE(frames.size() == 2);
    REQUIRE(frames[0].has_signed_on());
    CHECK(frames[0].signed_on().latest_stand_down() == first + 1);
    CHECK(frames[0].signed_on().current_incident_id() == 0);
    REQUIRE(frames[1].has_stand_down());
    CHECK(frames[1].stand_down().id() == first + 1);
    CHECK(frames[1].stand_down().incident_id() == 2);
    CHECK(frames[1].stand_down().note() == "police attended");
    // The alert of incident 2 was never acknowledged, but it is over: not resent.
    CHECK(alert_ids(frames).empty());

    // Asking again on the same connection repeats nothing it sent: from 0,
    // only the first stand-down, which went to the old connection.
    back.send(resume(0, 0));
    frames = back.unread();
    REQUIRE(frames.size() == 2);
    CHECK(frames[1].stand_down().id() == first);
    // An old device that sends no stand_downs_since gets the whole shift's.
    device old(feed, alice, json);
    old.send(resume(0));
    frames = old.unread();
    REQUIRE(frames.size() == 3);
    CHECK(frames[1].stand_down().id() == first);
    CHECK(frames[2].stand_down().id() == first + 1);

    // Signing on again (a device with no state) resends no stand-down but says
    // where to start; a new shift starts with none.
    device fresh(feed, alice, json);
    fresh.send(sign_on("u1"));
    frames = fresh.unread();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].signed_on().latest_stand_down() == first + 1);
    log.command(d::crew_sign_off{core::unit_id{"u1"}});
    fresh.send(sign_on("u1", "on2"));
    frames = fresh.unread();
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].signed_on().latest_stand_down() == 0);
    CHECK(log.engine.board().find_unit(core::unit_id{"u1"})->signed_on);
  }
}

TEST_CASE("crew feed: a device that lost its state gets its acknowledged job back at sign-on") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  log.feed = &feed;
  raise_incident(log);
  device dev(feed, alice);
  dev.send(sign_on("u1"));
  log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, "side door"});
  const auto id = alert_ids(dev.unread()).at(0);
  dev.send(ack(id));
  dev.send(status(v1::UNIT_EN_ROUTE));
  (void)dev.unread();
  dev.close();

  device fresh(feed, alice);
  fresh.send(sign_on("u1"));
  const auto frames = fresh.unread();
  // No alert to acknowledge again, but the job's details are in signedOn.
  REQUIRE(frames.size() == 1);
  const auto& on = frames[0].signed_on();
  CHECK(on.state() == v1::UNIT_EN_ROUTE);
  CHECK(on.current_incident_id() == 1);
  REQUIRE(on.has_current_job());
  CHECK(on.current_job().id() == id);
  CHECK(on.current_job().address() == "1 High St");
  CHECK(on.current_job().note() == "dog in house");
  CHECK(on.current_job().assign_note() == "side door");
}

TEST_CASE("crew feed: a re-alert while alert_sent is uncommitted records alert_sent once") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  log.feed = &feed;
  raise_incident(log);
  device dev(feed, alice);
  dev.send(sign_on("u1"));
  (void)dev.unread();
  log.hold = true;
  log.command(d::assign_unit{core::incident_id{1}, core::unit_id{"u1"}, false, ""});
  log.command(d::re_alert{core::incident_id{1}, core::unit_id{"u1"}});
  // Both alerts reach the device; one alert_sent waits for its commit.
  CHECK(alert_ids(dev.unread()).size() == 2);
  CHECK(log.held.size() == 1);
  log.hold = false;
  log.release();
  CHECK(log.engine.board().find_unit(core::unit_id{"u1"})->state == core::unit_state::alerted);
  // Once committed, a resume hands the alert over again and records nothing.
  const auto logged = log.events.size();
  device again(feed, alice);
  again.send(resume(0));
  CHECK(alert_ids(again.unread()).size() == 1);
  CHECK(log.events.size() == logged);
}

TEST_CASE("crew feed: the upgrade needs one of the two subprotocols") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  net::http_request req;
  req.headers.emplace_back("sec-websocket-protocol", "chat, crisisline.v1.json");
  auto decision = feed.accept(alice, req);
  REQUIRE(std::holds_alternative<net::ws_accept>(decision));
  CHECK(std::get<net::ws_accept>(decision).subprotocol == "crisisline.v1.json");
  req.headers = {{"sec-websocket-protocol", "chat"}};
  decision = feed.accept(alice, req);
  REQUIRE(std::holds_alternative<net::http_response>(decision));
  CHECK(std::get<net::http_response>(decision).status == 400);
}

TEST_CASE("crew feed: a location report is recorded and moves the unit's ETA origin") {
  fake_log log{one_car()};
  app::crew_feed feed(log.engine, log.submit());
  log.feed = &feed;
  device dev(feed, alice);
  v1::CrewClientFrame where;
  where.set_request_id("loc");
  where.mutable_location()->mutable_location()->set_latitude(50.95);
  where.mutable_location()->mutable_location()->set_longitude(-1.35);
  dev.send(where);
  CHECK(dev.unread().at(0).error().reason() == "you are not signed on to a unit: sign on first");

  dev.send(sign_on("u1"));
  (void)dev.unread();
  dev.send(where);
  const auto frames = dev.unread();
  REQUIRE(frames.size() == 1);
  CHECK(frames[0].request_id() == "loc");
  CHECK(frames[0].status_result().state() == v1::UNIT_AVAILABLE);
  CHECK(log.engine.board().find_unit(core::unit_id{"u1"})->last_location ==
        core::geo_point{50.95, -1.35});
  CHECK(log.events.back().dispatch().has_crew_location());
}
