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
    // Staff accounts, login sessions and the hash-chained audit trail.
    R"sql(
CREATE TABLE staff (
  username      TEXT    PRIMARY KEY,
  display_name  TEXT    NOT NULL,
  role          TEXT    NOT NULL CHECK (role IN ('nurse','supervisor','crew','admin','integration')),
  password_hash TEXT    NOT NULL,  -- libsodium crypto_pwhash_str (argon2id)
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
  changed_at    INTEGER NOT NULL
);
CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  token_hash  BLOB    NOT NULL UNIQUE,  -- SHA-256 of the bearer token; the token itself is never stored
  username    TEXT    NOT NULL REFERENCES staff(username),
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
CREATE INDEX sessions_live ON sessions(expires_at) WHERE revoked_at IS NULL;
CREATE TABLE audit (
  seq          INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,  -- microseconds since the Unix epoch, UTC
  username     TEXT    NOT NULL,
  role         TEXT    NOT NULL,
  organisation TEXT    NOT NULL,
  session      TEXT    NOT NULL,
  record       TEXT    NOT NULL,  -- "contact:42"
  action       TEXT    NOT NULL,  -- "read", "command:accept", ...
  outcome      TEXT    NOT NULL,  -- "allowed", "denied", "rejected", ...
  reason       TEXT    NOT NULL,  -- break-glass or other stated reason; "" if none
  event_seq    INTEGER,           -- the event this row accompanies, if any
  prev_hash    TEXT    NOT NULL,  -- hex SHA-256 of the previous row ("0"*64 for the first)
  hash         TEXT    NOT NULL   -- hex SHA-256(prev_hash bytes || canonical encoding of this row)
);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
)sql",
    // Shift log: rows derived from the log by app::shift_log_projection inside
    // the commits of the events they come from. Times are microseconds since
    // the Unix epoch, UTC, like events.recorded_at.
    R"sql(
CREATE TABLE contact_timings (
  contact_id            INTEGER PRIMARY KEY,  -- seq of the event that created the contact
  channel               TEXT    NOT NULL,     -- call, text, callback
  route                 TEXT    NOT NULL,     -- nhs111_option2, local_line, sms_keyword, ...
  area                  TEXT    NOT NULL,     -- '' = the regional pool
  band                  TEXT    NOT NULL,     -- triage band when it left the queue: A..G, '-'
  offered_us            INTEGER,              -- reached the service by itself
  answered_us           INTEGER,
  abandoned_us          INTEGER,
  abandon_threshold_us  INTEGER NOT NULL,     -- abandoned later than offered + this counts
  lost                  INTEGER NOT NULL,     -- 1: lost by the telephony platform
  callback_requested_us INTEGER,
  callback_made_us      INTEGER,
  closed_us             INTEGER,
  outcome_code          TEXT    NOT NULL,     -- NHS outcome 01..06, 98, or ''
  answered_by           TEXT,                 -- the nurse who answered first
  shift_id              INTEGER,              -- answered_by's shift then (shifts.shift_id), if on one
  updated_seq           INTEGER NOT NULL      -- the event that last changed this row
);
CREATE INDEX contact_timings_offered ON contact_timings(offered_us);
CREATE INDEX contact_timings_answered_by ON contact_timings(answered_by, answered_us);
CREATE INDEX contact_timings_shift ON contact_timings(shift_id);
CREATE TABLE shifts (
  shift_id    INTEGER PRIMARY KEY,  -- seq of the start_shift event
  nurse       TEXT    NOT NULL,
  started_us  INTEGER NOT NULL,
  ended_us    INTEGER,              -- NULL while on shift
  handover_id INTEGER,              -- handovers.handover_id written at its end; NULL after a sign-off
  updated_seq INTEGER NOT NULL
);
CREATE INDEX shifts_nurse ON shifts(nurse, started_us);
CREATE TABLE handovers (
  handover_id        INTEGER PRIMARY KEY,  -- seq of the end_shift event
  from_nurse         TEXT    NOT NULL,
  to_nurse           TEXT,                 -- NULL: the open contacts went back to the queue
  shift_id           INTEGER,              -- the shift that ended
  created_us         INTEGER NOT NULL,
  acknowledged_by    TEXT,
  acknowledged_us    INTEGER,
  open_conversations INTEGER NOT NULL,
  pending_callbacks  INTEGER NOT NULL,
  high_risk          INTEGER NOT NULL,
  updated_seq        INTEGER NOT NULL
);
-- One row per assignment of a unit to an incident (core::kpi::dispatch_timing).
-- A step not reached, or skipped by the crew, is NULL; skipped ones are also
-- listed in skipped_steps. Times are when the step happened.
CREATE TABLE dispatch_timings (
  incident_id     INTEGER NOT NULL,  -- 1, 2, ... in raising order
  assignment      INTEGER NOT NULL,  -- 1, 2, ... within the incident, in order made
  unit            TEXT    NOT NULL,
  category        TEXT    NOT NULL,  -- triage category A..G, '?' if none
  raised_us       INTEGER NOT NULL,  -- the incident's raise
  assigned_us     INTEGER NOT NULL,
  alerted_us      INTEGER,
  acknowledged_us INTEGER,
  en_route_us     INTEGER,
  on_scene_us     INTEGER,
  cleared_us      INTEGER,
  stood_down_us   INTEGER,           -- ended by stand-down rather than by clearing
  skipped_steps   TEXT    NOT NULL,  -- 'alerted,acknowledged' or ''
  target_s        INTEGER,           -- the category's face-to-face target; NULL: none
  met             INTEGER,           -- on_scene - raised <= target; NULL: not on scene or no target
  updated_seq     INTEGER NOT NULL,
  PRIMARY KEY (incident_id, assignment)
);
CREATE INDEX dispatch_timings_assigned ON dispatch_timings(assigned_us);
-- How far the shift log has been projected: equals MAX(events.seq) after
-- every commit; lower only in a database from before the shift log.
CREATE TABLE shift_log_progress (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  projected_seq INTEGER NOT NULL
);
INSERT INTO shift_log_progress(id, projected_seq) VALUES (1, 0);
)sql",
    // Retention: the one UPDATE the log allows is a one-way tombstone that
    // rewrites a payload whose message bodies and numbers were purged.
    R"sql(
ALTER TABLE events ADD COLUMN purged INTEGER NOT NULL DEFAULT 0 CHECK (purged IN (0, 1));
DROP TRIGGER events_append_only_update;
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
  WHEN NOT (OLD.purged = 0 AND NEW.purged = 1
            AND NEW.seq IS OLD.seq AND NEW.recorded_at IS OLD.recorded_at
            AND NEW.kind IS OLD.kind AND NEW.source IS OLD.source
            AND NEW.source_event_id IS OLD.source_event_id AND NEW.actor IS OLD.actor)
  BEGIN SELECT RAISE(ABORT, 'events is append-only (a payload may only be tombstoned, once)'); END;
)sql",
};

}  // namespace

void configure_connection(connection& c) {
  c.exec("PRAGMA journal_mode=WAL");
  c.exec("PRAGMA synchronous=FULL");
  c.exec("PRAGMA foreign_keys=ON");
  // A retention purge must not leave the purged bytes in freed pages.
  c.exec("PRAGMA secure_delete=ON");
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
