#include "app/area_routing.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace crisisline::app {
namespace {

constexpr std::string_view fallback_auto_reply =
    "Thank you for your message. It has reached the {area} mental health crisis team and a nurse "
    "will reply {wait}. If you are in immediate danger, call 999.";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
  return s;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<core::route_of_access> parse_route(std::string_view name) {
  if (name == "nhs111_option2") return core::route_of_access::nhs111_option2;
  if (name == "local_line") return core::route_of_access::local_line;
  if (name == "sms_keyword") return core::route_of_access::sms_keyword;
  if (name == "professional_line") return core::route_of_access::professional_line;
  return std::nullopt;
}

std::optional<opening_hours> parse_opening_hours(std::string_view text) {
  // "HH:MM-HH:MM"
  if (text.size() != 11 || text[2] != ':' || text[5] != '-' || text[8] != ':') return std::nullopt;
  const auto number = [&](std::size_t at) -> int {
    if (!std::isdigit(static_cast<unsigned char>(text[at])) ||
        !std::isdigit(static_cast<unsigned char>(text[at + 1]))) {
      return -1;
    }
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  const int oh = number(0), om = number(3), ch = number(6), cm = number(9);
  if (oh < 0 || om < 0 || ch < 0 || cm < 0 || oh > 24 || ch > 24 || om > 59 || cm > 59) {
    return std::nullopt;
  }
  return opening_hours{oh * 60 + om, ch * 60 + cm};
}

area_routing::area_routing(const v1::Config& config)
    : default_auto_reply_(config.sms().default_auto_reply().empty()
                              ? std::string(fallback_auto_reply)
                              : config.sms().default_auto_reply()),
      utc_offset_minutes_(config.sms().utc_offset_minutes()) {
  for (const auto& a : config.areas()) {
    if (a.name().empty()) throw std::invalid_argument("areas.name is required");
    routed_area r{a.name(), a.display_name().empty() ? a.name() : a.display_name(), std::nullopt,
                  a.overflow_area(), a.auto_reply()};
    if (!a.opening_hours().empty()) {
      r.hours = parse_opening_hours(a.opening_hours());
      if (!r.hours) {
        throw std::invalid_argument("area " + a.name() +
                                    ": opening_hours must be HH:MM-HH:MM, got \"" +
                                    a.opening_hours() + "\"");
      }
    }
    adapters::area_keywords k{a.name(), {}};
    for (const auto& kw : a.keywords()) {
      if (kw.empty() || !std::all_of(kw.begin(), kw.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c));
          })) {
        throw std::invalid_argument("area " + a.name() + ": keyword \"" + kw +
                                    "\" must be letters and digits only");
      }
      k.keywords.push_back(kw);
    }
    keywords_.push_back(std::move(k));
    for (const auto& n : a.numbers())
      numbers_[n] = access{core::route_of_access::unspecified, a.name()};
    if (!areas_.emplace(a.name(), std::move(r)).second) {
      throw std::invalid_argument("area " + a.name() + " is listed twice");
    }
  }
  for (const auto& [name, a] : areas_) {
    if (!a.overflow_area.empty() && !areas_.contains(a.overflow_area)) {
      throw std::invalid_argument("area " + name + ": overflow_area \"" + a.overflow_area +
                                  "\" is not a configured area");
    }
  }
  for (const auto& n : config.access_numbers()) {
    const auto route = parse_route(n.route());
    if (!route) {
      throw std::invalid_argument(
          "access_numbers " + n.number() + ": route \"" + n.route() +
          "\" is not nhs111_option2, local_line, sms_keyword or professional_line");
    }
    if (!n.area().empty() && !areas_.contains(n.area())) {
      throw std::invalid_argument("access_numbers " + n.number() + ": area \"" + n.area() +
                                  "\" is not a configured area");
    }
    auto& a = numbers_[n.number()];
    a.route = *route;
    if (!n.area().empty()) a.area = n.area();
  }
  blocked_.insert(config.sms().blocked_numbers().begin(), config.sms().blocked_numbers().end());
}

bool area_routing::open_at(const routed_area& a, core::timestamp now) const {
  if (!a.hours) return true;
  const auto minutes_since_epoch =
      std::chrono::duration_cast<std::chrono::minutes>(now.time_since_epoch()).count() +
      utc_offset_minutes_;
  const int minute = static_cast<int>(((minutes_since_epoch % 1440) + 1440) % 1440);
  const auto [open, close] = *a.hours;
  if (open == close) return true;
  if (open < close) return minute >= open && minute < close;
  return minute >= open || minute < close;
}

routing_decision area_routing::route(std::string_view body, std::string_view to,
                                     core::timestamp now) const {
  routing_decision d;
  const auto number = numbers_.find(std::string(to));
  d.route = number != numbers_.end() && number->second.route != core::route_of_access::unspecified
                ? number->second.route
                : core::route_of_access::sms_keyword;
  if (const auto k = adapters::route_by_keyword(body, keywords_)) {
    d.area = k->area;
    d.keyword = upper(k->keyword);
    d.route = core::route_of_access::sms_keyword;
    d.reason = "keyword " + d.keyword + " belongs to " + d.area;
  } else if (number != numbers_.end() && !number->second.area.empty()) {
    d.area = number->second.area;
    d.reason = "no keyword; the number texted belongs to " + d.area;
  } else {
    d.reason = "no keyword and the number texted has no area: regional pool";
  }
  overflow_if_closed(d, now);
  return d;
}

routing_decision area_routing::route_call(std::string_view to, core::timestamp now) const {
  routing_decision d;
  d.route = core::route_of_access::local_line;
  const auto number = numbers_.find(std::string(to));
  if (number != numbers_.end()) {
    if (number->second.route != core::route_of_access::unspecified) d.route = number->second.route;
    d.area = number->second.area;
  }
  d.reason = d.area.empty() ? "the number dialled has no area: regional pool"
                            : "the number dialled belongs to " + d.area;
  overflow_if_closed(d, now);
  return d;
}

void area_routing::overflow_if_closed(routing_decision& d, core::timestamp now) const {
  // Follow overflow from closed areas, at most once round every area.
  for (std::size_t hops = 0; !d.area.empty() && hops < areas_.size(); ++hops) {
    const auto& a = areas_.at(d.area);
    if (open_at(a, now)) break;
    d.reason += "; " + a.name + " is closed now, overflow to " +
                (a.overflow_area.empty() ? std::string("the regional pool") : a.overflow_area);
    d.area = a.overflow_area;
  }
}

std::string area_routing::auto_reply(const std::string& area, std::string_view wait) const {
  const auto it = areas_.find(area);
  std::string text = it != areas_.end() && !it->second.auto_reply.empty() ? it->second.auto_reply
                                                                          : default_auto_reply_;
  const std::string name = it != areas_.end() ? it->second.display_name : std::string("regional");
  return replace_all(replace_all(std::move(text), "{area}", name), "{wait}", wait);
}

}  // namespace crisisline::app
