#include "codec/dispatch_config.hpp"

#include <charconv>
#include <set>
#include <string>

namespace crisisline::codec {
namespace {

std::optional<std::uint32_t> parse_hh_mm(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return std::nullopt;
  std::uint32_t h = 0;
  std::uint32_t m = 0;
  const auto digits = [](std::string_view d, std::uint32_t& out) {
    if (d.find_first_not_of("0123456789") != std::string_view::npos) return false;
    return std::from_chars(d.data(), d.data() + d.size(), out).ec == std::errc{};
  };
  if (!digits(t.substr(0, 2), h) || !digits(t.substr(3, 2), m)) return std::nullopt;
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

// Fields of v1::Config and v1::DispatchConfig by name, for the location tree.
const google::protobuf::FieldDescriptor* field(const google::protobuf::Descriptor* d,
                                               const char* name) {
  return d->FindFieldByName(name);
}

}  // namespace

std::optional<core::dispatch::shift_window> parse_shift(std::string_view text) {
  const auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto start = parse_hh_mm(text.substr(0, dash));
  const auto end = parse_hh_mm(text.substr(dash + 1));
  if (!start || !end || *start == *end || *start == 24 * 60) return std::nullopt;
  return core::dispatch::shift_window{*start, *end};
}

core::dispatch::dispatch_settings dispatch_settings(const v1::DispatchConfig& c,
                                                    const core::triage_scale& scale) {
  core::dispatch::dispatch_settings s;
  for (const auto& u : c.units()) {
    core::dispatch::unit_config out{
        .id = core::unit_id{u.id()},
        .call_sign = u.call_sign().empty() ? u.id() : u.call_sign(),
        .skills = {u.skills().begin(), u.skills().end()},
        .base = core::geo_point{.latitude = u.base_latitude(), .longitude = u.base_longitude()},
        .area = core::area_id{u.area()},
        .shifts = {},
        .speed_kmh = {}};
    for (const auto& w : u.shifts())
      if (const auto parsed = parse_shift(w)) out.shifts.push_back(*parsed);
    if (u.speed_kmh() != 0) out.speed_kmh = u.speed_kmh();
    s.units.push_back(std::move(out));
  }
  if (c.default_speed_kmh() != 0) s.default_speed_kmh = c.default_speed_kmh();
  if (c.ack_timeout_seconds() != 0) s.ack_timeout = core::seconds(c.ack_timeout_seconds());
  if (c.ack_reminder_once()) {
    s.ack_reminder = core::duration::zero();
  } else if (c.ack_reminder_seconds() != 0) {
    s.ack_reminder = core::seconds(c.ack_reminder_seconds());
  }
  s.utc_offset = std::chrono::minutes{c.utc_offset_minutes()};
  s.allow_other_areas = c.allow_other_areas();
  if (!c.known_skills().empty())
    s.known_skills = {c.known_skills().begin(), c.known_skills().end()};
  if (!c.escalation_percent().empty())
    s.escalation_percent = {c.escalation_percent().begin(), c.escalation_percent().end()};
  for (std::size_t i = 0; i < s.targets.size(); ++i)
    s.targets[i] = scale.bands[i].face_to_face_target;
  s.text_person_en_route = c.person_text().enabled();
  if (!c.person_text().en_route().empty()) s.en_route_text = c.person_text().en_route();
  return s;
}

std::optional<config_error> check_dispatch(const v1::Config& c,
                                           const google::protobuf::TextFormat::ParseInfoTree* where,
                                           std::string_view source) {
  const auto* dispatch_field = field(v1::Config::descriptor(), "dispatch");
  const auto* units_field = field(v1::DispatchConfig::descriptor(), "units");
  const auto* shifts_field = field(v1::DispatchUnit::descriptor(), "shifts");
  const auto* dispatch_tree = where ? where->GetTreeForNested(dispatch_field, -1) : nullptr;
  const auto at = [&](const google::protobuf::TextFormat::ParseInfoTree* tree,
                      const google::protobuf::FieldDescriptor* f, int index, std::string message) {
    config_error e{std::string(source), 0, 0, std::move(message)};
    if (tree) {
      const auto loc = tree->GetLocation(f, index);
      if (loc.line >= 0) {
        e.line = loc.line + 1;
        e.column = loc.column + 1;
      }
    }
    return e;
  };

  const auto& d = c.dispatch();
  // The board's own rules, unit by unit, so a problem points at its unit.
  auto base = dispatch_settings(d, core::default_triage_scale());
  auto common = base;
  common.units.clear();
  for (const auto& p : core::dispatch::validate(common))
    return at(where, dispatch_field, -1, "dispatch: " + p);
  std::set<std::string> ids;
  for (int i = 0; i < d.units_size(); ++i) {
    const auto& u = d.units(i);
    const auto* unit_tree =
        dispatch_tree ? dispatch_tree->GetTreeForNested(units_field, i) : nullptr;
    for (int j = 0; j < u.shifts_size(); ++j) {
      if (!parse_shift(u.shifts(j))) {
        return at(unit_tree, shifts_field, j,
                  "dispatch unit \"" + u.id() + "\": shift \"" + u.shifts(j) +
                      "\" is not HH:MM-HH:MM (00:00-24:00, start and end differ)");
      }
    }
    if (!ids.insert(u.id()).second)
      return at(dispatch_tree, units_field, i, "dispatch unit \"" + u.id() + "\" is listed twice");
    auto one = common;
    one.units = {base.units[static_cast<std::size_t>(i)]};
    for (const auto& p : core::dispatch::validate(one))
      return at(dispatch_tree, units_field, i, "dispatch: " + p);
  }
  return std::nullopt;
}

}  // namespace crisisline::codec
