#include "store/schema.hpp"

#include <array>
#include <string>

namespace crisisline::store {
namespace {

// migrations[i] takes user_version i to i + 1. Append only: a released
// migration is never edited.
constexpr std::array<const char*, schema_version> migrations = {
    R"sql(
CREATE TABLE events (
  seq             INTEGER PRIMARY KEY,
  recorded_at     INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
  kind            TEXT    NOT NULL,  -- payload kind: call, text, keyword_text, ...
  source          TEXT    NOT NULL,
  source_event_id TEXT,              -- NULL for events with no external id (timers)
  actor           TEXT    NOT NULL,  -- kind:id of who caused it
  payload         BLOB    NOT NULL   -- crisisline.v1.Event, protobuf binary, seq unset
);
CREATE UNIQUE INDEX events_source_event ON events(source, source_event_id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
  BEGIN SELECT RAISE(ABORT, 'events is append-only'); END;
)sql",
};

}  // namespace

void configure_connection(connection& c) {
  c.exec("PRAGMA journal_mode=WAL");
  c.exec("PRAGMA synchronous=FULL");
  c.exec("PRAGMA foreign_keys=ON");
}

void migrate(connection& c) {
  const auto current = c.query_int("PRAGMA user_version");
  if (current > schema_version) {
    throw error(0, "database schema version " + std::to_string(current) +
                       " is newer than this build understands (" + std::to_string(schema_version) +
                       ")");
  }
  if (current == schema_version) return;
  transaction tx(c);
  for (auto v = current; v < schema_version; ++v) c.exec(migrations[static_cast<std::size_t>(v)]);
  c.exec("PRAGMA user_version=" + std::to_string(schema_version));
  tx.commit();
}

}  // namespace crisisline::store
