#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/dispatch/board.hpp"

namespace crisisline::core::dispatch::testing {

// 2024-05-01 00:00:00 UTC, a Wednesday.
inline timestamp day_start() {
  return timestamp{std::chrono::sys_days{std::chrono::year{2024} / 5 / 1}.time_since_epoch()};
}

inline timestamp utc(int hours, int minutes = 0) {
  return day_start() + std::chrono::hours{hours} + std::chrono::minutes{minutes};
}

inline actor_info crew_of(const std::string& unit) {
  return {.role = actor_role::crew, .id = "crew-" + unit, .unit = unit_id{unit}};
}
inline actor_info nurse() {
  return {.role = actor_role::nurse, .id = "nurse-ann", .unit = {}};
}
inline actor_info dispatcher() {
  return {.role = actor_role::dispatcher, .id = "disp-bob", .unit = {}};
}
inline actor_info system_actor() {
  return {.role = actor_role::system, .id = "crew-feed", .unit = {}};
}

// Portsmouth, Southampton, Winchester; the incident is in Portsmouth.
inline const geo_point portsmouth{50.8198, -1.0880};
inline const geo_point southampton{50.9097, -1.4044};
inline const geo_point winchester{51.0632, -1.3080};
inline const geo_point cosham{50.8450, -1.0660};

// MHRC1: Portsmouth, around the clock, paramedic + MH nurse.
// MHRC2: Southampton, 13:00-01:00, paramedic + MH nurse + police.
// MHRC3: Winchester, 18:00-02:00, paramedic + CAMHS.
inline dispatch_settings three_units() {
  dispatch_settings s;
  s.units = {
      {.id = unit_id{"mhrc1"},
       .call_sign = "MHRC1",
       .skills = {"mh_paramedic", "mh_nurse"},
       .base = portsmouth,
       .area = area_id{"portsmouth"},
       .shifts = {},
       .speed_kmh = std::nullopt},
      {.id = unit_id{"mhrc2"},
       .call_sign = "MHRC2",
       .skills = {"mh_paramedic", "mh_nurse", "police"},
       .base = southampton,
       .area = area_id{"southampton"},
       .shifts = {shift_hours(13, 0, 1, 0)},
       .speed_kmh = std::nullopt},
      {.id = unit_id{"mhrc3"},
       .call_sign = "MHRC3",
       .skills = {"mh_paramedic", "camhs"},
       .base = winchester,
       .area = area_id{"winchester"},
       .shifts = {shift_hours(18, 0, 2, 0)},
       .speed_kmh = std::nullopt},
  };
  s.allow_other_areas = true;
  return s;
}

template <typename T>
std::vector<T> all_of_type(const effect_list& effects) {
  std::vector<T> out;
  for (const auto& e : effects)
    if (const auto* p = std::get_if<T>(&e)) out.push_back(*p);
  return out;
}

inline std::vector<dispatcher_notice> notices(const effect_list& effects, const std::string& kind) {
  std::vector<dispatcher_notice> out;
  for (const auto& n : all_of_type<dispatcher_notice>(effects))
    if (n.kind == kind) out.push_back(n);
  return out;
}

inline std::vector<std::string> nurse_texts(const effect_list& effects, contact_id contact) {
  std::vector<std::string> out;
  for (const auto& u : all_of_type<nurse_update>(effects))
    if (u.contact == contact) out.push_back(u.text);
  return out;
}

// Drives a board with a clock that moves one second per command unless told
// otherwise; every command and tick is remembered for replay.
struct harness {
  struct step {
    std::optional<command> cmd;
    actor_info by;
    timestamp at;
  };

  explicit harness(dispatch_settings s = three_units()) : board(std::move(s)) {}

  result run(const command& c, const actor_info& by) {
    now += std::chrono::seconds{1};
    log.push_back({c, by, now});
    last = board.apply(c, by, now);
    return last;
  }

  // Runs a command that must be accepted; returns its effects.
  effect_list ok(const command& c, const actor_info& by) {
    const auto r = run(c, by);
    INFO(std::string{command_name(c)} + " by " + std::string{actor_name(by.role)} +
         " rejected: " + r.reason);
    REQUIRE(r.accepted);
    return r.effects;
  }

  effect_list tick_at(timestamp t) {
    now = t;
    log.push_back({std::nullopt, {}, now});
    return board.tick(now);
  }

  void sign_on(const std::string& u) {
    ok(crew_sign_on{.unit = unit_id{u}, .crew = {"a", "b"}}, crew_of(u));
  }

  incident_id raise(triage_category cat = triage_category::b, std::vector<std::string> skills = {},
                    std::uint64_t contact = 100) {
    const auto fx = ok(raise_incident{.contact = contact_id{contact},
                                      .coordinates = cosham,
                                      .address = "1 High St, Cosham",
                                      .area = {},
                                      .required_skills = std::move(skills),
                                      .category = cat,
                                      .police = std::nullopt,
                                      .note = "lives alone; dog",
                                      .monitor_only = false},
                       nurse());
    return all_of_type<incident_raised>(fx).at(0).incident;
  }

  effect_list assign(incident_id inc, const std::string& u, bool force = false) {
    return ok(assign_unit{.incident = inc, .unit = unit_id{u}, .force = force, .note = {}},
              force ? dispatcher() : nurse());
  }

  effect_list status(const std::string& u, unit_state s,
                     std::optional<destination_kind> dest = std::nullopt) {
    crew_status_update c{.unit = unit_id{u}, .state = s};
    if (s == unit_state::unavailable) c.unavailable = unavailable_reason::meal;
    if (s == unit_state::transporting)
      c.destination = dest.value_or(destination_kind::place_of_safety);
    return ok(c, crew_of(u));
  }

  const unit& get_unit(const std::string& u) const { return *board.find_unit(unit_id{u}); }
  const incident& get(incident_id id) const { return *board.find_incident(id); }

  dispatch_board board;
  timestamp now = utc(14);
  result last;
  std::vector<step> log;
};

}  // namespace crisisline::core::dispatch::testing
