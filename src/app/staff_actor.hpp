#pragma once

#include "app/access.hpp"
#include "crisisline/v1/event.pb.h"

namespace crisisline::app {

// The Actor an event carries when `who` caused it: integration tokens act as
// INTEGRATION, everyone else as STAFF with their role and login session.
[[nodiscard]] inline v1::Actor to_actor(const principal& who) {
  v1::Actor a;
  a.set_kind(who.role == staff_role::integration ? v1::Actor::INTEGRATION : v1::Actor::STAFF);
  a.set_id(who.id);
  a.set_role(std::string(role_name(who.role)));
  a.set_session(who.session);
  return a;
}

}  // namespace crisisline::app
