#include "app/effect_log.hpp"

#include "log/log.hpp"

namespace crisisline::app {
namespace {

std::string_view withdraw_name(core::withdraw_reason r) {
  switch (r) {
    case core::withdraw_reason::timed_out:
      return "timed_out";
    case core::withdraw_reason::declined:
      return "declined";
    case core::withdraw_reason::nurse_unavailable:
      return "nurse_unavailable";
    case core::withdraw_reason::answered_elsewhere:
      return "answered_elsewhere";
    case core::withdraw_reason::contact_left:
      return "contact_left";
  }
  return "unknown";
}

}  // namespace

void log_effects(std::uint64_t seq, const core::effects& effects) {
  for (const auto& fx : effects) {
    std::visit(
        [seq](const auto& e) {
          using T = std::decay_t<decltype(e)>;
          if constexpr (std::is_same_v<T, core::notice>) {
            log::info("notice", {{"seq", seq},
                                 {"kind", std::string_view(e.kind)},
                                 {"contact_id", e.contact_id},
                                 {"audience", e.to == core::notice::audience::supervisors
                                                  ? std::string_view("supervisors")
                                                  : std::string_view("nurse")},
                                 {"nurse_id", std::string_view(e.nurse_id)}});
          } else if constexpr (std::is_same_v<T, core::offer_made>) {
            log::info("offer made", {{"seq", seq},
                                     {"contact_id", e.contact.value()},
                                     {"nurse_id", std::string_view(e.nurse.value())}});
          } else if constexpr (std::is_same_v<T, core::offer_withdrawn>) {
            log::info("offer withdrawn", {{"seq", seq},
                                          {"contact_id", e.contact.value()},
                                          {"nurse_id", std::string_view(e.nurse.value())},
                                          {"reason", withdraw_name(e.reason)}});
          } else if constexpr (std::is_same_v<T, core::contact_assigned>) {
            log::info("contact assigned", {{"seq", seq},
                                           {"contact_id", e.contact.value()},
                                           {"nurse_id", std::string_view(e.nurse.value())}});
          } else if constexpr (std::is_same_v<T, core::command_rejected>) {
            log::info("command rejected", {{"seq", seq},
                                           {"nurse_id", std::string_view(e.nurse.value())},
                                           {"command", std::string_view(e.command)},
                                           {"reason", std::string_view(e.reason)}});
          } else if constexpr (std::is_same_v<T, core::send_text>) {
            log::info("text to send", {{"seq", seq}, {"outbound_id", e.outbound_id}});
          } else if constexpr (std::is_same_v<T, core::dispatch::crew_alert>) {
            log::info("crew alert", {{"seq", seq},
                                     {"alert", e.alert_number},
                                     {"incident_id", e.incident.value()},
                                     {"unit", std::string_view(e.unit.value())},
                                     {"repeat", e.repeat}});
          } else if constexpr (std::is_same_v<T, core::dispatch::crew_stand_down>) {
            log::info("crew stand-down", {{"seq", seq},
                                          {"incident_id", e.incident.value()},
                                          {"unit", std::string_view(e.unit.value())},
                                          {"reason", core::dispatch::reason_name(e.reason)}});
          } else if constexpr (std::is_same_v<T, core::dispatch_update>) {
            log::info("dispatch update", {{"seq", seq},
                                          {"contact_id", e.contact.value()},
                                          {"incident_id", e.incident.value()},
                                          {"unit", std::string_view(e.unit.value())}});
          } else if constexpr (std::is_same_v<T, core::contact_changed> ||
                               std::is_same_v<T, core::nurse_changed> ||
                               std::is_same_v<T, core::queue_changed>) {
            // Change markers for live consoles; the event itself is the record.
          } else {
            static_assert(sizeof(T) == 0, "log every effect kind");
          }
        },
        fx);
  }
}

}  // namespace crisisline::app
