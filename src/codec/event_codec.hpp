#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "crisisline/v1/event.pb.h"

// The one place where crisisline.v1 protobuf events meet core domain events.
namespace crisisline::codec {

// Converts a stored or ingested event to the core's view.
[[nodiscard]] core::event to_core(const v1::Event& e);

// Short name of the payload kind, stored in events.kind ("call", "text", ...).
[[nodiscard]] std::string_view payload_kind(const v1::Event& e);

// "kind:id" of the actor, stored in events.actor.
[[nodiscard]] std::string actor_label(const v1::Actor& a);

// Why `e` cannot be accepted from a client, or nullopt if it can. Checks only
// what the envelope promises (idempotency key, payload present, bounded
// sizes); domain rules are the core's.
[[nodiscard]] std::optional<std::string> ingest_problem(const v1::Event& e);

[[nodiscard]] v1::RouteOfAccess to_proto(core::route_of_access r);
[[nodiscard]] core::triage_category to_core(v1::TriageCategory c);
[[nodiscard]] core::unit_state to_core(v1::UnitState s);

[[nodiscard]] google::protobuf::Timestamp to_proto_time(core::timestamp t);
[[nodiscard]] core::timestamp from_proto_time(const google::protobuf::Timestamp& t);

}  // namespace crisisline::codec
