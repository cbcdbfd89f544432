#pragma once

#include "store/database.hpp"

namespace crisisline::store {

// Schema version this build writes. Older databases are migrated forward on
// open; a newer one is refused rather than misread.
inline constexpr int schema_version = 4;

// Sets the connection pragmas every crisisline connection uses.
void configure_connection(connection& c);

// Brings the database to schema_version inside one transaction, keyed by
// PRAGMA user_version. Throws store::error if the file is from a newer build.
void migrate(connection& c);

}  // namespace crisisline::store
