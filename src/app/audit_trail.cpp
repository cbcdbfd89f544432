#include "app/audit_trail.hpp"

namespace crisisline::app {

audit_trail::audit_trail(store::writer& writer, std::string organisation, clock_fn clock)
    : writer_(writer), organisation_(std::move(organisation)), clock_(std::move(clock)) {}

store::audit_record audit_trail::row(const audit_entry& e, int event_index) const {
  return store::audit_record{.fields = {.at_us = core::to_micros(clock_()),
                                        .username = e.who.id,
                                        .role = std::string(role_name(e.who.role)),
                                        .organisation = organisation_,
                                        .session = e.who.session,
                                        .record = e.record,
                                        .action = e.action,
                                        .outcome = e.outcome,
                                        .reason = e.reason},
                             .event_index = event_index};
}

store::writer::submit_status audit_trail::record(audit_entry e, std::function<void()> done) {
  std::vector<audit_entry> one;
  one.push_back(std::move(e));
  return record(std::move(one), std::move(done));
}

store::writer::submit_status audit_trail::record(std::vector<audit_entry> entries,
                                                 std::function<void()> done) {
  std::vector<store::audit_record> rows;
  rows.reserve(entries.size());
  for (const auto& e : entries) rows.push_back(row(e));
  return writer_.submit({}, std::move(rows),
                        [done = std::move(done)](std::vector<store::commit_result>) { done(); });
}

}  // namespace crisisline::app
