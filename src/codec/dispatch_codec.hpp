#pragma once

#include <optional>
#include <string>

#include "core/dispatch/commands.hpp"
#include "core/shared_types.hpp"
#include "crisisline/v1/event.pb.h"

// crisisline.v1.DispatchCommand <-> core::dispatch::command, both ways
// (round-trip tested). recommend is a query and has no twin.
namespace crisisline::codec {

// nullopt when no command is set.
[[nodiscard]] std::optional<core::dispatch::command> to_core(const v1::DispatchCommand& c);

// The protobuf twin of `c`; recommend gives a message with no command set.
[[nodiscard]] v1::DispatchCommand to_proto(const core::dispatch::command& c);

// Why a client's command cannot be taken (no command, a required id missing,
// police without a reason), or nullopt. Domain rules are the board's.
[[nodiscard]] std::optional<std::string> dispatch_problem(const v1::DispatchCommand& c);

[[nodiscard]] v1::TriageCategory to_proto(core::triage_category c);
[[nodiscard]] v1::UnitState to_proto(core::unit_state s);
[[nodiscard]] v1::GeoPoint to_proto_point(const core::geo_point& p);
[[nodiscard]] v1::StandDownReason to_proto(core::dispatch::stand_down_reason r);
[[nodiscard]] v1::PoliceReason to_proto(core::dispatch::police_reason r);
[[nodiscard]] core::geo_point to_core(const v1::GeoPoint& p);

}  // namespace crisisline::codec
