#include "app/retention.hpp"

#include <chrono>

#include "adapters/phone_number.hpp"
#include "codec/config_loader.hpp"
#include "codec/dispatch_codec.hpp"
#include "codec/event_codec.hpp"

namespace crisisline::app {

namespace {

// Replaces a number by its key; an empty field stays empty.
bool redact_number(std::string& number, const std::map<std::string, std::string>& number_keys) {
  if (number.empty()) return false;
  const auto it = number_keys.find(number);
  std::string replacement = it != number_keys.end() ? it->second : std::string{core::purged_body};
  if (replacement == number) return false;
  number = std::move(replacement);
  return true;
}

bool redact_text(v1::TextEvent& t, const std::map<std::string, std::string>& number_keys,
                 const core::risk_detector& risk) {
  if (t.body_purged()) return false;
  bool changed = redact_number(*t.mutable_from(), number_keys);
  if (!t.body().empty()) {
    const core::risk_assessment found = risk.assess(t.body());
    t.set_body_purged(true);
    for (const std::string& rule : found.fired) t.add_purged_risk_rules(rule);
    if (found.raise_to) t.set_purged_risk_band(codec::to_proto(*found.raise_to));
    t.set_body(std::string{core::purged_body});
    changed = true;
  }
  return changed;
}

}  // namespace

std::string sender_key_secret(const v1::Config& config) {
  return codec::secret(config.sender_key_secret(), config.sender_key_secret_env());
}

std::optional<std::string> retention_problem(const v1::Config& config) {
  if (config.retention().keep_days() == 0) return std::nullopt;
  if (sender_key_secret(config).empty()) {
    return "retention.keep_days needs sender_key_secret (or sender_key_secret_env): numbers are "
           "replaced by their keyed hash";
  }
  return std::nullopt;
}

core::timestamp retention_cutoff(core::timestamp now, std::uint32_t keep_days) {
  return now - std::chrono::hours{24} * static_cast<std::int64_t>(keep_days);
}

std::optional<v1::Event> plan_retention_purge(const core::engine& engine, core::timestamp before,
                                              std::string_view secret) {
  const auto ids = engine.purgeable(before);
  if (ids.empty()) return std::nullopt;
  v1::Event e;
  e.set_source("system");
  e.mutable_actor()->set_kind(v1::Actor::SYSTEM);
  e.mutable_actor()->set_id("retention");
  auto* p = e.mutable_retention_purge();
  *p->mutable_before() = codec::to_proto_time(before);
  p->set_through_seq(engine.stats().last_seq);
  std::uint64_t events = 0;
  for (const core::contact_id id : ids) {
    const core::contact& c = *engine.find_contact(id);
    auto* pc = p->add_contacts();
    pc->set_contact_id(id.value());
    pc->set_from_key(
        adapters::sender_key(secret, adapters::classify_sender(c.from)).value_or(c.from));
    events += c.personal_events.size();
  }
  p->mutable_counts()->set_contacts(ids.size());
  p->mutable_counts()->set_events(events);
  return e;
}

bool redact_event(v1::Event& e, const std::map<std::string, std::string>& number_keys,
                  const core::risk_detector& risk) {
  switch (e.payload_case()) {
    case v1::Event::kCall: {
      auto* c = e.mutable_call();
      const bool from = redact_number(*c->mutable_from(), number_keys);
      const bool forwarded = redact_number(*c->mutable_forwarded_from(), number_keys);
      return from || forwarded;
    }
    case v1::Event::kText:
      return redact_text(*e.mutable_text(), number_keys, risk);
    case v1::Event::kKeywordText:
      return redact_text(*e.mutable_keyword_text()->mutable_text(), number_keys, risk);
    case v1::Event::kConsole: {
      auto* cmd = e.mutable_console();
      // An empty reply is refused whatever it says; purging it would not be.
      if (!cmd->has_reply() || cmd->reply().body().empty() ||
          cmd->reply().body() == core::purged_body) {
        return false;
      }
      cmd->mutable_reply()->set_body(std::string{core::purged_body});
      return true;
    }
    // Dispatch commands name places and units, not the caller's number or
    // words (README "Retention": not purged yet).
    case v1::Event::kDispatch:
    case v1::Event::kTextStatus:
    case v1::Event::kCrewStatus:
    case v1::Event::kTimer:
    case v1::Event::kOutboundResult:
    case v1::Event::kRetentionPurge:
    case v1::Event::PAYLOAD_NOT_SET:
      return false;
  }
  return false;
}

}  // namespace crisisline::app
