#include "codec/event_codec.hpp"

#include "codec/dispatch_codec.hpp"

namespace crisisline::codec {
namespace {

// The public overloads (event_codec.hpp, dispatch_codec.hpp) next to these.
using codec::to_core;

constexpr std::size_t max_id_bytes = 256;

core::actor_kind to_core(v1::Actor::Kind k) {
  switch (k) {
    case v1::Actor::SYSTEM:
      return core::actor_kind::system;
    case v1::Actor::INTEGRATION:
      return core::actor_kind::integration;
    case v1::Actor::PROVIDER:
      return core::actor_kind::provider;
    case v1::Actor::STAFF:
      return core::actor_kind::staff;
    case v1::Actor::CREW:
      return core::actor_kind::crew;
    case v1::Actor::KIND_UNSPECIFIED:
    case v1::Actor_Kind_Actor_Kind_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Actor_Kind_Actor_Kind_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::actor_kind::unspecified;
  }
  return core::actor_kind::unspecified;
}

core::route_of_access to_core(v1::RouteOfAccess r) {
  switch (r) {
    case v1::NHS111_OPTION2:
      return core::route_of_access::nhs111_option2;
    case v1::LOCAL_LINE:
      return core::route_of_access::local_line;
    case v1::SMS_KEYWORD:
      return core::route_of_access::sms_keyword;
    case v1::PROFESSIONAL_LINE:
      return core::route_of_access::professional_line;
    case v1::ROUTE_OF_ACCESS_UNSPECIFIED:
    case v1::RouteOfAccess_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::RouteOfAccess_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::route_of_access::unspecified;
  }
  return core::route_of_access::unspecified;
}

core::call_status to_core(v1::CallStatus s) {
  switch (s) {
    case v1::CALL_OFFERED:
      return core::call_status::offered;
    case v1::CALL_ANSWERED:
      return core::call_status::answered;
    case v1::CALL_COMPLETED:
      return core::call_status::completed;
    case v1::CALL_ABANDONED:
      return core::call_status::abandoned;
    case v1::CALL_FAILED:
      return core::call_status::failed;
    case v1::CALL_DIGITS:
      return core::call_status::digits;
    case v1::CALL_CONNECT_FAILED:
      return core::call_status::connect_failed;
    case v1::CALL_CONNECT_REQUESTED:
      return core::call_status::connect_requested;
    case v1::CALL_STATUS_UNSPECIFIED:
    case v1::CallStatus_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::CallStatus_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::call_status::unspecified;
  }
  return core::call_status::unspecified;
}

core::nurse_status to_core(v1::NurseStatus s) {
  switch (s) {
    case v1::NURSE_AVAILABLE:
      return core::nurse_status::available;
    case v1::NURSE_ON_BREAK:
      return core::nurse_status::on_break;
    case v1::NURSE_OFFLINE:
      return core::nurse_status::offline;
    case v1::NURSE_STATUS_UNSPECIFIED:
    case v1::NurseStatus_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::NurseStatus_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::nurse_status::unspecified;
  }
  return core::nurse_status::unspecified;
}

core::opt_keyword to_core(v1::OptKeyword k) {
  switch (k) {
    case v1::OPT_OUT:
      return core::opt_keyword::opt_out;
    case v1::OPT_IN:
      return core::opt_keyword::opt_in;
    case v1::OPT_HELP:
      return core::opt_keyword::help;
    case v1::OPT_KEYWORD_NONE:
    case v1::OptKeyword_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::OptKeyword_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::opt_keyword::none;
  }
  return core::opt_keyword::none;
}

core::send_outcome to_core(v1::OutboundTextResult::Outcome o) {
  switch (o) {
    case v1::OutboundTextResult::ACCEPTED:
      return core::send_outcome::accepted;
    case v1::OutboundTextResult::FAILED_RETRYABLE:
      return core::send_outcome::failed_retryable;
    case v1::OutboundTextResult::FAILED_PERMANENT:
      return core::send_outcome::failed_permanent;
    case v1::OutboundTextResult::OUTCOME_UNSPECIFIED:
    case v1::OutboundTextResult_Outcome_OutboundTextResult_Outcome_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::OutboundTextResult_Outcome_OutboundTextResult_Outcome_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::send_outcome::unspecified;
  }
  return core::send_outcome::unspecified;
}

core::text_event to_core(const v1::TextEvent& t) {
  core::text_event out{.message_id = t.message_id(),
                       .from = t.from(),
                       .to = t.to(),
                       .body = t.body(),
                       .num_segments = t.num_segments(),
                       .num_media = t.num_media(),
                       .sender_flagged = t.sender_flagged(),
                       .body_repaired = t.body_repaired(),
                       .area = t.area(),
                       .routing_reason = t.routing_reason(),
                       .route = to_core(t.route()),
                       .opt = to_core(t.opt_keyword()),
                       .opt_ambiguous = t.opt_ambiguous(),
                       .sender_blocked = t.sender_blocked(),
                       .sender_key = t.sender_key()};
  if (t.body_purged()) {
    out.purged_risk = core::recorded_risk{};
    if (t.purged_risk_band() != v1::TRIAGE_UNSPECIFIED) {
      out.purged_risk->raise_to = to_core(t.purged_risk_band());
    }
    out.purged_risk->fired.assign(t.purged_risk_rules().begin(), t.purged_risk_rules().end());
  }
  return out;
}

template <typename C>
std::vector<std::string> to_vector(const C& c) {
  return {c.begin(), c.end()};
}

core::console_action to_core(const v1::ConsoleCommand& c) {
  switch (c.command_case()) {
    case v1::ConsoleCommand::kSignOn:
      return core::nurse_sign_on{.skills = to_vector(c.sign_on().skills()),
                                 .areas = to_vector(c.sign_on().areas()),
                                 .text_capacity = c.sign_on().text_capacity()};
    case v1::ConsoleCommand::kSignOff:
      return core::nurse_sign_off{};
    case v1::ConsoleCommand::kSetStatus:
      return core::set_nurse_status{.status = to_core(c.set_status().status())};
    case v1::ConsoleCommand::kAccept:
      return core::accept_offer{.contact_id = c.accept().contact_id()};
    case v1::ConsoleCommand::kDecline:
      return core::decline_offer{.contact_id = c.decline().contact_id(),
                                 .reason = c.decline().reason()};
    case v1::ConsoleCommand::kTakeNext:
      return core::take_next{};
    case v1::ConsoleCommand::kSetTriage:
      return core::set_triage{.contact_id = c.set_triage().contact_id(),
                              .category = to_core(c.set_triage().category()),
                              .reason = c.set_triage().reason()};
    case v1::ConsoleCommand::kAddNote:
      return core::add_note{.contact_id = c.add_note().contact_id(),
                            .text = c.add_note().text(),
                            .kind = c.add_note().kind()};
    case v1::ConsoleCommand::kReply:
      return core::reply_text{.contact_id = c.reply().contact_id(),
                              .body = c.reply().body(),
                              .clinically_necessary = c.reply().clinically_necessary()};
    case v1::ConsoleCommand::kTransfer:
      return core::transfer{.contact_id = c.transfer().contact_id(),
                            .to_nurse_id = c.transfer().to_nurse_id(),
                            .to_area = c.transfer().to_area(),
                            .warm = c.transfer().warm(),
                            .note = c.transfer().note()};
    case v1::ConsoleCommand::kClose:
      return core::close_contact{.contact_id = c.close().contact_id(),
                                 .outcome_code = c.close().outcome_code()};
    case v1::ConsoleCommand::kCreateCallback: {
      core::create_callback cb{.contact_id = c.create_callback().contact_id()};
      if (c.create_callback().has_due_time()) {
        cb.due_time = from_proto_time(c.create_callback().due_time());
      }
      return cb;
    }
    case v1::ConsoleCommand::kWrapUpDone:
      return core::wrap_up_done{};
    case v1::ConsoleCommand::kStartShift:
      return core::start_shift{.skills = to_vector(c.start_shift().skills()),
                               .areas = to_vector(c.start_shift().areas()),
                               .text_capacity = c.start_shift().text_capacity()};
    case v1::ConsoleCommand::kEndShift:
      return core::end_shift{.handover_to = c.end_shift().handover_to(),
                             .note = c.end_shift().note()};
    case v1::ConsoleCommand::kAcknowledgeHandover:
      return core::acknowledge_handover{.handover_id = c.acknowledge_handover().handover_id()};
    case v1::ConsoleCommand::COMMAND_NOT_SET:
      return std::monostate{};
  }
  return std::monostate{};
}

core::event_payload payload_to_core(const v1::Event& e) {
  switch (e.payload_case()) {
    case v1::Event::kCall: {
      const auto& c = e.call();
      return core::call_event{.call_id = c.call_id(),
                              .sequence_number = c.sequence_number(),
                              .status = to_core(c.status()),
                              .from = c.from(),
                              .to = c.to(),
                              .route = to_core(c.route()),
                              .area = c.area(),
                              .digits = c.digits(),
                              .forwarded_from = c.forwarded_from(),
                              .duration_seconds = c.duration_seconds(),
                              .nurse_id = c.nurse_id(),
                              .platform = c.platform(),
                              .sender_key = c.sender_key()};
    }
    case v1::Event::kText:
      return to_core(e.text());
    case v1::Event::kKeywordText:
      return core::keyword_text{.text = to_core(e.keyword_text().text()),
                                .keyword = e.keyword_text().keyword(),
                                .area = e.keyword_text().area()};
    case v1::Event::kTextStatus:
      return core::text_status{.message_id = e.text_status().message_id(),
                               .status = e.text_status().status(),
                               .error_code = e.text_status().error_code()};
    case v1::Event::kConsole:
      return core::console_command{.nurse_id = e.console().nurse_id(),
                                   .action = to_core(e.console())};
    case v1::Event::kCrewStatus: {
      const auto& s = e.crew_status();
      core::crew_status out{.unit_id = s.unit_id(),
                            .state = to_core(s.state()),
                            .incident_id = s.incident_id(),
                            .reason = s.reason(),
                            .destination = s.destination()};
      if (s.has_location()) {
        out.location = core::geo_point{s.location().latitude(), s.location().longitude()};
      }
      return out;
    }
    case v1::Event::kTimer:
      return core::timer_fired{.reason = e.timer().reason()};
    case v1::Event::kOutboundResult: {
      const auto& r = e.outbound_result();
      return core::outbound_result{.outbound_id = r.outbound_id(),
                                   .outcome = to_core(r.outcome()),
                                   .provider_message_id = r.provider_message_id(),
                                   .attempt = r.attempt(),
                                   .error = r.error()};
    }
    case v1::Event::kDispatch: {
      auto command = to_core(e.dispatch());
      if (!command) return std::monostate{};
      return core::dispatch_command{.command = std::move(*command)};
    }
    case v1::Event::kRetentionPurge: {
      const auto& r = e.retention_purge();
      core::retention_purge out{
          .before = from_proto_time(r.before()), .through_seq = r.through_seq(), .contacts = {}};
      out.contacts.reserve(static_cast<std::size_t>(r.contacts_size()));
      for (const auto& c : r.contacts()) {
        out.contacts.push_back({.contact_id = c.contact_id(), .from_key = c.from_key()});
      }
      return out;
    }
    case v1::Event::PAYLOAD_NOT_SET:
      return std::monostate{};
  }
  return std::monostate{};
}

}  // namespace

core::triage_category to_core(v1::TriageCategory c) {
  switch (c) {
    case v1::TRIAGE_A:
      return core::triage_category::a;
    case v1::TRIAGE_B:
      return core::triage_category::b;
    case v1::TRIAGE_C:
      return core::triage_category::c;
    case v1::TRIAGE_D:
      return core::triage_category::d;
    case v1::TRIAGE_E:
      return core::triage_category::e;
    case v1::TRIAGE_F:
      return core::triage_category::f;
    case v1::TRIAGE_G:
      return core::triage_category::g;
    case v1::TRIAGE_UNSPECIFIED:
    case v1::TriageCategory_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::TriageCategory_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::triage_category::unspecified;
  }
  return core::triage_category::unspecified;
}

core::unit_state to_core(v1::UnitState s) {
  switch (s) {
    case v1::UNIT_UNAVAILABLE:
      return core::unit_state::unavailable;
    case v1::UNIT_AVAILABLE:
      return core::unit_state::available;
    case v1::UNIT_ASSIGNED:
      return core::unit_state::assigned;
    case v1::UNIT_ALERTED:
      return core::unit_state::alerted;
    case v1::UNIT_ACKNOWLEDGED:
      return core::unit_state::acknowledged;
    case v1::UNIT_EN_ROUTE:
      return core::unit_state::en_route;
    case v1::UNIT_ON_SCENE:
      return core::unit_state::on_scene;
    case v1::UNIT_TRANSPORTING:
      return core::unit_state::transporting;
    case v1::UNIT_AT_DESTINATION:
      return core::unit_state::at_destination;
    case v1::UNIT_CLEAR:
      return core::unit_state::clear;
    case v1::UNIT_STATE_UNSPECIFIED:
    case v1::UnitState_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::UnitState_INT_MAX_SENTINEL_DO_NOT_USE_:
      return core::unit_state::unspecified;
  }
  return core::unit_state::unspecified;
}

v1::RouteOfAccess to_proto(core::route_of_access r) {
  switch (r) {
    case core::route_of_access::nhs111_option2:
      return v1::NHS111_OPTION2;
    case core::route_of_access::local_line:
      return v1::LOCAL_LINE;
    case core::route_of_access::sms_keyword:
      return v1::SMS_KEYWORD;
    case core::route_of_access::professional_line:
      return v1::PROFESSIONAL_LINE;
    case core::route_of_access::unspecified:
      return v1::ROUTE_OF_ACCESS_UNSPECIFIED;
  }
  return v1::ROUTE_OF_ACCESS_UNSPECIFIED;
}

google::protobuf::Timestamp to_proto_time(core::timestamp t) {
  google::protobuf::Timestamp out;
  const auto us = core::to_micros(t);
  auto secs = us / 1'000'000;
  auto rem = us % 1'000'000;
  if (rem < 0) {
    rem += 1'000'000;
    --secs;
  }
  out.set_seconds(secs);
  out.set_nanos(static_cast<std::int32_t>(rem * 1000));
  return out;
}

core::timestamp from_proto_time(const google::protobuf::Timestamp& t) {
  return core::from_micros(t.seconds() * 1'000'000 + t.nanos() / 1000);
}

core::event to_core(const v1::Event& e) {
  core::event out;
  out.seq = e.seq();
  if (e.has_occurred_time()) out.occurred_time = from_proto_time(e.occurred_time());
  out.recorded_time = from_proto_time(e.recorded_time());
  out.source = e.source();
  out.source_event_id = e.source_event_id();
  out.by = core::actor{.kind = to_core(e.actor().kind()),
                       .id = e.actor().id(),
                       .role = e.actor().role(),
                       .session = e.actor().session()};
  out.payload = payload_to_core(e);
  return out;
}

std::string_view payload_kind(const v1::Event& e) {
  switch (e.payload_case()) {
    case v1::Event::kCall:
      return "call";
    case v1::Event::kText:
      return "text";
    case v1::Event::kKeywordText:
      return "keyword_text";
    case v1::Event::kTextStatus:
      return "text_status";
    case v1::Event::kConsole:
      return "console";
    case v1::Event::kCrewStatus:
      return "crew_status";
    case v1::Event::kTimer:
      return "timer";
    case v1::Event::kOutboundResult:
      return "outbound_result";
    case v1::Event::kDispatch:
      return "dispatch";
    case v1::Event::kRetentionPurge:
      return "retention_purge";
    case v1::Event::PAYLOAD_NOT_SET:
      return "none";
  }
  return "none";
}

std::string actor_label(const v1::Actor& a) {
  std::string out;
  switch (a.kind()) {
    case v1::Actor::SYSTEM:
      out = "system";
      break;
    case v1::Actor::INTEGRATION:
      out = "integration";
      break;
    case v1::Actor::PROVIDER:
      out = "provider";
      break;
    case v1::Actor::STAFF:
      out = "staff";
      break;
    case v1::Actor::CREW:
      out = "crew";
      break;
    case v1::Actor::KIND_UNSPECIFIED:
    case v1::Actor_Kind_Actor_Kind_INT_MIN_SENTINEL_DO_NOT_USE_:
    case v1::Actor_Kind_Actor_Kind_INT_MAX_SENTINEL_DO_NOT_USE_:
      out = "unspecified";
      break;
  }
  out += ':';
  out += a.id();
  return out;
}

std::optional<std::string> ingest_problem(const v1::Event& e) {
  if (e.source().empty()) return "source is required";
  if (e.source_event_id().empty())
    return "source_event_id is required (it makes delivery idempotent)";
  if (e.source().size() > max_id_bytes) return "source is longer than 256 bytes";
  if (e.source_event_id().size() > max_id_bytes) return "source_event_id is longer than 256 bytes";
  if (e.payload_case() == v1::Event::PAYLOAD_NOT_SET) return "event has no payload";
  if (e.has_timer()) return "timer events are created by the server, not ingested";
  if (e.has_outbound_result())
    return "outbound_result events are created by the server, not ingested";
  if (e.has_retention_purge())
    return "retention_purge events are created by the server, not ingested";
  if ((e.has_text() && e.text().body_purged()) ||
      (e.has_keyword_text() && e.keyword_text().text().body_purged()))
    return "body_purged is set only by retention, not ingested";
  if (e.has_call() && e.call().call_id().empty()) return "call.call_id is required";
  if (e.has_call() && e.call().status() == v1::CALL_STATUS_UNSPECIFIED)
    return "call.status is required";
  if (e.has_text() && e.text().message_id().empty()) return "text.message_id is required";
  if (e.has_keyword_text() && e.keyword_text().text().message_id().empty())
    return "keyword_text.text.message_id is required";
  if (e.has_text_status() && e.text_status().message_id().empty())
    return "text_status.message_id is required";
  if (e.has_console() && e.console().command_case() == v1::ConsoleCommand::COMMAND_NOT_SET)
    return "console has no command";
  if (e.has_console() && e.console().nurse_id().empty()) return "console.nurse_id is required";
  if (e.has_crew_status() && e.crew_status().unit_id().empty())
    return "crew_status.unit_id is required";
  if (e.has_dispatch()) {
    if (auto problem = dispatch_problem(e.dispatch())) return "dispatch: " + *problem;
  }
  return std::nullopt;
}

}  // namespace crisisline::codec
