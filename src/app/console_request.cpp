#include "app/console_request.hpp"

#include <array>
#include <boost/json.hpp>
#include <initializer_list>
#include <optional>

#include "app/report_format.hpp"
#include "codec/event_codec.hpp"
#include "core/contact.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace {

net::http_response bad(std::string_view field, const std::string& why) {
  return net::http_response::error(400, "invalid_field", std::string(field) + ": " + why);
}

// Reads typed fields out of a JSON object body, remembering the first problem.
class fields {
 public:
  explicit fields(const json::object& o) : o_(o) {}

  std::optional<net::http_response> problem;

  std::string text(std::string_view name, std::size_t max_bytes, bool required) {
    const json::value* v = o_.if_contains(name);
    if (!v || v->is_null()) {
      if (required) fail(name, "is required");
      return {};
    }
    if (!v->is_string()) {
      fail(name, "must be a string");
      return {};
    }
    const auto& s = v->get_string();
    if (s.size() > max_bytes) {
      fail(name, "is longer than " + std::to_string(max_bytes) + " bytes");
      return {};
    }
    if (required && s.empty()) fail(name, "must not be empty");
    return std::string(s);
  }

  bool flag(std::string_view name) {
    const json::value* v = o_.if_contains(name);
    if (!v || v->is_null()) return false;
    if (!v->is_bool()) {
      fail(name, "must be true or false");
      return false;
    }
    return v->get_bool();
  }

  std::uint32_t count(std::string_view name, std::uint32_t max) {
    const json::value* v = o_.if_contains(name);
    if (!v || v->is_null()) return 0;
    if (!v->is_int64() && !v->is_uint64()) {
      fail(name, "must be a whole number");
      return 0;
    }
    const auto n = v->is_int64() ? v->get_int64() : static_cast<std::int64_t>(v->get_uint64());
    if (n < 0 || n > max) {
      fail(name, "must be from 0 to " + std::to_string(max));
      return 0;
    }
    return static_cast<std::uint32_t>(n);
  }

  std::vector<std::string> words(std::string_view name) {
    std::vector<std::string> out;
    const json::value* v = o_.if_contains(name);
    if (!v || v->is_null()) return out;
    if (!v->is_array() || v->get_array().size() > 64) {
      fail(name, "must be a list of at most 64 strings");
      return out;
    }
    for (const auto& x : v->get_array()) {
      if (!x.is_string() || x.get_string().empty() || x.get_string().size() > 64) {
        fail(name, "must be a list of non-empty strings of at most 64 bytes");
        return {};
      }
      out.emplace_back(x.get_string());
    }
    return out;
  }

  // Refuses any field not in `known`, so a typo is an error and not a silent drop.
  void only(std::initializer_list<std::string_view> known) {
    for (const auto& kv : o_) {
      bool ok = kv.key() == "nurse_id";
      for (const auto k : known) ok = ok || kv.key() == k;
      if (!ok) fail(kv.key(), "is not a field of this request");
    }
  }

 private:
  void fail(std::string_view name, const std::string& why) {
    if (!problem) problem = bad(name, why);
  }
  const json::object& o_;
};

std::optional<v1::TriageCategory> category(std::string_view code) {
  static constexpr std::array<std::pair<std::string_view, v1::TriageCategory>, 7> codes{{
      {"A", v1::TRIAGE_A},
      {"B", v1::TRIAGE_B},
      {"C", v1::TRIAGE_C},
      {"D", v1::TRIAGE_D},
      {"E", v1::TRIAGE_E},
      {"F", v1::TRIAGE_F},
      {"G", v1::TRIAGE_G},
  }};
  for (const auto& [c, v] : codes) {
    if (c == code) return v;
  }
  return std::nullopt;
}

}  // namespace

bool is_contact_action(std::string_view action) {
  for (const std::string_view a :
       {"accept", "decline", "notes", "triage", "reply", "transfer", "close", "callback"}) {
    if (a == action) return true;
  }
  return false;
}

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 128) return false;
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::variant<parsed_command, net::http_response> parse_console_command(
    std::string_view action, std::uint64_t target, std::string_view body,
    const console_limits& limits) {
  json::object empty;
  json::value parsed;
  if (!body.empty()) {
    boost::system::error_code ec;
    parsed = json::parse(body, ec);
    if (ec || !parsed.is_object()) {
      return net::http_response::error(400, "invalid_body", "the body must be a JSON object");
    }
  }
  const json::object& o = parsed.is_object() ? parsed.get_object() : empty;
  fields f(o);
  parsed_command out;
  out.acting_for = f.text("nurse_id", 256, false);
  v1::ConsoleCommand& c = out.command;

  if (action == "shift/start") {
    f.only({"skills", "areas", "text_capacity"});
    auto* s = c.mutable_start_shift();
    for (auto& w : f.words("skills")) s->add_skills(std::move(w));
    for (auto& w : f.words("areas")) s->add_areas(std::move(w));
    s->set_text_capacity(f.count("text_capacity", 20));
  } else if (action == "shift/end") {
    f.only({"handover_to", "note"});
    auto* s = c.mutable_end_shift();
    s->set_handover_to(f.text("handover_to", 256, false));
    s->set_note(f.text("note", limits.max_reason_bytes, false));
  } else if (action == "status") {
    f.only({"status"});
    const auto status = f.text("status", 32, true);
    if (!f.problem && status != "available" && status != "on_break") {
      return bad("status", "must be \"available\" or \"on_break\"");
    }
    c.mutable_set_status()->set_status(status == "available" ? v1::NURSE_AVAILABLE
                                                             : v1::NURSE_ON_BREAK);
  } else if (action == "take-next") {
    f.only({});
    c.mutable_take_next();
  } else if (action == "wrap-up-done") {
    f.only({});
    c.mutable_wrap_up_done();
  } else if (action == "accept") {
    f.only({});
    c.mutable_accept()->set_contact_id(target);
  } else if (action == "decline") {
    f.only({"reason"});
    c.mutable_decline()->set_contact_id(target);
    c.mutable_decline()->set_reason(f.text("reason", limits.max_reason_bytes, true));
  } else if (action == "notes") {
    f.only({"text", "kind"});
    c.mutable_add_note()->set_contact_id(target);
    c.mutable_add_note()->set_text(f.text("text", limits.max_note_bytes, true));
    const auto kind = f.text("kind", 32, false);
    if (!f.problem && !kind.empty() && kind != "crisis_plan") {
      return bad("kind", "must be absent (a clinical note) or \"crisis_plan\"");
    }
    c.mutable_add_note()->set_kind(kind);
  } else if (action == "triage") {
    f.only({"category", "reason"});
    const auto code = f.text("category", 1, true);
    const auto reason = f.text("reason", limits.max_reason_bytes, true);
    const auto cat = category(code);
    if (!f.problem && !cat) return bad("category", "must be one of A to G");
    c.mutable_set_triage()->set_contact_id(target);
    c.mutable_set_triage()->set_category(cat.value_or(v1::TRIAGE_UNSPECIFIED));
    c.mutable_set_triage()->set_reason(reason);
  } else if (action == "reply") {
    f.only({"body", "clinically_necessary"});
    c.mutable_reply()->set_contact_id(target);
    c.mutable_reply()->set_body(f.text("body", limits.max_reply_bytes, true));
    c.mutable_reply()->set_clinically_necessary(f.flag("clinically_necessary"));
  } else if (action == "transfer") {
    f.only({"to_nurse", "to_area", "warm", "note"});
    auto* t = c.mutable_transfer();
    t->set_contact_id(target);
    t->set_to_nurse_id(f.text("to_nurse", 256, false));
    t->set_to_area(f.text("to_area", 256, false));
    t->set_warm(f.flag("warm"));
    t->set_note(f.text("note", limits.max_reason_bytes, false));
    if (!f.problem && t->to_nurse_id().empty() == t->to_area().empty()) {
      return bad("to_nurse", "give exactly one of to_nurse and to_area");
    }
    if (!f.problem && t->warm() && t->note().empty()) {
      return bad("note", "a warm transfer carries a note for the receiving nurse");
    }
  } else if (action == "close") {
    f.only({"outcome_code"});
    const auto code = f.text("outcome_code", 2, true);
    if (!f.problem && !core::valid_outcome_code(code)) {
      return bad("outcome_code", "must be one of 01 to 06 or 98");
    }
    c.mutable_close()->set_contact_id(target);
    c.mutable_close()->set_outcome_code(code);
  } else if (action == "callback") {
    f.only({"due"});
    c.mutable_create_callback()->set_contact_id(target);
    const auto due = f.text("due", 64, false);
    if (!f.problem && !due.empty()) {
      const auto t = parse_utc(due);
      if (!t) return bad("due", "must be an RFC 3339 time in UTC, e.g. 2024-05-01T09:30:00Z");
      *c.mutable_create_callback()->mutable_due_time() = codec::to_proto_time(*t);
    }
  } else if (action == "acknowledge") {
    f.only({});
    c.mutable_acknowledge_handover()->set_handover_id(target);
  } else {
    return net::http_response::error(404, "not_found",
                                     "no console action \"" + std::string(action) + "\"");
  }
  if (f.problem) return std::move(*f.problem);
  return out;
}

}  // namespace crisisline::app
