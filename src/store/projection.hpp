#pragma once

#include <cstdint>

#include "store/database.hpp"

namespace crisisline::store {

struct event_record;

// Tables derived from the log that must never disagree with it: the writer
// calls a projection inside the transaction that commits the events, so the
// derived rows and the events become durable together or not at all.
//
// Called only on the writer thread (and on the thread constructing the
// writer, before that thread starts). An exception is a failed commit:
// fail-stop, like any other commit error.
class projection {
 public:
  virtual ~projection() = default;

  // Once, before the first commit, inside its own transaction: bring the
  // derived tables up to date with everything already in the log.
  virtual void catch_up(connection& db) = 0;

  // For each newly committed (not duplicate) event, in seq order, inside the
  // open transaction, before COMMIT.
  virtual void apply(connection& db, std::uint64_t seq, const event_record& r) = 0;
};

}  // namespace crisisline::store
