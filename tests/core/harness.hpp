#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/engine.hpp"

// Drives an engine the way app/ does: each event gets the next seq and the
// fake clock's time; run_until() fires timer_fired whenever a deadline falls
// due, like the live loop. Every applied event is kept for replay.
namespace crisisline::core::testing {

inline constexpr timestamp t0 = from_micros(1'700'000'000'000'000);

class harness {
 public:
  harness() = default;
  explicit harness(settings s) : eng(std::move(s)) {}

  engine eng;
  timestamp now = t0;
  std::uint64_t seq = 0;
  effects last;
  std::vector<event> log;
  // The effects of each event in `log`, in order.
  std::vector<effects> applied;

  const effects& push(event_payload p) { return push_as(actor{}, std::move(p)); }
  const effects& push_as(actor by, event_payload p) {
    event e;
    e.seq = ++seq;
    e.recorded_time = now;
    e.by = std::move(by);
    e.payload = std::move(p);
    log.push_back(e);
    last = eng.apply(e);
    applied.push_back(last);
    return last;
  }

  // Returns the new contact's id (the event's seq).
  std::uint64_t call(const std::string& call_id, const std::string& from = "+447700900001",
                     const std::string& area = "", const std::string& digits = "") {
    push(call_event{.call_id = call_id,
                    .status = call_status::offered,
                    .from = from,
                    .route = route_of_access::nhs111_option2,
                    .area = area,
                    .digits = digits});
    return seq;
  }
  const effects& call_status_of(const std::string& call_id, call_status status,
                                const std::string& nurse = "", const std::string& digits = "") {
    return push(
        call_event{.call_id = call_id, .status = status, .digits = digits, .nurse_id = nurse});
  }
  std::uint64_t text(const std::string& from, const std::string& body) {
    push(text_event{.message_id = "SM" + std::to_string(seq + 1), .from = from, .body = body});
    return seq;
  }
  std::uint64_t keyword(const std::string& from, const std::string& body, const std::string& area) {
    push(keyword_text{
        .text = {.message_id = "SM" + std::to_string(seq + 1), .from = from, .body = body},
        .keyword = "KW",
        .area = area});
    return seq;
  }
  const effects& console(const std::string& nurse, console_action a) {
    return push(console_command{.nurse_id = nurse, .action = std::move(a)});
  }
  const effects& sign_on(const std::string& nurse, std::vector<std::string> skills = {},
                         std::vector<std::string> areas = {}, std::uint32_t text_capacity = 0) {
    return console(nurse, nurse_sign_on{std::move(skills), std::move(areas), text_capacity});
  }
  const effects& accept(const std::string& nurse, std::uint64_t contact) {
    return console(nurse, accept_offer{contact});
  }
  const effects& close(const std::string& nurse, std::uint64_t contact,
                       const std::string& outcome = "02") {
    return console(nurse, close_contact{contact, outcome});
  }
  const effects& tick() { return push(timer_fired{"test"}); }

  void advance(duration d) { now += d; }

  // Moves the clock to `until`, firing timer_fired at each deadline on the way.
  // Returns every effect produced.
  effects run_until(timestamp until) {
    effects all;
    while (const auto d = eng.next_deadline()) {
      if (*d > until) break;
      now = std::max(now, *d);
      const effects& fx = tick();
      all.insert(all.end(), fx.begin(), fx.end());
    }
    now = std::max(now, until);
    return all;
  }
  effects run_for(duration d) { return run_until(now + d); }

  [[nodiscard]] const contact& get(std::uint64_t id) const {
    const contact* c = eng.find_contact(contact_id{id});
    if (!c) throw std::runtime_error("no contact " + std::to_string(id));
    return *c;
  }
  [[nodiscard]] nurse_view nurse_of(const std::string& id) const {
    auto v = eng.find_nurse(nurse_id{id});
    if (!v) throw std::runtime_error("no nurse " + id);
    return *v;
  }
  [[nodiscard]] std::vector<std::uint64_t> queue_ids() const {
    std::vector<std::uint64_t> ids;
    for (const auto& row : eng.queue_snapshot(now)) ids.push_back(row.contact.value());
    return ids;
  }
  // The state without the event counters, to show a rejected command changed nothing.
  [[nodiscard]] std::string state() const {
    const std::string d = eng.dump();
    return d.substr(d.find('\n') + 1);
  }
};

template <typename T>
std::vector<T> all_of(const effects& fx) {
  std::vector<T> out;
  for (const effect& e : fx) {
    if (const T* p = std::get_if<T>(&e)) out.push_back(*p);
  }
  return out;
}

inline std::vector<notice> notices_of_kind(const effects& fx, std::string_view kind) {
  std::vector<notice> out;
  for (const notice& n : all_of<notice>(fx)) {
    if (n.kind == kind) out.push_back(n);
  }
  return out;
}

inline bool has_offer(const effects& fx, std::uint64_t contact, const std::string& nurse) {
  for (const offer_made& o : all_of<offer_made>(fx)) {
    if (o.contact.value() == contact && o.nurse.value() == nurse) return true;
  }
  return false;
}

inline bool rejected(const effects& fx) {
  return !all_of<command_rejected>(fx).empty();
}

}  // namespace crisisline::core::testing
