#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/contact.hpp"
#include "core/effect.hpp"
#include "core/engine.hpp"
#include "core/event.hpp"
#include "core/ids.hpp"

// `crisisline explain contact ID`: one contact's whole timeline, rebuilt by
// replaying the log through the engine and comparing the contact before and
// after every event, plus the effects (offers, withdrawals, notices, refused
// commands) that name it. So anyone can see why it waited as long as it did.
//
// Callbacks made for the contact, and a redial that took a callback's place,
// are followed too (each line names the contact it is about).
//
// Message bodies, notes and replies appear by reference only (the seq of the
// event that carried them and their length); phone numbers never appear.
namespace crisisline::app {

struct timeline_entry {
  std::uint64_t seq = 0;
  core::timestamp at{};
  std::uint64_t contact = 0;
  // Machine tag: arrived, queued, band, risk, message, offer, offer_timeout,
  // offer_withdrawn, declined, answered, transferred, note, reply, hung_up,
  // lost, closed, outcome, callback, redial, notice, refused.
  std::string what;
  // Plain words for a clinician.
  std::string detail;
};

struct contact_explanation {
  std::uint64_t contact = 0;
  // The contact as it stands after the whole log; nullopt if it never existed.
  std::optional<core::contact> final_state;
  // Contacts followed besides the one asked about (callbacks, redials).
  std::vector<std::uint64_t> related;
  std::vector<timeline_entry> timeline;
  // Counts for the summary.
  std::uint32_t offers = 0;
  std::uint32_t declines = 0;
  std::uint32_t offer_timeouts = 0;
};

// Applies events to an engine and records what each did to the followed
// contacts. Not thread-safe; one per explanation.
class timeline_recorder {
 public:
  explicit timeline_recorder(core::contact_id id);

  // Applies `ev` to `engine` (which must have had every earlier event applied
  // through this recorder or before the contact existed) and records it.
  core::effects apply(core::engine& engine, const core::event& ev);

  [[nodiscard]] contact_explanation result(const core::engine& engine) const;

 private:
  void describe_change(const core::engine& engine, const core::event& ev,
                       const core::contact* before, const core::contact& after);
  // `fell_due` picks the effects of deadlines that passed before the event
  // (offer timeouts, breach notices), shown ahead of the event's own changes;
  // the others are shown after them.
  void describe_effects(const core::engine& engine, const core::event& ev, const core::effects& fx,
                        bool fell_due);
  void add(const core::event& ev, std::uint64_t contact, std::string what, std::string detail);
  [[nodiscard]] std::string queue_context(const core::engine& engine, const core::contact& c,
                                          core::timestamp now) const;

  core::contact_id id_;
  // Followed contacts (the one asked about first).
  std::vector<std::uint64_t> family_;
  std::map<std::uint64_t, core::contact> before_;
  std::vector<timeline_entry> entries_;
  std::uint32_t offers_ = 0;
  std::uint32_t declines_ = 0;
  std::uint32_t offer_timeouts_ = 0;
};

[[nodiscard]] std::string render_explanation_text(const contact_explanation& x);
[[nodiscard]] std::string render_explanation_json(const contact_explanation& x);

}  // namespace crisisline::app
