#include "core/dispatch/board.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace crisisline::core::dispatch {

struct dispatch_board::context {
  const actor_info& by;
  timestamp now;
  // When the change happened: `now`, or an earlier device time for a crew status.
  timestamp at;
  effect_list out;
};

namespace {

std::string pad(std::int64_t v, int width) {
  std::string s = std::to_string(v);
  while (static_cast<int>(s.size()) < width) s.insert(s.begin(), '0');
  return s;
}

// ISO 8601 in UTC, to the second, for reasons people read.
std::string format_time(timestamp t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(t - day)};
  return pad(static_cast<int>(ymd.year()), 4) + "-" + pad(static_cast<unsigned>(ymd.month()), 2) +
         "-" + pad(static_cast<unsigned>(ymd.day()), 2) + "T" + pad(hms.hours().count(), 2) + ":" +
         pad(hms.minutes().count(), 2) + ":" + pad(hms.seconds().count(), 2) + "Z";
}

std::string describe_duration(duration d) {
  const auto total = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (total == 0) return "immediate";
  const auto days = total / 86400;
  const auto hours = (total % 86400) / 3600;
  const auto minutes = (total % 3600) / 60;
  const auto secs = total % 60;
  std::string out;
  const auto add = [&](std::int64_t v, const char* unit) {
    if (v == 0) return;
    if (!out.empty()) out += " ";
    out += std::to_string(v) + " " + unit;
  };
  add(days, "d");
  add(hours, "h");
  add(minutes, "min");
  add(secs, "s");
  return out;
}

std::string incident_label(incident_id id) {
  return "incident " + std::to_string(id.value());
}

bool is_staff(actor_role k) {
  return k == actor_role::nurse || k == actor_role::dispatcher;
}

result forbidden(std::string why) {
  return result::reject(rejection::forbidden, std::move(why));
}
result conflict(std::string why) {
  return result::reject(rejection::conflict, std::move(why));
}
result invalid(std::string why) {
  return result::reject(rejection::invalid, std::move(why));
}
result not_found(std::string why) {
  return result::reject(rejection::not_found, std::move(why));
}

// Position in the progress of an assignment; every state before the target
// that the assignment had not reached is a skipped step.
int progress_rank(unit_state s) {
  switch (s) {
    case unit_state::assigned:
      return 0;
    case unit_state::alerted:
      return 1;
    case unit_state::acknowledged:
      return 2;
    case unit_state::en_route:
      return 3;
    case unit_state::on_scene:
      return 4;
    case unit_state::transporting:
      return 5;
    case unit_state::at_destination:
      return 6;
    case unit_state::clear:
      return 7;
    case unit_state::unspecified:
    case unit_state::unavailable:
    case unit_state::available:
      return -1;
  }
  return -1;
}

constexpr std::array progress_order = {
    unit_state::assigned, unit_state::alerted,      unit_state::acknowledged,  unit_state::en_route,
    unit_state::on_scene, unit_state::transporting, unit_state::at_destination};

// Stages an assignment may move to `to` from (crew progress).
bool progress_allowed(unit_state from, unit_state to) {
  switch (to) {
    case unit_state::en_route:
      return from == unit_state::assigned || from == unit_state::alerted ||
             from == unit_state::acknowledged;
    case unit_state::on_scene:
      return from == unit_state::assigned || from == unit_state::alerted ||
             from == unit_state::acknowledged || from == unit_state::en_route;
    case unit_state::transporting:
      return from == unit_state::on_scene;
    case unit_state::at_destination:
      return from == unit_state::transporting;
    case unit_state::clear:
      return from == unit_state::on_scene || from == unit_state::transporting ||
             from == unit_state::at_destination;
    case unit_state::unspecified:
    case unit_state::unavailable:
    case unit_state::available:
    case unit_state::assigned:
    case unit_state::alerted:
    case unit_state::acknowledged:
      return false;
  }
  return false;
}

// Transport is optional, so clearing from on scene skips nothing; every other
// jump over a state is a skipped step.
std::vector<unit_state> skipped_between(unit_state from, unit_state to) {
  std::vector<unit_state> out;
  if (to == unit_state::clear) {
    if (from == unit_state::transporting) out.push_back(unit_state::at_destination);
    return out;
  }
  for (const auto s : progress_order)
    if (progress_rank(s) > progress_rank(from) && progress_rank(s) < progress_rank(to))
      out.push_back(s);
  return out;
}

std::string why_not_progress(const unit& u, unit_state from, unit_state to) {
  const std::string who = u.config.call_sign;
  const std::string target{state_name(to)};
  if (progress_rank(from) >= progress_rank(to) && progress_rank(to) >= 0) {
    if (from == to) return who + " is already " + target;
    return who + " is already " + std::string{state_name(from)} + ": cannot go back to " + target;
  }
  switch (to) {
    case unit_state::transporting:
      return who + " must be on scene before transporting";
    case unit_state::at_destination:
      return who + " must be transporting to be at a destination";
    case unit_state::clear:
      return who + " is not on scene yet (" + std::string{state_name(from)} +
             "): to cancel, a dispatcher or nurse stands the unit down";
    case unit_state::unspecified:
    case unit_state::unavailable:
    case unit_state::available:
    case unit_state::assigned:
    case unit_state::alerted:
    case unit_state::acknowledged:
    case unit_state::en_route:
    case unit_state::on_scene:
      break;
  }
  return who + " cannot go from " + std::string{state_name(from)} + " to " + target;
}

void put(std::string& out, std::string_view key, std::string_view value) {
  out += key;
  out += '=';
  // Values are escaped so a note can never forge another field or line.
  for (const char ch : value) {
    if (ch == '\\' || ch == '|' || ch == '\n' || ch == '=') out += '\\';
    out += ch == '\n' ? 'n' : ch;
  }
  out += '|';
}

void put(std::string& out, std::string_view key, std::int64_t value) {
  put(out, key, std::to_string(value));
}

void put(std::string& out, std::string_view key, const geo_point& p) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, p.latitude);
  std::string text(buf, r.ptr);
  text += ',';
  r = std::to_chars(buf, buf + sizeof buf, p.longitude);
  text.append(buf, r.ptr);
  put(out, key, text);
}

void put(std::string& out, std::string_view key, const std::optional<timestamp>& t) {
  put(out, key, t ? std::to_string(to_micros(*t)) : std::string{"-"});
}

std::string join_ids(const std::vector<incident_id>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += ',';
    out += std::to_string(id.value());
  }
  return out;
}

}  // namespace

dispatch_board::dispatch_board(dispatch_settings s, std::shared_ptr<const eta_estimator> eta)
    : settings_(std::move(s)), eta_(std::move(eta)) {
  const auto problems = validate(settings_);
  if (!problems.empty()) {
    std::string text = "invalid dispatch settings:";
    for (const auto& p : problems) text += " " + p + ";";
    throw std::invalid_argument(text);
  }
  if (!eta_) eta_ = std::make_shared<straight_line_eta>(settings_.default_speed_kmh);
  for (const auto& cfg : settings_.units) {
    unit u;
    u.config = cfg;
    u.skills = cfg.skills;
    u.unavailable = unavailable_reason::end_of_shift;
    units_.emplace(cfg.id, std::move(u));
  }
}

const unit* dispatch_board::find_unit(const unit_id& id) const {
  const auto it = units_.find(id);
  return it == units_.end() ? nullptr : &it->second;
}

const incident* dispatch_board::find_incident(incident_id id) const {
  const auto it = incidents_.find(id);
  return it == incidents_.end() ? nullptr : &it->second;
}

unit* dispatch_board::unit_ptr(const unit_id& id) {
  const auto it = units_.find(id);
  return it == units_.end() ? nullptr : &it->second;
}

incident* dispatch_board::incident_ptr(incident_id id) {
  const auto it = incidents_.find(id);
  return it == incidents_.end() ? nullptr : &it->second;
}

std::optional<recommendation> dispatch_board::recommend_for(incident_id id, timestamp now) const {
  const auto* inc = find_incident(id);
  if (!inc) return std::nullopt;
  return recommend_units(*inc, units_, settings_, *eta_, now);
}

result dispatch_board::apply(const command& c, const actor_info& by, timestamp now) {
  if (now < now_) {
    return conflict("time " + format_time(now) + " is earlier than the latest accepted (" +
                    format_time(now_) + ")");
  }
  if (by.role == actor_role::crew && by.unit.value().empty())
    return forbidden("a crew member must be signed in to a unit");
  context ctx{.by = by, .now = now, .at = now, .out = {}};
  auto r = std::visit([&](const auto& cmd) { return handle(cmd, ctx); }, c);
  if (r.accepted) {
    now_ = now;
    r.effects = std::move(ctx.out);
  }
  return r;
}

void dispatch_board::notify(std::string kind, incident_id inc, unit_id u, std::string text,
                            context& ctx) const {
  ctx.out.emplace_back(dispatcher_notice{
      .kind = std::move(kind), .incident = inc, .unit = std::move(u), .text = std::move(text)});
}

void dispatch_board::tell_nurses(const incident& inc, const unit_id& u, std::string text,
                                 std::optional<duration> eta, context& ctx) const {
  for (const auto& contact : inc.contacts)
    ctx.out.emplace_back(
        nurse_update{.contact = contact, .incident = inc.id, .unit = u, .text = text, .eta = eta});
}

void dispatch_board::record_unit(const unit& u, std::optional<incident_id> inc, unit_state from,
                                 unit_state to, std::optional<timestamp> at, std::string note,
                                 context& ctx) const {
  ctx.out.emplace_back(unit_status_record{.unit = u.config.id,
                                          .incident = inc,
                                          .from = from,
                                          .to = to,
                                          .at = at,
                                          .recorded_at = ctx.now,
                                          .skipped = !at.has_value(),
                                          .by = ctx.by.role,
                                          .by_id = ctx.by.id,
                                          .note = std::move(note)});
}

void dispatch_board::move(incident& inc, incident_state to, const std::string& note, context& ctx) {
  const auto from = inc.state;
  inc.state = to;
  record_transition(inc, from, to, note, ctx);
}

void dispatch_board::record_transition(incident& inc, incident_state from, incident_state to,
                                       const std::string& note, context& ctx) {
  inc.history.push_back(
      {.from = from, .to = to, .at = ctx.now, .by = ctx.by.role, .by_id = ctx.by.id, .note = note});
  ctx.out.emplace_back(incident_status_record{.incident = inc.id,
                                              .from = from,
                                              .to = to,
                                              .at = ctx.now,
                                              .by = ctx.by.role,
                                              .by_id = ctx.by.id,
                                              .note = note});
}

std::optional<duration> dispatch_board::eta_to(const unit& u, const incident& inc) const {
  if (!inc.coordinates) return std::nullopt;
  return eta_->estimate(u.config, start_point(u).point, *inc.coordinates);
}

void dispatch_board::classify_waiting(incident& inc, context& ctx) {
  const auto rec = recommend_units(inc, units_, settings_, *eta_, ctx.now);
  if (rec.eligible.empty()) {
    move(inc, incident_state::queued, "no suitable unit free", ctx);
    notify(notice_kind::incident_queued, inc.id, {},
           incident_label(inc.id) + " (category " + std::string{triage_code(inc.category)} +
               ") needs a unit and none is suitable now",
           ctx);
    tell_nurses(inc, {}, "No suitable unit is free: the incident is queued and dispatch is alerted",
                std::nullopt, ctx);
  }
  ctx.out.emplace_back(recommendation_made{rec});
}

void dispatch_board::offer_to_queued(const unit& u, std::optional<incident_id> except,
                                     context& ctx) const {
  if (!u.free()) return;
  for (const auto id : open_) {
    if (except && id == *except) continue;
    const auto& inc = incidents_.at(id);
    if (inc.state != incident_state::queued) continue;
    if (!exclusion_reasons(u, inc, settings_, ctx.now).empty()) continue;
    notify(notice_kind::unit_free_for_queued, id, u.config.id,
           u.config.call_sign + " is free and suits queued " + incident_label(id) + " (category " +
               std::string{triage_code(inc.category)} + ")",
           ctx);
  }
}

crew_alert dispatch_board::make_alert(const incident& inc, const assignment& a, const unit& u,
                                      bool repeat, const std::string& note) const {
  crew_alert alert;
  alert.unit = u.config.id;
  alert.call_sign = u.config.call_sign;
  alert.incident = inc.id;
  alert.alert_number = a.alert_number;
  alert.repeat = repeat;
  alert.assigned_at = a.steps.front().at.value_or(timestamp{});
  alert.category = inc.category;
  if (const auto i = category_index(inc.category)) alert.target = settings_.targets[*i];
  alert.coordinates = inc.coordinates;
  alert.address = inc.address;
  alert.area = inc.area;
  alert.required_skills = inc.required_skills;
  alert.police = inc.police;
  alert.note = inc.note;
  alert.assign_note = note;
  alert.contacts = inc.contacts;
  for (const auto& other : inc.assignments)
    if (other.live() && other.unit != u.config.id)
      alert.other_units.push_back(units_.at(other.unit).config.call_sign);
  alert.diverted_from = a.diverted_from;
  for (const auto& id : u.live) {
    if (id == inc.id) break;
    alert.stacked_behind.push_back(id);
  }
  return alert;
}

std::vector<crew_alert> dispatch_board::unacknowledged_alerts(const unit_id& id) const {
  std::vector<crew_alert> out;
  const unit* u = find_unit(id);
  if (!u) return out;
  for (const incident_id inc_id : u->live) {
    const incident& inc = incidents_.at(inc_id);
    const assignment* a = inc.live_assignment(id);
    if (!a || (a->stage != unit_state::assigned && a->stage != unit_state::alerted)) continue;
    out.push_back(make_alert(inc, *a, *u, false, a->steps.front().note));
  }
  return out;
}

std::optional<crew_alert> dispatch_board::acknowledged_job(const unit_id& id) const {
  const unit* u = find_unit(id);
  if (!u || u->live.empty()) return std::nullopt;
  const incident& inc = incidents_.at(u->live.front());
  const assignment* a = inc.live_assignment(id);
  if (!a || a->stage == unit_state::assigned || a->stage == unit_state::alerted)
    return std::nullopt;
  return make_alert(inc, *a, *u, false, a->steps.front().note);
}

std::vector<crew_stand_down> dispatch_board::stand_downs_since(const unit_id& u,
                                                               std::uint64_t after) const {
  std::vector<crew_stand_down> out;
  const auto it = stand_downs_.find(u);
  if (it == stand_downs_.end()) return out;
  for (const auto& s : it->second)
    if (s.number > after) out.push_back(s);
  return out;
}

std::uint64_t dispatch_board::latest_stand_down(const unit_id& u) const {
  const auto it = stand_downs_.find(u);
  return it == stand_downs_.end() || it->second.empty() ? 0 : it->second.back().number;
}

std::optional<duration> dispatch_board::eta_of(const unit_id& u, incident_id inc) const {
  const unit* found_unit = find_unit(u);
  const incident* found_incident = find_incident(inc);
  if (!found_unit || !found_incident) return std::nullopt;
  return eta_to(*found_unit, *found_incident);
}

std::optional<result> dispatch_board::check_assignable(const incident& inc, const unit& u,
                                                       bool force, const context& ctx) const {
  const auto& name = u.config.call_sign;
  if (inc.state == incident_state::ended)
    return conflict(incident_label(inc.id) + " has ended: reopen it to send a unit");
  if (!u.signed_on) return conflict(name + " is not signed on");
  if (ctx.at < u.last_status_at)
    return conflict("time " + format_time(ctx.at) + " is earlier than " + name +
                    "'s last status at " + format_time(u.last_status_at));
  if (inc.live_assignment(u.config.id))
    return conflict(name + " is already assigned to " + incident_label(inc.id));
  if (force && ctx.by.role != actor_role::dispatcher)
    return forbidden("only a dispatcher may force a double booking");
  if (u.live.empty()) {
    if (u.state == unit_state::unavailable) {
      return conflict(name + " is unavailable (" +
                      std::string{reason_name(u.unavailable.value_or(unavailable_reason::other))} +
                      "): the crew or a dispatcher must make it available first");
    }
    return std::nullopt;
  }
  if (!force) {
    return conflict("double booking refused: " + name + " is " + std::string{state_name(u.state)} +
                    " for " + incident_label(u.live.front()) +
                    "; a dispatcher may force it, or stand the unit down first");
  }
  return std::nullopt;
}

void dispatch_board::assign(incident& inc, unit& u, const std::string& note, bool at_front,
                            std::optional<incident_id> diverted_from,
                            std::optional<unit_id> replaces, context& ctx) {
  const auto before = u.state;
  const std::vector<incident_id> already = u.live;
  assignment a;
  a.unit = u.config.id;
  a.stage = unit_state::assigned;
  a.steps.push_back({.state = unit_state::assigned,
                     .at = ctx.now,
                     .recorded_at = ctx.now,
                     .by = ctx.by.role,
                     .by_id = ctx.by.id,
                     .note = note});
  if (!at_front) a.forced_over = already;
  a.diverted_from = diverted_from;
  a.replaces = replaces;
  a.ack_deadline = ctx.now + settings_.ack_timeout;
  a.alert_number = next_alert_++;
  inc.assignments.push_back(a);

  if (at_front) {
    u.live.insert(u.live.begin(), inc.id);
  } else {
    u.live.push_back(inc.id);
  }
  const bool current = u.live.front() == inc.id;
  if (current) {
    u.state = unit_state::assigned;
    u.unavailable.reset();
  }
  u.last_status_at = ctx.now;

  std::string why = "assigned to " + incident_label(inc.id);
  if (diverted_from) why += ", diverted from " + incident_label(*diverted_from);
  if (replaces) why += ", replacing " + units_.at(*replaces).config.call_sign;
  if (!current) why += ", stacked behind " + incident_label(u.live.front());
  record_unit(u, inc.id, current ? before : unit_state::unspecified, unit_state::assigned, ctx.now,
              why, ctx);

  if (!already.empty() && !at_front) {
    ctx.out.emplace_back(double_booking_forced{.unit = u.config.id,
                                               .incident = inc.id,
                                               .already_on = already,
                                               .by = ctx.by.role,
                                               .by_id = ctx.by.id});
    notify(notice_kind::double_booking_forced, inc.id, u.config.id,
           ctx.by.id + " forced a double booking: " + u.config.call_sign + " will go to " +
               incident_label(inc.id) + " after " + join_ids(already),
           ctx);
  }
  const auto gaps = suitability_gaps(u, inc, settings_, ctx.now);
  if (!gaps.empty()) {
    std::string text = u.config.call_sign + " was assigned to " + incident_label(inc.id) +
                       " although it would not be recommended:";
    for (const auto& g : gaps) text += " " + g + ";";
    notify(notice_kind::unit_not_recommended, inc.id, u.config.id, text, ctx);
  }

  if (inc.state != incident_state::active) move(inc, incident_state::active, why, ctx);
  const auto& stored = inc.assignments.back();
  ctx.out.emplace_back(make_alert(inc, stored, u, false, note));
  const auto eta = current ? eta_to(u, inc) : std::nullopt;
  std::string text = "Unit " + u.config.call_sign + " assigned";
  if (!current) {
    text += ": finishing another job first";
  } else if (eta) {
    text += ", ETA " + describe_eta(*eta);
  }
  tell_nurses(inc, u.config.id, text, eta, ctx);
}

result dispatch_board::handle(const raise_incident& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may raise an incident");
  if (!category_index(c.category)) return invalid("a triage category (A-G) is required");
  if (!c.coordinates && c.address.empty())
    return invalid("a location is required: coordinates, an address, or both");
  if (c.coordinates) {
    const auto& p = *c.coordinates;
    if (!(p.latitude >= -90 && p.latitude <= 90 && p.longitude >= -180 && p.longitude <= 180))
      return invalid("coordinates are out of range");
  }
  std::vector<std::string> skills;
  for (const auto& s : c.required_skills) {
    if (std::find(settings_.known_skills.begin(), settings_.known_skills.end(), s) ==
        settings_.known_skills.end())
      return invalid("unknown skill \"" + s + "\"");
    if (std::find(skills.begin(), skills.end(), s) == skills.end()) skills.push_back(s);
  }
  const bool police_skill =
      std::find(skills.begin(), skills.end(), settings_.police_skill) != skills.end();
  if (police_skill && !c.police) {
    return invalid(
        "police may be requested only with a recorded reason: a crime, or a real and immediate "
        "risk to life or of serious harm (Right Care, Right Person)");
  }
  if (c.police && !police_skill) skills.push_back(settings_.police_skill);

  const incident_id id{next_incident_++};
  incident inc;
  inc.id = id;
  inc.state = incident_state::raised;
  inc.raised_at = ctx.now;
  inc.raised_by = ctx.by.role;
  inc.raised_by_id = ctx.by.id;
  inc.contacts.push_back(c.contact);
  inc.coordinates = c.coordinates;
  inc.address = c.address;
  inc.area = c.area;
  inc.required_skills = std::move(skills);
  inc.category = c.category;
  inc.police = c.police;
  inc.note = c.note;
  auto& stored = incidents_.emplace(id, std::move(inc)).first->second;
  open_.insert(id);

  ctx.out.emplace_back(incident_raised{.incident = id, .contact = c.contact, .reopened_from = {}});
  std::string how = "raised";
  if (c.police) how += "; police requested: " + std::string{reason_name(c.police->reason)};
  record_transition(stored, incident_state::raised, incident_state::raised, how, ctx);
  if (c.monitor_only) {
    move(stored, incident_state::monitored, "monitor only", ctx);
  } else {
    classify_waiting(stored, ctx);
  }
  return result::accept({});
}

result dispatch_board::handle(const link_contact& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may link a contact");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  if (inc->state == incident_state::ended)
    return conflict(incident_label(c.incident) + " has ended: reopen it to link a contact");
  if (std::find(inc->contacts.begin(), inc->contacts.end(), c.contact) != inc->contacts.end())
    return conflict("contact " + std::to_string(c.contact.value()) + " is already linked");
  inc->contacts.push_back(c.contact);
  std::string text =
      "Linked to " + incident_label(inc->id) + " (" + std::string{state_name(inc->state)} + ")";
  for (const auto& a : inc->assignments)
    if (a.live())
      text += "; " + units_.at(a.unit).config.call_sign + " " + std::string{state_name(a.stage)};
  ctx.out.emplace_back(nurse_update{
      .contact = c.contact, .incident = inc->id, .unit = {}, .text = text, .eta = std::nullopt});
  return result::accept({});
}

result dispatch_board::handle(const set_monitored& c, context& ctx) {
  if (!is_staff(ctx.by.role))
    return forbidden("only a nurse or dispatcher may set an incident to monitored");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  switch (inc->state) {
    case incident_state::monitored:
      return conflict(incident_label(inc->id) + " is already monitored");
    case incident_state::ended:
      return conflict(incident_label(inc->id) + " has ended");
    case incident_state::active:
      if (inc->live_count() > 0)
        return conflict(incident_label(inc->id) +
                        " has units assigned: stand them down or let them clear first");
      break;
    case incident_state::raised:
    case incident_state::queued:
      break;
  }
  inc->plan = c.plan;
  move(*inc, incident_state::monitored, c.plan, ctx);
  return result::accept({});
}

result dispatch_board::handle(const queue_incident& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may queue an incident");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  switch (inc->state) {
    case incident_state::queued:
      return conflict(incident_label(inc->id) + " is already queued");
    case incident_state::ended:
      return conflict(incident_label(inc->id) + " has ended");
    case incident_state::active:
      if (inc->live_count() > 0)
        return conflict(incident_label(inc->id) + " already has a unit assigned");
      break;
    case incident_state::raised:
    case incident_state::monitored:
      break;
  }
  move(*inc, incident_state::queued, c.note, ctx);
  notify(notice_kind::incident_queued, inc->id, {},
         incident_label(inc->id) + " (category " + std::string{triage_code(inc->category)} +
             ") needs a unit and none is suitable now",
         ctx);
  return result::accept({});
}

result dispatch_board::handle(const recommend& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may ask for units");
  const auto* inc = find_incident(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  if (inc->state == incident_state::ended) return conflict(incident_label(inc->id) + " has ended");
  ctx.out.emplace_back(
      recommendation_made{recommend_units(*inc, units_, settings_, *eta_, ctx.now)});
  return result::accept({});
}

result dispatch_board::handle(const assign_unit& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may assign a unit");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  if (auto refused = check_assignable(*inc, *u, c.force, ctx)) return std::move(*refused);
  assign(*inc, *u, c.note, false, std::nullopt, std::nullopt, ctx);
  return result::accept({});
}

result dispatch_board::handle(const alert_sent& c, context& ctx) {
  if (ctx.by.role != actor_role::system) return forbidden("only the system records alert_sent");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  auto* a = inc->live_assignment(c.unit);
  if (!a) return conflict(u->config.call_sign + " is not assigned to " + incident_label(inc->id));
  if (ctx.at < u->last_status_at)
    return conflict("time " + format_time(ctx.at) + " is earlier than " + u->config.call_sign +
                    "'s last status at " + format_time(u->last_status_at));
  if (a->stage != unit_state::assigned)
    return conflict("alert already past: " + u->config.call_sign + " is " +
                    std::string{state_name(a->stage)} + " for " + incident_label(inc->id));
  progress(*inc, *a, *u, unit_state::alerted, "", ctx);
  return result::accept({});
}

result dispatch_board::handle(const acknowledge& c, context& ctx) {
  if (ctx.by.role == actor_role::crew && ctx.by.unit != c.unit)
    return forbidden("a crew may acknowledge only their own unit's alerts");
  if (ctx.by.role != actor_role::crew && ctx.by.role != actor_role::system)
    return forbidden("acknowledge comes from the crew; a dispatcher uses confirm_by_radio");
  return acknowledged(c.incident, c.unit, false, "", ctx);
}

result dispatch_board::handle(const confirm_by_radio& c, context& ctx) {
  if (ctx.by.role != actor_role::dispatcher)
    return forbidden("only a dispatcher may confirm an acknowledgement by radio");
  return acknowledged(c.incident, c.unit, true, c.note, ctx);
}

result dispatch_board::acknowledged(incident_id id, const unit_id& uid, bool by_radio,
                                    const std::string& note, context& ctx) {
  auto* inc = incident_ptr(id);
  if (!inc) return not_found("no " + incident_label(id));
  auto* u = unit_ptr(uid);
  if (!u) return not_found("no unit " + uid.value());
  auto* a = inc->live_assignment(uid);
  if (!a) return conflict(u->config.call_sign + " is not assigned to " + incident_label(id));
  if (ctx.at < u->last_status_at)
    return conflict("time " + format_time(ctx.at) + " is earlier than " + u->config.call_sign +
                    "'s last status at " + format_time(u->last_status_at));
  if (a->stage != unit_state::assigned && a->stage != unit_state::alerted)
    return conflict(u->config.call_sign + " has already acknowledged (" +
                    std::string{state_name(a->stage)} + ")");
  std::string how = by_radio ? "confirmed by radio by " + ctx.by.id : "acknowledged by crew";
  if (!note.empty()) how += ": " + note;
  a->acknowledged_by_radio = by_radio;
  progress(*inc, *a, *u, unit_state::acknowledged, how, ctx);
  tell_nurses(*inc, u->config.id, "Unit " + u->config.call_sign + " has acknowledged", std::nullopt,
              ctx);
  return result::accept({});
}

result dispatch_board::handle(const re_alert& c, context& ctx) {
  if (ctx.by.role != actor_role::dispatcher) return forbidden("only a dispatcher may re-alert");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  auto* a = inc->live_assignment(c.unit);
  if (!a) return conflict(u->config.call_sign + " is not assigned to " + incident_label(inc->id));
  if (a->stage != unit_state::assigned && a->stage != unit_state::alerted)
    return conflict(u->config.call_sign + " has already acknowledged: nothing to re-alert");
  a->alert_number = next_alert_++;
  a->ack_deadline = ctx.now + settings_.ack_timeout;
  record_unit(*u, inc->id, a->stage, a->stage, ctx.now,
              "re-alert #" + std::to_string(a->alert_number) + " (no state change)", ctx);
  ctx.out.emplace_back(make_alert(*inc, *a, *u, true, ""));
  return result::accept({});
}

void dispatch_board::progress(incident& inc, assignment& a, unit& u, unit_state to,
                              const std::string& note, context& ctx) {
  const auto from = a.stage;
  for (const auto skipped : skipped_between(from, to)) {
    a.steps.push_back({.state = skipped,
                       .at = std::nullopt,
                       .recorded_at = ctx.now,
                       .by = ctx.by.role,
                       .by_id = ctx.by.id,
                       .note = "skipped"});
    record_unit(u, inc.id, from, skipped, std::nullopt, "skipped", ctx);
  }
  a.steps.push_back({.state = to,
                     .at = ctx.at,
                     .recorded_at = ctx.now,
                     .by = ctx.by.role,
                     .by_id = ctx.by.id,
                     .note = note});
  a.stage = to;
  // Any step from acknowledged on shows the crew has the job.
  if (progress_rank(to) >= progress_rank(unit_state::acknowledged)) a.ack_deadline.reset();
  if (u.current() == inc.id) u.state = to;
  u.last_status_at = ctx.at;
  record_unit(u, inc.id, from, to, ctx.at, note, ctx);
}

void dispatch_board::release(incident& inc, assignment& a, unit& u, unit_state idle_state,
                             bool advance, context& ctx) {
  const bool was_current = u.current() == inc.id;
  a.ended = true;
  a.ended_at = ctx.at;
  a.ack_deadline.reset();
  u.live.erase(std::find(u.live.begin(), u.live.end(), inc.id));
  if (!was_current) return;
  if (u.live.empty() || !advance) {
    u.state = idle_state;
    return;
  }
  const auto next = u.live.front();
  const auto* next_a = incidents_.at(next).live_assignment(u.config.id);
  const auto before = u.state;
  u.state = next_a->stage;
  record_unit(u, next, before, u.state, ctx.at, "next job: " + incident_label(next), ctx);
  tell_nurses(incidents_.at(next), u.config.id,
              "Unit " + u.config.call_sign + " has finished its previous job and is " +
                  std::string{state_name(u.state)} + " for this incident",
              std::nullopt, ctx);
}

result dispatch_board::handle(const crew_status_update& c, context& ctx) {
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  const auto& name = u->config.call_sign;
  const auto target = c.state;
  switch (target) {
    case unit_state::unspecified:
      return invalid("a unit state is required");
    case unit_state::assigned:
    case unit_state::alerted:
    case unit_state::acknowledged:
      return forbidden(std::string{state_name(target)} +
                       " is set by the system only (assign, alert sent, acknowledge or radio "
                       "confirmation)");
    case unit_state::transporting:
    case unit_state::at_destination:
      if (ctx.by.role != actor_role::crew)
        return forbidden("only the crew may report " + std::string{state_name(target)});
      break;
    case unit_state::unavailable:
    case unit_state::available:
    case unit_state::en_route:
    case unit_state::on_scene:
    case unit_state::clear:
      if (ctx.by.role != actor_role::crew && ctx.by.role != actor_role::dispatcher)
        return forbidden("only the crew or a dispatcher may set a unit " +
                         std::string{state_name(target)});
      break;
  }
  if (ctx.by.role == actor_role::crew && ctx.by.unit != c.unit)
    return forbidden("a crew may set only their own unit's status");
  if (!u->signed_on) return conflict(name + " is not signed on");
  if (c.occurred_at) ctx.at = std::min(*c.occurred_at, ctx.now);
  if (ctx.at < u->last_status_at)
    return conflict("status time " + format_time(ctx.at) + " is earlier than " + name +
                    "'s last status at " + format_time(u->last_status_at));
  if (target == unit_state::unavailable && !c.unavailable)
    return invalid("unavailable needs a reason (meal, fuel, mechanical, training, end of shift)");
  if (target == unit_state::transporting && !c.destination)
    return invalid("transporting needs a destination (ED, place of safety, home)");

  const auto apply_location = [&] {
    if (c.location) {
      u->last_location = c.location;
      u->location_at = ctx.at;
    }
  };

  if (target == unit_state::unavailable || target == unit_state::available) {
    if (!u->live.empty()) {
      return conflict(name + " has a live assignment to " + incident_label(u->live.front()) + " (" +
                      std::string{state_name(u->state)} +
                      "): it returns to service when that clears or is stood down");
    }
    if (target == unit_state::available && u->state == unit_state::available)
      return conflict(name + " is already available");
    const auto before = u->state;
    u->state = target;
    u->unavailable = target == unit_state::unavailable ? c.unavailable : std::nullopt;
    u->last_status_at = ctx.at;
    apply_location();
    record_unit(*u, std::nullopt, before, target, ctx.at,
                target == unit_state::unavailable ? std::string{reason_name(*c.unavailable)} : "",
                ctx);
    // A unit coming back from clear was already offered when it cleared.
    if (target == unit_state::available && before == unit_state::unavailable)
      offer_to_queued(*u, std::nullopt, ctx);
    return result::accept({});
  }

  if (u->live.empty()) return conflict(name + " has no assignment");
  const auto id = c.incident.value_or(u->live.front());
  auto* inc = incident_ptr(id);
  if (!inc) return not_found("no " + incident_label(id));
  auto* a = inc->live_assignment(c.unit);
  if (!a) return conflict(name + " is not assigned to " + incident_label(id));
  if (id != u->live.front()) {
    return conflict(name + " is working " + incident_label(u->live.front()) +
                    " first: clear it or have it stood down before moving on to " +
                    incident_label(id));
  }
  if (!progress_allowed(a->stage, target)) return conflict(why_not_progress(*u, a->stage, target));

  apply_location();
  std::string note;
  if (target == unit_state::transporting) {
    note = "destination: " + std::string{destination_name(*c.destination)};
    if (!c.destination_detail.empty()) note += " (" + c.destination_detail + ")";
  }
  progress(*inc, *a, *u, target, note, ctx);
  const auto& call = u->config.call_sign;
  switch (target) {
    case unit_state::en_route: {
      const auto eta = eta_to(*u, *inc);
      tell_nurses(*inc, u->config.id,
                  "Unit " + call + " en route" + (eta ? ", ETA " + describe_eta(*eta) : ""), eta,
                  ctx);
      break;
    }
    case unit_state::on_scene:
      tell_nurses(*inc, u->config.id, "Unit " + call + " on scene", std::nullopt, ctx);
      break;
    case unit_state::transporting:
      tell_nurses(*inc, u->config.id, "Unit " + call + " transporting, " + note, std::nullopt, ctx);
      break;
    case unit_state::at_destination:
      tell_nurses(*inc, u->config.id, "Unit " + call + " at destination", std::nullopt, ctx);
      break;
    case unit_state::clear:
      release(*inc, *a, *u, unit_state::clear, true, ctx);
      tell_nurses(*inc, u->config.id, "Unit " + call + " clear", std::nullopt, ctx);
      offer_to_queued(*u, std::nullopt, ctx);
      break;
    case unit_state::unspecified:
    case unit_state::unavailable:
    case unit_state::available:
    case unit_state::assigned:
    case unit_state::alerted:
    case unit_state::acknowledged:
      break;
  }
  return result::accept({});
}

result dispatch_board::handle(const stand_down& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may stand a unit down");
  if (c.force_replacement && ctx.by.role != actor_role::dispatcher)
    return forbidden("only a dispatcher may force a double booking");
  const bool diverting =
      c.reason == stand_down_reason::diverted || c.reason == stand_down_reason::pre_empted;
  if (diverting != c.divert_to.has_value())
    return invalid("diverted and pre-empted stand-downs (and only they) name divert_to");
  if ((c.reason == stand_down_reason::replaced) && !c.replace_with)
    return invalid("a replaced stand-down names replace_with");
  if (c.reason == stand_down_reason::not_needed && c.replace_with)
    return invalid("a unit not needed is not replaced");

  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  const auto& name = u->config.call_sign;
  auto* a = inc->live_assignment(c.unit);
  if (!a) return conflict(name + " is not assigned to " + incident_label(inc->id));
  if (a->at_or_past_scene()) {
    return conflict(name + " is " + std::string{state_name(a->stage)} +
                    ": a unit can be stood down only until it is on scene; the crew clears "
                    "when done");
  }
  if (ctx.at < u->last_status_at)
    return conflict("time " + format_time(ctx.at) + " is earlier than " + name +
                    "'s last status at " + format_time(u->last_status_at));
  const bool current = u->current() == inc->id;

  incident* target = nullptr;
  if (c.divert_to) {
    target = incident_ptr(*c.divert_to);
    if (!target) return not_found("no " + incident_label(*c.divert_to));
    if (target == inc) return invalid("cannot divert a unit to the same incident");
    if (target->state == incident_state::ended)
      return conflict(incident_label(target->id) + " has ended");
    if (target->live_assignment(c.unit))
      return conflict(name + " is already assigned to " + incident_label(target->id));
    if (!current) {
      return conflict(name + " has not started " + incident_label(inc->id) +
                      " (it is stacked): only the job in hand can be diverted");
    }
  }
  unit* replacement = nullptr;
  if (c.replace_with) {
    replacement = unit_ptr(*c.replace_with);
    if (!replacement) return not_found("no unit " + c.replace_with->value());
    if (replacement == u) return invalid("a unit cannot replace itself");
    if (auto refused = check_assignable(*inc, *replacement, c.force_replacement, ctx))
      return std::move(*refused);
  }

  // Everything is checked: from here the stand-down and its replacement happen together.
  const auto stage = a->stage;
  a->stood_down = c.reason;
  a->end_note = c.note;
  a->diverted_to = c.divert_to;
  a->replaced_by = c.replace_with;
  std::string why = "stood down (" + std::string{reason_name(c.reason)} + ")";
  if (c.divert_to) why += ", to " + incident_label(*c.divert_to);
  if (c.replace_with) why += ", replaced by " + replacement->config.call_sign;
  if (!c.note.empty()) why += ": " + c.note;
  // What the unit does next: a diversion goes straight to its new job; otherwise
  // its next stacked job, or available only when nothing is left.
  unit_state after = u->state;
  if (current) {
    after = unit_state::available;
    if (target) {
      after = unit_state::assigned;
    } else if (u->live.size() > 1) {
      after = incidents_.at(u->live[1]).live_assignment(u->config.id)->stage;
    }
  }
  record_unit(*u, inc->id, stage, after, ctx.at, why, ctx);
  release(*inc, *a, *u, unit_state::available, !target, ctx);
  u->last_status_at = ctx.at;
  crew_stand_down notice{.unit = u->config.id,
                         .call_sign = name,
                         .incident = inc->id,
                         .number = next_stand_down_++,
                         .reason = c.reason,
                         .note = c.note,
                         .divert_to = c.divert_to};
  stand_downs_[u->config.id].push_back(notice);
  ctx.out.emplace_back(std::move(notice));
  tell_nurses(*inc, u->config.id, "Unit " + name + " " + why, std::nullopt, ctx);

  if (target)
    assign(*target, *u, "diverted from " + incident_label(inc->id), true, inc->id, {}, ctx);
  if (replacement)
    assign(*inc, *replacement, "replacing " + name, false, std::nullopt, u->config.id, ctx);

  if (inc->live_count() == 0 && c.reason != stand_down_reason::not_needed &&
      !inc->any_reached_scene()) {
    move(*inc, incident_state::queued, "no unit after " + name + " was " + why, ctx);
    notify(notice_kind::incident_needs_unit, inc->id, u->config.id,
           incident_label(inc->id) + " (category " + std::string{triage_code(inc->category)} +
               ") has no unit after " + name + " was " + why,
           ctx);
  }
  if (!target) offer_to_queued(*u, inc->id, ctx);
  return result::accept({});
}

result dispatch_board::handle(const end_incident& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may end an incident");
  auto* inc = incident_ptr(c.incident);
  if (!inc) return not_found("no " + incident_label(c.incident));
  if (inc->state == incident_state::ended)
    return conflict(incident_label(inc->id) + " has already ended");
  if (inc->live_count() > 0) {
    std::string who;
    for (const auto& a : inc->assignments) {
      if (!a.live()) continue;
      if (!who.empty()) who += ", ";
      who += units_.at(a.unit).config.call_sign + " (" + std::string{state_name(a.stage)} + ")";
    }
    return conflict("cannot end " + incident_label(inc->id) + " while units are assigned: " + who +
                    "; stand them down or wait for them to clear");
  }
  inc->outcome = c.outcome;
  move(*inc, incident_state::ended, c.outcome, ctx);
  open_.erase(inc->id);
  return result::accept({});
}

result dispatch_board::handle(const reopen& c, context& ctx) {
  if (!is_staff(ctx.by.role)) return forbidden("only a nurse or dispatcher may reopen an incident");
  auto* old = incident_ptr(c.incident);
  if (!old) return not_found("no " + incident_label(c.incident));
  if (old->state != incident_state::ended)
    return conflict(incident_label(old->id) + " is still open (" +
                    std::string{state_name(old->state)} + "): only an ended incident is reopened");
  for (const auto& later : old->reopened_as) {
    if (incidents_.at(later).state != incident_state::ended)
      return conflict(incident_label(old->id) + " was already reopened as " +
                      incident_label(later) + ", which is still open");
  }
  const incident_id id{next_incident_++};
  incident inc;
  inc.id = id;
  inc.state = incident_state::raised;
  inc.raised_at = ctx.now;
  inc.raised_by = ctx.by.role;
  inc.raised_by_id = ctx.by.id;
  inc.contacts = old->contacts;
  if (c.contact &&
      std::find(inc.contacts.begin(), inc.contacts.end(), *c.contact) == inc.contacts.end())
    inc.contacts.push_back(*c.contact);
  inc.coordinates = old->coordinates;
  inc.address = old->address;
  inc.area = old->area;
  inc.required_skills = old->required_skills;
  inc.category = old->category;
  inc.police = old->police;
  inc.note = old->note;
  inc.reopened_from = old->id;
  old->reopened_as.push_back(id);
  const auto old_id = old->id;
  auto& stored = incidents_.emplace(id, std::move(inc)).first->second;
  open_.insert(id);

  const std::string how =
      "reopened from " + incident_label(old_id) + (c.note.empty() ? std::string{} : ": " + c.note);
  ctx.out.emplace_back(incident_raised{.incident = id,
                                       .contact = c.contact.value_or(stored.contacts.front()),
                                       .reopened_from = old_id});
  record_transition(stored, incident_state::raised, incident_state::raised, how, ctx);
  tell_nurses(stored, {}, incident_label(old_id) + " reopened as " + incident_label(id),
              std::nullopt, ctx);
  classify_waiting(stored, ctx);
  return result::accept({});
}

result dispatch_board::handle(const crew_sign_on& c, context& ctx) {
  if (ctx.by.role == actor_role::crew && ctx.by.unit != c.unit)
    return forbidden("a crew may sign on only to their own unit");
  if (ctx.by.role != actor_role::crew && ctx.by.role != actor_role::dispatcher)
    return forbidden("only the crew or a dispatcher may sign a unit on");
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  if (u->signed_on) return conflict(u->config.call_sign + " is already signed on");
  if (ctx.at < u->last_status_at)
    return conflict("time " + format_time(ctx.at) + " is earlier than " + u->config.call_sign +
                    "'s last status at " + format_time(u->last_status_at));
  if (c.skills) {
    for (const auto& s : *c.skills)
      if (std::find(settings_.known_skills.begin(), settings_.known_skills.end(), s) ==
          settings_.known_skills.end())
        return invalid("unknown skill \"" + s + "\"");
  }
  const auto before = u->state;
  stand_downs_.erase(u->config.id);
  u->signed_on = true;
  u->crew = c.crew;
  u->skills = c.skills.value_or(u->config.skills);
  u->state = unit_state::available;
  u->unavailable.reset();
  u->last_status_at = ctx.at;
  u->last_location = c.location;
  u->location_at = c.location ? std::optional<timestamp>{ctx.at} : std::nullopt;
  record_unit(*u, std::nullopt, before, unit_state::available, ctx.at, "signed on", ctx);
  offer_to_queued(*u, std::nullopt, ctx);
  return result::accept({});
}

result dispatch_board::handle(const crew_location& c, context& ctx) {
  if (ctx.by.role == actor_role::crew && ctx.by.unit != c.unit)
    return forbidden("a crew may report only their own unit's location");
  if (ctx.by.role != actor_role::crew && ctx.by.role != actor_role::dispatcher)
    return forbidden("only the crew or a dispatcher may report a unit's location");
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  if (!u->signed_on) return conflict(u->config.call_sign + " is not signed on");
  if (!(std::isfinite(c.location.latitude) && std::isfinite(c.location.longitude) &&
        std::abs(c.location.latitude) <= 90.0 && std::abs(c.location.longitude) <= 180.0))
    return invalid("the location is not a valid latitude and longitude");
  if (c.occurred_at) ctx.at = std::min(*c.occurred_at, ctx.now);
  // An older fix than the one held (a delayed report) is ignored, not refused:
  // the device did nothing wrong.
  if (u->location_at && ctx.at < *u->location_at) return result::accept({});
  u->last_location = c.location;
  u->location_at = ctx.at;
  return result::accept({});
}

result dispatch_board::handle(const crew_sign_off& c, context& ctx) {
  if (ctx.by.role == actor_role::crew && ctx.by.unit != c.unit)
    return forbidden("a crew may sign off only their own unit");
  if (ctx.by.role != actor_role::crew && ctx.by.role != actor_role::dispatcher)
    return forbidden("only the crew or a dispatcher may sign a unit off");
  auto* u = unit_ptr(c.unit);
  if (!u) return not_found("no unit " + c.unit.value());
  if (!u->signed_on) return conflict(u->config.call_sign + " is not signed on");
  if (!u->live.empty())
    return conflict(u->config.call_sign + " has a live assignment to " +
                    incident_label(u->live.front()) + ": clear it or have it stood down first");
  if (ctx.at < u->last_status_at)
    return conflict("time " + format_time(ctx.at) + " is earlier than " + u->config.call_sign +
                    "'s last status at " + format_time(u->last_status_at));
  const auto before = u->state;
  stand_downs_.erase(u->config.id);
  u->signed_on = false;
  u->crew.clear();
  u->skills = u->config.skills;
  u->state = unit_state::unavailable;
  u->unavailable = unavailable_reason::end_of_shift;
  u->last_status_at = ctx.at;
  u->last_location.reset();
  u->location_at.reset();
  record_unit(*u, std::nullopt, before, unit_state::unavailable, ctx.at, "signed off", ctx);
  return result::accept({});
}

std::optional<timestamp> dispatch_board::escalation_time(const incident& inc,
                                                         std::size_t level) const {
  if (!inc.waiting_for_unit() || level >= settings_.escalation_percent.size()) return std::nullopt;
  const auto i = category_index(inc.category);
  if (!i || !settings_.targets[*i]) return std::nullopt;
  const auto target = *settings_.targets[*i];
  return inc.raised_at + target * settings_.escalation_percent[level] / 100;
}

std::optional<timestamp> dispatch_board::next_deadline() const {
  std::optional<timestamp> best;
  const auto consider = [&](std::optional<timestamp> t) {
    if (t && (!best || *t < *best)) best = t;
  };
  for (const auto id : open_) {
    const auto& inc = incidents_.at(id);
    consider(escalation_time(inc, inc.escalation_level));
    for (const auto& a : inc.assignments)
      if (a.live()) consider(a.ack_deadline);
  }
  return best;
}

effect_list dispatch_board::tick(timestamp now) {
  const actor_info timer{.role = actor_role::system, .id = "timer", .unit = {}};
  context ctx{.by = timer, .now = now, .at = now, .out = {}};
  // (due time, 0 = ack / 1 = escalation, incident, unit): a total order, so
  // notices that fall due together come out the same way on replay.
  std::vector<std::tuple<timestamp, int, incident_id, unit_id>> due;
  for (const auto id : open_) {
    const auto& inc = incidents_.at(id);
    for (const auto& a : inc.assignments)
      if (a.live() && a.ack_deadline && *a.ack_deadline <= now)
        due.emplace_back(*a.ack_deadline, 0, id, a.unit);
    if (const auto t = escalation_time(inc, inc.escalation_level); t && *t <= now)
      due.emplace_back(*t, 1, id, unit_id{});
  }
  std::sort(due.begin(), due.end());
  for (const auto& [when, kind, id, uid] : due) {
    auto& inc = incidents_.at(id);
    if (kind == 0) {
      auto* a = inc.live_assignment(uid);
      const auto& u = units_.at(uid);
      ++a->ack_notices;
      a->ack_deadline = settings_.ack_reminder > duration::zero()
                            ? std::optional<timestamp>{now + settings_.ack_reminder}
                            : std::nullopt;
      const auto waited = now - a->steps.front().at.value_or(now);
      notify(notice_kind::ack_timeout, id, uid,
             u.config.call_sign + " has not acknowledged " + incident_label(id) + " (category " +
                 std::string{triage_code(inc.category)} + ") " + describe_duration(waited) +
                 " after it was assigned (" + std::string{state_name(a->stage)} +
                 "): re-alert, confirm by radio, or re-dispatch",
             ctx);
      if (a->ack_notices == 1) {
        tell_nurses(
            inc, uid,
            "Unit " + u.config.call_sign + " has not acknowledged yet; dispatch has been alerted",
            std::nullopt, ctx);
      }
      continue;
    }
    // Several thresholds may have passed since the last tick: one notice for
    // the highest, not a burst.
    std::size_t level = inc.escalation_level;
    while (const auto t = escalation_time(inc, level)) {
      if (*t > now) break;
      ++level;
    }
    if (level == inc.escalation_level) continue;
    inc.escalation_level = level;
    const auto pct = settings_.escalation_percent[level - 1];
    const auto target = *settings_.targets[*category_index(inc.category)];
    notify(notice_kind::escalation, id, {},
           incident_label(id) + " (category " + std::string{triage_code(inc.category)} +
               ", target " + describe_duration(target) + ") has waited " +
               describe_duration(now - inc.raised_at) + " without a unit: " +
               (pct >= 100 ? "target breached (" + std::to_string(pct) + "%)"
                           : std::to_string(pct) + "% of target"),
           ctx);
  }
  if (now > now_) now_ = now;
  return std::move(ctx.out);
}

std::string dispatch_board::dump() const {
  std::string out;
  put(out, "now", to_micros(now_));
  put(out, "next_incident", static_cast<std::int64_t>(next_incident_));
  put(out, "next_alert", static_cast<std::int64_t>(next_alert_));
  put(out, "next_stand_down", static_cast<std::int64_t>(next_stand_down_));
  out += '\n';
  for (const auto& [id, u] : units_) {
    put(out, "unit", id.value());
    put(out, "signed_on", u.signed_on ? 1 : 0);
    std::string crew;
    for (const auto& m : u.crew) crew += m + ",";
    put(out, "crew", crew);
    std::string skills;
    for (const auto& s : u.skills) skills += s + ",";
    put(out, "skills", skills);
    put(out, "state", state_name(u.state));
    put(out, "unavailable", u.unavailable ? reason_name(*u.unavailable) : "-");
    put(out, "last_status", to_micros(u.last_status_at));
    if (u.last_location) put(out, "location", *u.last_location);
    put(out, "location_at", u.location_at);
    put(out, "live", join_ids(u.live));
    out += '\n';
    if (const auto sd = stand_downs_.find(id); sd != stand_downs_.end()) {
      for (const auto& n : sd->second) {
        out += "  ";
        put(out, "stand_down", static_cast<std::int64_t>(n.number));
        put(out, "incident", static_cast<std::int64_t>(n.incident.value()));
        put(out, "reason", reason_name(n.reason));
        put(out, "note", n.note);
        put(out, "divert_to",
            n.divert_to ? std::to_string(n.divert_to->value()) : std::string{"-"});
        out += '\n';
      }
    }
  }
  for (const auto& [id, inc] : incidents_) {
    put(out, "incident", static_cast<std::int64_t>(id.value()));
    put(out, "state", state_name(inc.state));
    put(out, "raised_at", to_micros(inc.raised_at));
    put(out, "raised_by", std::string{actor_name(inc.raised_by)} + ":" + inc.raised_by_id);
    std::string contacts;
    for (const auto& c : inc.contacts) contacts += std::to_string(c.value()) + ",";
    put(out, "contacts", contacts);
    if (inc.coordinates) put(out, "at", *inc.coordinates);
    put(out, "address", inc.address);
    put(out, "area", inc.area.value());
    std::string skills;
    for (const auto& s : inc.required_skills) skills += s + ",";
    put(out, "skills", skills);
    put(out, "category", triage_code(inc.category));
    if (inc.police)
      put(out, "police", std::string{reason_name(inc.police->reason)} + ":" + inc.police->detail);
    put(out, "note", inc.note);
    put(out, "plan", inc.plan);
    put(out, "outcome", inc.outcome);
    put(out, "escalation", static_cast<std::int64_t>(inc.escalation_level));
    put(out, "reopened_from",
        inc.reopened_from ? std::to_string(inc.reopened_from->value()) : std::string{"-"});
    put(out, "reopened_as", join_ids(inc.reopened_as));
    out += '\n';
    for (const auto& h : inc.history) {
      out += "  ";
      put(out, "step", std::string{state_name(h.from)} + ">" + std::string{state_name(h.to)});
      put(out, "at", to_micros(h.at));
      put(out, "by", std::string{actor_name(h.by)} + ":" + h.by_id);
      put(out, "note", h.note);
      out += '\n';
    }
    for (const auto& a : inc.assignments) {
      out += "  ";
      put(out, "assignment", a.unit.value());
      put(out, "stage", state_name(a.stage));
      put(out, "forced_over", join_ids(a.forced_over));
      put(out, "diverted_from",
          a.diverted_from ? std::to_string(a.diverted_from->value()) : std::string{"-"});
      put(out, "replaces", a.replaces ? a.replaces->value() : std::string{"-"});
      put(out, "ack_deadline", a.ack_deadline);
      put(out, "ack_notices", a.ack_notices);
      put(out, "alert", static_cast<std::int64_t>(a.alert_number));
      put(out, "radio", a.acknowledged_by_radio ? 1 : 0);
      put(out, "ended", a.ended ? 1 : 0);
      put(out, "ended_at", a.ended_at);
      put(out, "stood_down", a.stood_down ? reason_name(*a.stood_down) : "-");
      put(out, "end_note", a.end_note);
      put(out, "diverted_to",
          a.diverted_to ? std::to_string(a.diverted_to->value()) : std::string{"-"});
      put(out, "replaced_by", a.replaced_by ? a.replaced_by->value() : std::string{"-"});
      out += '\n';
      for (const auto& s : a.steps) {
        out += "    ";
        put(out, "status", state_name(s.state));
        put(out, "at", s.at);
        put(out, "recorded_at", to_micros(s.recorded_at));
        put(out, "by", std::string{actor_name(s.by)} + ":" + s.by_id);
        put(out, "note", s.note);
        out += '\n';
      }
    }
  }
  return out;
}

std::uint64_t dispatch_board::digest() const {
  std::uint64_t h = 14695981039346656037ull;
  for (const unsigned char ch : dump()) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace crisisline::core::dispatch
