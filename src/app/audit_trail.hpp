#pragma once

#include <functional>
#include <string>

#include "app/access.hpp"
#include "core/time.hpp"
#include "store/audit.hpp"
#include "store/writer.hpp"

namespace crisisline::app {

// One access to a record, as the audit table keeps it.
struct audit_entry {
  principal who;
  // "contact:42".
  std::string record;
  // "read", "command:accept", ...
  std::string action;
  // "allowed", "denied", "not_found", "submitted", "rejected".
  std::string outcome;
  // A break-glass reason, or why the engine refused a command; "" if none.
  std::string reason;
};

// Appends rows to the hash-chained audit table through the writer thread
// (which keeps the chain sequential). Lives on the io thread.
class audit_trail {
 public:
  using clock_fn = std::function<core::timestamp()>;
  audit_trail(store::writer& writer, std::string organisation, clock_fn clock);

  // Appends `e`; `done` runs on the io thread once the row has committed. Any
  // other status means nothing was written and `done` never runs: answer
  // with submit_refused().
  [[nodiscard]] store::writer::submit_status record(audit_entry e, std::function<void()> done);
  // Several rows in one commit, in order.
  [[nodiscard]] store::writer::submit_status record(std::vector<audit_entry> entries,
                                                    std::function<void()> done);

  // The row for `e`, to commit with an event in one transaction
  // (event_pipeline::submit); `event_index` is the event's position there.
  [[nodiscard]] store::audit_record row(const audit_entry& e, int event_index = -1) const;

 private:
  store::writer& writer_;
  std::string organisation_;
  clock_fn clock_;
};

}  // namespace crisisline::app
