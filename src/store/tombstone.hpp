#pragma once

#include <cstdint>
#include <string_view>

#include "store/database.hpp"

namespace crisisline::store {

// Replaces the payload of event `seq` with `purged_payload` and marks it
// purged, inside the caller's open transaction (the one that commits the
// retention event recording the purge). The schema's trigger allows this
// UPDATE once per event and refuses every other change to the log.
// Throws store::error if `seq` does not exist or is already purged.
void tombstone(connection& db, std::uint64_t seq, std::string_view purged_payload);

}  // namespace crisisline::store
