#include "core/kpi.hpp"

#include <algorithm>
#include <array>
#include <map>

#include "core/triage.hpp"

namespace crisisline::core::kpi {

namespace {

// The band in force at `t`: the last change at or before it.
triage_category band_at_time(const contact& c, timestamp t) {
  triage_category band = c.band;
  for (auto it = c.triage_history.rbegin(); it != c.triage_history.rend(); ++it) {
    if (it->at <= t) return it->to;
    band = it->from;
  }
  return band;
}

std::optional<double> share(std::uint64_t part, std::uint64_t whole) {
  if (whole == 0) return std::nullopt;
  return static_cast<double>(part) / static_cast<double>(whole);
}

// Nearest rank: the smallest value that at least `percent`% of `values` do
// not exceed. Sorts `values`.
std::optional<duration> nearest_rank(std::vector<duration>& values, std::size_t percent) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t rank = (percent * values.size() + 99) / 100;
  return values[rank - 1];
}

std::string area_group(const std::string& area) {
  return area.empty() ? "(none)" : area;
}

}  // namespace

std::optional<timing_record> timing_of(const contact& c) {
  timing_record r;
  r.contact = c.id;
  r.kind = c.kind;
  r.route = c.route;
  r.area = c.area;
  std::optional<timestamp> left_queue = c.answered_time ? c.answered_time : c.abandoned_time;
  switch (c.kind) {
    case channel::call:
    case channel::text:
      r.offered = c.created;
      r.answered = c.answered_time;
      if (c.exit == queue_exit::failed) {
        r.lost = true;
      } else if (c.abandoned_time) {
        r.abandoned = c.abandoned_time;
      }
      break;
    case channel::callback:
      if (!c.callback_of) {
        // A call first heard of as hung up: the engine made it a callback at
        // once. Its wait before the hang-up is unknown, so it counts as offered
        // and abandoned at the same instant (within 30 s).
        r.offered = c.created;
        if (c.exit == queue_exit::failed) {
          r.lost = true;
        } else {
          r.abandoned = c.abandoned_time.value_or(c.created);
        }
        left_queue = c.answered_time;
      }
      // A booked callback is owed from its due time, not from when it was booked.
      r.callback_requested = c.callback_due.value_or(c.created);
      r.callback_made = c.answered_time;
      break;
  }
  r.band = left_queue ? band_at_time(c, *left_queue) : c.band;
  if (!r.offered && !r.callback_requested) return std::nullopt;
  return r;
}

std::vector<timing_record> timings_of(const engine& e) {
  std::vector<timing_record> out;
  for (const auto& [id, c] : e.contacts()) {
    if (auto r = timing_of(c)) out.push_back(std::move(*r));
  }
  return out;
}

std::vector<dispatch_timing> dispatch_timings_of(const dispatch::incident& inc,
                                                 const dispatch::category_targets& targets) {
  std::optional<duration> target;
  if (const auto i = dispatch::category_index(inc.category)) target = targets[*i];
  std::vector<dispatch_timing> out;
  for (const dispatch::assignment& a : inc.assignments) {
    dispatch_timing t{.incident = inc.id,
                      .assignment = out.size() + 1,
                      .unit = a.unit,
                      .category = inc.category,
                      .raised = inc.raised_at,
                      .target = target};
    for (const dispatch::status_step& step : a.steps) {
      if (step.skipped()) {
        t.skipped.push_back(step.state);
        continue;
      }
      std::optional<timestamp>* slot = nullptr;
      switch (step.state) {
        case unit_state::assigned:
          t.assigned = *step.at;
          break;
        case unit_state::alerted:
          slot = &t.alerted;
          break;
        case unit_state::acknowledged:
          slot = &t.acknowledged;
          break;
        case unit_state::en_route:
          slot = &t.en_route;
          break;
        case unit_state::on_scene:
          slot = &t.on_scene;
          break;
        case unit_state::clear:
          slot = &t.cleared;
          break;
        case unit_state::unspecified:
        case unit_state::unavailable:
        case unit_state::available:
        case unit_state::transporting:
        case unit_state::at_destination:
          break;
      }
      // The first time a step was reached is its time.
      if (slot && !*slot) *slot = step.at;
    }
    if (a.stood_down) t.stood_down = a.ended_at;
    if (t.on_scene && target) t.met = *t.on_scene - t.raised <= *target;
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<dispatch_timing> dispatch_timings_of(const engine& e) {
  std::vector<dispatch_timing> out;
  const auto& targets = e.board().config().targets;
  for (const auto& [id, inc] : e.board().incidents()) {
    auto rows = dispatch_timings_of(inc, targets);
    out.insert(out.end(), std::make_move_iterator(rows.begin()),
               std::make_move_iterator(rows.end()));
  }
  return out;
}

std::vector<incident_timing> incident_timings_of(const engine& e) {
  std::vector<incident_timing> out;
  const auto& targets = e.board().config().targets;
  for (const auto& [id, inc] : e.board().incidents()) {
    incident_timing t{.incident = id, .category = inc.category, .raised = inc.raised_at};
    if (const auto i = dispatch::category_index(inc.category)) t.target = targets[*i];
    for (const auto& row : dispatch_timings_of(inc, targets)) {
      if (row.on_scene && (!t.first_on_scene || *row.on_scene < *t.first_on_scene))
        t.first_on_scene = row.on_scene;
    }
    out.push_back(t);
  }
  return out;
}

std::vector<dispatch_split> compute_dispatch(const std::vector<dispatch_timing>& assignments,
                                             const std::vector<incident_timing>& incidents,
                                             const window& w) {
  struct group {
    dispatch_figures f;
    std::vector<duration> to_alert, to_ack, to_scene;
    bool any = false;
  };
  // A..G, then unspecified.
  std::array<group, 8> groups;
  const auto group_of = [&](triage_category c) -> group& {
    const auto i = dispatch::category_index(c);
    return groups[i ? *i : groups.size() - 1];
  };
  for (const dispatch_timing& r : assignments) {
    if (!w.contains(r.assigned)) continue;
    group& g = group_of(r.category);
    g.any = true;
    ++g.f.assignments;
    if (r.alerted) g.to_alert.push_back(*r.alerted - r.assigned);
    if (r.acknowledged) g.to_ack.push_back(*r.acknowledged - r.assigned);
    if (r.on_scene) g.to_scene.push_back(*r.on_scene - r.assigned);
  }
  for (const incident_timing& inc : incidents) {
    if (!w.contains(inc.raised)) continue;
    group& g = group_of(inc.category);
    g.any = true;
    if (!inc.target) continue;
    ++g.f.incidents_with_target;
    if (inc.first_on_scene && *inc.first_on_scene - inc.raised <= *inc.target)
      ++g.f.on_scene_within_target;
  }
  std::vector<dispatch_split> out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    group& g = groups[i];
    if (!g.any) continue;
    g.f.to_alert_median = nearest_rank(g.to_alert, 50);
    g.f.to_alert_p90 = nearest_rank(g.to_alert, 90);
    g.f.to_acknowledged_median = nearest_rank(g.to_ack, 50);
    g.f.to_acknowledged_p90 = nearest_rank(g.to_ack, 90);
    g.f.to_on_scene_median = nearest_rank(g.to_scene, 50);
    g.f.to_on_scene_p90 = nearest_rank(g.to_scene, 90);
    g.f.on_scene_within_target_share = share(g.f.on_scene_within_target, g.f.incidents_with_target);
    const auto category = i + 1 < groups.size() ? band_at(i) : triage_category::unspecified;
    out.push_back({.category = std::string{triage_code(category)}, .values = g.f});
  }
  return out;
}

report report_of(const engine& e, const window& w) {
  report r = compute_report(timings_of(e), w);
  r.dispatch = compute_dispatch(dispatch_timings_of(e), incident_timings_of(e), w);
  return r;
}

std::optional<shift_figures> shift_figures_of(const engine& e, std::uint64_t id, timestamp now) {
  const shift_record* s = e.find_shift(id);
  if (!s) return std::nullopt;
  shift_figures out{.shift = *s,
                    .span = {s->started, s->ended.value_or(std::max(now, s->started))}};
  for (const auto& [cid, c] : e.contacts()) {
    if (c.answered_shift == id) ++out.answered_by_nurse;
  }
  return out;
}

figures compute(const std::vector<timing_record>& records, const window& w) {
  figures f;
  std::vector<duration> waits;
  duration total{};
  for (const timing_record& r : records) {
    if (r.offered && w.contains(*r.offered)) {
      ++f.offered;
      if (r.answered) {
        const duration wait = *r.answered - *r.offered;
        ++f.answered;
        waits.push_back(wait);
        total += wait;
        if (wait <= answer_fast) ++f.answered_within_20s;
        if (wait <= answer_standard) ++f.answered_within_60s;
      } else if (r.abandoned) {
        const duration wait = *r.abandoned - *r.offered;
        ++f.abandoned;
        // Exactly 30 s is still a likely misdial (DOMAIN.md §3: "after
        // waiting more than 30 s").
        if (wait <= misdial_limit) {
          ++f.abandoned_within_30s;
        } else {
          ++f.abandoned_after_30s;
        }
        if (wait <= service_level) ++f.abandoned_within_sl;
      } else if (r.lost) {
        ++f.lost;
      } else {
        ++f.unanswered;
      }
    }
    if (r.callback_requested && w.contains(*r.callback_requested)) {
      ++f.callbacks_offered;
      if (r.callback_made) {
        ++f.callbacks_made;
        if (*r.callback_made - *r.callback_requested <= callback_target) ++f.callbacks_within_10min;
      }
    }
  }
  if (!waits.empty()) {
    f.average_speed_to_answer = total / static_cast<std::int64_t>(waits.size());
    f.answer_time_p95 = nearest_rank(waits, 95);
  }
  // Answered within 20 s is answered within N for N = 20 s.
  static_assert(service_level == answer_fast);
  f.answered_within_20s_share = share(f.answered_within_20s, f.answered);
  f.answered_within_60s_share = share(f.answered_within_60s, f.answered);
  f.abandoned_after_30s_share = share(f.abandoned_after_30s, f.offered);
  f.sl = share(f.answered_within_20s, f.answered);
  f.sl2 = share(f.answered_within_20s + f.abandoned_within_sl, f.answered + f.abandoned);
  f.callbacks_within_10min_share = share(f.callbacks_within_10min, f.callbacks_offered);
  return f;
}

report compute_report(const std::vector<timing_record>& records, const window& w) {
  report out;
  out.span = w;
  out.splits.push_back({dimension::all, "all", compute(records, w)});

  const auto relevant = [&](const timing_record& r) {
    return (r.offered && w.contains(*r.offered)) ||
           (r.callback_requested && w.contains(*r.callback_requested));
  };
  const auto add_groups = [&](dimension by, const auto& key_of,
                              const std::vector<std::string>& always) {
    std::map<std::string, std::vector<timing_record>> groups;
    for (const std::string& g : always) groups[g];
    for (const timing_record& r : records) {
      if (relevant(r)) groups[key_of(r)].push_back(r);
    }
    std::vector<std::string> order = always;
    for (const auto& [key, rows] : groups) {
      if (std::find(order.begin(), order.end(), key) == order.end()) order.push_back(key);
    }
    for (const std::string& key : order) {
      out.splits.push_back({by, key, compute(groups[key], w)});
    }
  };

  add_groups(dimension::channel,
             [](const timing_record& r) {
               // Callbacks follow the channel of the contact they call back.
               return std::string{to_string(r.kind == channel::callback ? channel::call : r.kind)};
             },
             {"call", "text"});
  add_groups(dimension::route,
             [](const timing_record& r) { return std::string{route_name(r.route)}; },
             {std::string{route_name(route_of_access::nhs111_option2)},
              std::string{route_name(route_of_access::local_line)},
              std::string{route_name(route_of_access::sms_keyword)},
              std::string{route_name(route_of_access::professional_line)}});
  add_groups(dimension::area, [](const timing_record& r) { return area_group(r.area); }, {});
  // Bands in scale order (A first), not alphabetical order of whatever showed up.
  std::vector<std::string> bands_present;
  for (std::size_t i = 0; i < triage_band_count; ++i) {
    const triage_category b = band_at(i);
    if (std::any_of(records.begin(), records.end(),
                    [&](const timing_record& r) { return r.band == b && relevant(r); })) {
      bands_present.emplace_back(triage_code(b));
    }
  }
  add_groups(
      dimension::band, [](const timing_record& r) { return std::string{triage_code(r.band)}; },
      bands_present);
  return out;
}

const split* report::find(dimension by, std::string_view group) const {
  for (const split& s : splits) {
    if (s.by == by && s.group == group) return &s;
  }
  return nullptr;
}

std::string_view to_string(dimension d) {
  switch (d) {
    case dimension::all:
      return "all";
    case dimension::channel:
      return "channel";
    case dimension::route:
      return "route";
    case dimension::area:
      return "area";
    case dimension::band:
      return "band";
  }
  return "?";
}

std::string_view route_name(route_of_access r) {
  switch (r) {
    case route_of_access::nhs111_option2:
      return "nhs111_option2";
    case route_of_access::local_line:
      return "local_line";
    case route_of_access::sms_keyword:
      return "sms_keyword";
    case route_of_access::professional_line:
      return "professional_line";
    case route_of_access::unspecified:
      return "unspecified";
  }
  return "unspecified";
}

}  // namespace crisisline::core::kpi
