#include <catch2/catch.hpp>

#include <google/protobuf/util/json_util.h>

#include "codec/clinical_settings.hpp"
#include "codec/config_loader.hpp"
#include "codec/dispatch_codec.hpp"
#include "codec/dispatch_config.hpp"
#include "codec/event_codec.hpp"

using namespace crisisline;
namespace d = core::dispatch;

namespace {

// One of every command with every field set away from its default, so a
// field the codec forgets in either direction fails the round trip.
std::vector<d::command> every_command() {
  return {
      d::raise_incident{.contact = core::contact_id{7},
                        .coordinates = core::geo_point{50.9, -1.4},
                        .address = "1 High St",
                        .area = core::area_id{"solent"},
                        .required_skills = {"mh_paramedic", "police"},
                        .category = core::triage_category::b,
                        .police = d::police_request{d::police_reason::crime, "weapon seen"},
                        .note = "dog in house",
                        .monitor_only = true},
      d::raise_incident{.contact = core::contact_id{8},
                        .coordinates = {},
                        .address = "2 Low St",
                        .area = {},
                        .required_skills = {},
                        .category = core::triage_category::g,
                        .police = d::police_request{d::police_reason::risk_to_life, ""},
                        .note = {},
                        .monitor_only = false},
      d::link_contact{core::incident_id{3}, core::contact_id{9}},
      d::set_monitored{core::incident_id{3}, "call back at 6"},
      d::queue_incident{core::incident_id{3}, "no car"},
      d::assign_unit{core::incident_id{3}, core::unit_id{"mhrc1"}, true, "go"},
      d::alert_sent{core::incident_id{3}, core::unit_id{"mhrc1"}},
      d::acknowledge{core::incident_id{3}, core::unit_id{"mhrc1"}},
      d::confirm_by_radio{core::incident_id{3}, core::unit_id{"mhrc1"}, "heard on channel 2"},
      d::re_alert{core::incident_id{3}, core::unit_id{"mhrc1"}},
      d::stand_down{.incident = core::incident_id{3},
                    .unit = core::unit_id{"mhrc1"},
                    .reason = d::stand_down_reason::pre_empted,
                    .note = "more urgent",
                    .divert_to = core::incident_id{4},
                    .replace_with = core::unit_id{"mhrc2"},
                    .force_replacement = true},
      d::stand_down{.incident = core::incident_id{3},
                    .unit = core::unit_id{"mhrc1"},
                    .reason = d::stand_down_reason::not_needed,
                    .note = {},
                    .divert_to = {},
                    .replace_with = {},
                    .force_replacement = false},
      d::end_incident{core::incident_id{3}, "person safe at home"},
      d::reopen{core::incident_id{3}, core::contact_id{11}, "called again"},
      d::reopen{core::incident_id{3}, std::nullopt, ""},
      d::crew_sign_on{core::unit_id{"mhrc1"},
                      {"alice", "bob"},
                      std::vector<std::string>{"camhs"},
                      core::geo_point{50.1, -1.2}},
      d::crew_sign_on{core::unit_id{"mhrc1"}, {"alice"}, std::nullopt, std::nullopt},
      d::crew_sign_on{core::unit_id{"mhrc1"}, {}, std::vector<std::string>{}, std::nullopt},
      d::crew_sign_off{core::unit_id{"mhrc1"}},
      d::crew_location{core::unit_id{"mhrc1"}, core::geo_point{50.5, -1.25},
                       core::from_micros(1'700'000'000'123'456)},
      d::crew_location{core::unit_id{"mhrc1"}, core::geo_point{-33.9, 151.2}, std::nullopt},
  };
}

}  // namespace

TEST_CASE("every dispatch command survives core to proto to core, binary and JSON") {
  for (const auto& c : every_command()) {
    INFO(d::command_name(c));
    const v1::DispatchCommand p = codec::to_proto(c);
    CHECK_FALSE(codec::dispatch_problem(p).has_value());
    const auto back = codec::to_core(p);
    REQUIRE(back.has_value());
    CHECK(*back == c);

    v1::DispatchCommand wire;
    REQUIRE(wire.ParseFromString(p.SerializeAsString()));
    CHECK(codec::to_core(wire) == back);

    std::string json;
    REQUIRE(google::protobuf::util::MessageToJsonString(p, &json).ok());
    v1::DispatchCommand from_json;
    REQUIRE(google::protobuf::util::JsonStringToMessage(json, &from_json).ok());
    CHECK(codec::to_core(from_json) == back);
  }
}

TEST_CASE("a dispatch event reaches the core as a dispatch_command") {
  v1::Event e;
  e.set_source("console");
  e.set_source_event_id("1");
  *e.mutable_dispatch() =
      codec::to_proto(d::assign_unit{core::incident_id{2}, core::unit_id{"mhrc2"}, false, ""});
  CHECK(codec::payload_kind(e) == "dispatch");
  CHECK_FALSE(codec::ingest_problem(e).has_value());
  const auto core_event = codec::to_core(e);
  const auto* dc = std::get_if<core::dispatch_command>(&core_event.payload);
  REQUIRE(dc);
  CHECK(dc->command ==
        d::command{d::assign_unit{core::incident_id{2}, core::unit_id{"mhrc2"}, false, ""}});
}

TEST_CASE("ingest refuses dispatch commands without their ids or a police reason") {
  v1::Event e;
  e.set_source("x");
  e.set_source_event_id("1");
  e.mutable_dispatch();
  CHECK(codec::ingest_problem(e) == "dispatch: no command");
  e.mutable_dispatch()->mutable_assign_unit()->set_incident_id(1);
  CHECK(codec::ingest_problem(e) == "dispatch: unit_id is required");
  e.mutable_dispatch()->mutable_assign_unit()->set_unit_id("mhrc1");
  e.mutable_dispatch()->mutable_assign_unit()->set_incident_id(0);
  CHECK(codec::ingest_problem(e) == "dispatch: incident_id is required");
  e.mutable_dispatch()->mutable_raise_incident()->set_contact_id(1);
  e.mutable_dispatch()->mutable_raise_incident()->mutable_police();
  CHECK(codec::ingest_problem(e)->find("police.reason is required") != std::string::npos);
}

TEST_CASE("JSON ingest takes a dispatch command in the protobuf JSON mapping") {
  v1::Event e;
  REQUIRE(google::protobuf::util::JsonStringToMessage(
              R"({"source":"s","sourceEventId":"1","dispatch":{"raiseIncident":{"contactId":"4",
                  "coordinates":{"latitude":50.9,"longitude":-1.4},"requiredSkills":["mh_nurse"],
                  "category":"TRIAGE_B","police":{"reason":"POLICE_CRIME","detail":"knife"}}}})",
              &e)
              .ok());
  const auto c = codec::to_core(e.dispatch());
  REQUIRE(c);
  const auto& r = std::get<d::raise_incident>(*c);
  CHECK(r.contact == core::contact_id{4});
  CHECK(r.category == core::triage_category::b);
  REQUIRE(r.police);
  CHECK(r.police->reason == d::police_reason::crime);
  CHECK(r.police->detail == "knife");
}

TEST_CASE("shift windows parse as HH:MM-HH:MM and nothing else") {
  CHECK(codec::parse_shift("13:00-01:00") == d::shift_window{780, 60});
  CHECK(codec::parse_shift("00:00-24:00") == d::shift_window{0, 1440});
  CHECK(codec::parse_shift("07:30-19:45") == d::shift_window{450, 1185});
  for (const char* bad : {"", "13:00", "13:00-13:00", "24:00-01:00", "25:00-01:00", "13:60-14:00",
                          "1:00-2:00", "13:00-24:01", "ab:cd-01:00", "13:00 - 14:00"}) {
    INFO(bad);
    CHECK_FALSE(codec::parse_shift(bad).has_value());
  }
}

TEST_CASE("the dispatch section becomes the board settings, targets from the triage scale") {
  const auto r = codec::parse_config(R"(
triage_bands { code: "A" answer_target_seconds: 0 max_wait_seconds: 60 face_to_face_target_seconds: 0 emergency: true }
triage_bands { code: "B" answer_target_seconds: 30 max_wait_seconds: 120 face_to_face_target_seconds: 7200 }
triage_bands { code: "C" answer_target_seconds: 60 max_wait_seconds: 600 face_to_face_target_seconds: 86400 }
triage_bands { code: "D" answer_target_seconds: 300 max_wait_seconds: 1800 face_to_face_target_seconds: 259200 }
triage_bands { code: "E" answer_target_seconds: 900 max_wait_seconds: 3600 face_to_face_target_seconds: 2419200 }
triage_bands { code: "F" answer_target_seconds: 1800 max_wait_seconds: 7200 }
triage_bands { code: "G" answer_target_seconds: 1800 max_wait_seconds: 7200 }
dispatch {
  units { id: "u1" skills: "mh_nurse" base_latitude: 50.9 base_longitude: -1.4 area: "solent"
          shifts: "13:00-01:00" speed_kmh: 50 }
  units { id: "u2" call_sign: "MHRC2" }
  default_speed_kmh: 30
  ack_timeout_seconds: 90
  ack_reminder_once: true
  utc_offset_minutes: 60
  allow_other_areas: true
  escalation_percent: 80
  person_text { enabled: true en_route: "Help is coming." }
})",
                                     "t");
  REQUIRE(std::holds_alternative<v1::Config>(r));
  const auto settings = codec::clinical_settings(std::get<v1::Config>(r));
  REQUIRE(std::holds_alternative<core::settings>(settings));
  const auto& s = std::get<core::settings>(settings).dispatch;
  REQUIRE(s.units.size() == 2);
  CHECK(s.units[0].call_sign == "u1");
  CHECK(s.units[0].skills == std::vector<std::string>{"mh_nurse"});
  CHECK(s.units[0].base == core::geo_point{50.9, -1.4});
  CHECK(s.units[0].area == core::area_id{"solent"});
  CHECK(s.units[0].shifts == std::vector<d::shift_window>{{780, 60}});
  CHECK(s.units[0].speed_kmh == 50.0);
  CHECK(s.units[1].call_sign == "MHRC2");
  CHECK_FALSE(s.units[1].speed_kmh.has_value());
  CHECK(s.default_speed_kmh == 30.0);
  CHECK(s.ack_timeout == core::seconds(90));
  CHECK(s.ack_reminder == core::duration::zero());
  CHECK(s.utc_offset == std::chrono::minutes{60});
  CHECK(s.allow_other_areas);
  CHECK(s.escalation_percent == std::vector<std::uint32_t>{80});
  CHECK(s.targets[1] == core::seconds(7200));
  CHECK_FALSE(s.targets[5].has_value());
  CHECK(s.text_person_en_route);
  CHECK(s.en_route_text == "Help is coming.");
}

TEST_CASE("the default configuration has two units to dispatch") {
  const auto r = codec::default_config();
  REQUIRE(std::holds_alternative<v1::Config>(r));
  const auto settings = codec::clinical_settings(std::get<v1::Config>(r));
  REQUIRE(std::holds_alternative<core::settings>(settings));
  const auto& s = std::get<core::settings>(settings).dispatch;
  REQUIRE(s.units.size() == 2);
  CHECK(s.units[0].call_sign == "MHRC1");
  CHECK(s.units[1].shifts.size() == 2);
  CHECK_FALSE(s.text_person_en_route);
}

TEST_CASE("a bad dispatch unit is reported with its line and column") {
  const auto error = [](const std::string& text) {
    const auto r = codec::parse_config(text, "f.textproto");
    REQUIRE(std::holds_alternative<codec::config_error>(r));
    return std::get<codec::config_error>(r);
  };
  auto e = error("dispatch {\n  units { id: \"u1\"\n    shifts: \"9-17\" }\n}\n");
  CHECK(e.line == 3);
  CHECK(e.column == 5);
  CHECK(e.message.find("\"9-17\" is not HH:MM-HH:MM") != std::string::npos);
  CHECK(e.describe().starts_with("f.textproto:3:5: "));

  e = error("dispatch {\n  units { id: \"u1\" }\n  units { id: \"u1\" }\n}\n");
  CHECK(e.line == 3);
  CHECK(e.message.find("listed twice") != std::string::npos);

  e = error("dispatch {\n  units { id: \"u1\" skills: \"mh_paramedc\" }\n}\n");
  CHECK(e.line == 2);
  CHECK(e.message.find("unknown skill mh_paramedc") != std::string::npos);

  e = error("dispatch {\n  units { id: \"u1\" base_latitude: 95 }\n}\n");
  CHECK(e.line == 2);
  CHECK(e.message.find("invalid base location") != std::string::npos);

  e = error("dispatch {\n  escalation_percent: 75 escalation_percent: 50\n}\n");
  CHECK(e.message.find("escalation_percent must be increasing") != std::string::npos);
}
