#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/sms_keywords.hpp"
#include "codec/config_loader.hpp"
#include "core/event.hpp"
#include "core/time.hpp"

namespace crisisline::app {

// Where a contact goes, decided once on arrival and recorded on the event
// with its reason. Texts:
//   1. the first word is an area's keyword            -> that area (route sms_keyword)
//   2. else the number texted belongs to an area      -> that area
//   3. else                                           -> the regional pool ("")
// Calls: the number dialled gives the route of access (default local_line)
// and the area (else the pool).
// Then, if that area is closed now (opening hours, local time), its overflow
// area (or the pool), with the reason saying so.
struct routing_decision {
  std::string area;
  // Matched keyword, upper-cased; empty when routed by number or to the pool.
  std::string keyword;
  core::route_of_access route = core::route_of_access::unspecified;
  std::string reason;
};

struct opening_hours {
  int open_minute = 0;   // minutes after local midnight
  int close_minute = 0;  // may be less than open_minute: crosses midnight
};

struct routed_area {
  std::string name;
  std::string display_name;
  std::optional<opening_hours> hours;
  std::string overflow_area;
  std::string auto_reply;
};

class area_routing {
 public:
  // Throws std::invalid_argument naming the problem (bad hours, unknown
  // overflow area, a keyword that is not letters and digits).
  explicit area_routing(const v1::Config& config);

  [[nodiscard]] routing_decision route(std::string_view body, std::string_view to,
                                       core::timestamp now) const;
  [[nodiscard]] routing_decision route_call(std::string_view to, core::timestamp now) const;
  [[nodiscard]] bool blocked(std::string_view from) const {
    return blocked_.contains(std::string(from));
  }
  // The first-contact auto-reply for `area`, with {area} and {wait} filled.
  [[nodiscard]] std::string auto_reply(const std::string& area, std::string_view wait) const;

 private:
  [[nodiscard]] bool open_at(const routed_area& a, core::timestamp now) const;
  void overflow_if_closed(routing_decision& d, core::timestamp now) const;

  std::vector<adapters::area_keywords> keywords_;
  std::map<std::string, routed_area> areas_;
  struct access {
    core::route_of_access route = core::route_of_access::unspecified;
    std::string area;
  };
  std::map<std::string, access> numbers_;
  std::set<std::string> blocked_;
  std::string default_auto_reply_;
  int utc_offset_minutes_ = 0;
};

[[nodiscard]] std::optional<core::route_of_access> parse_route(std::string_view name);
[[nodiscard]] std::optional<opening_hours> parse_opening_hours(std::string_view text);

}  // namespace crisisline::app
