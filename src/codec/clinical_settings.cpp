#include "codec/clinical_settings.hpp"

#include "codec/dispatch_config.hpp"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <fstream>
#include <optional>
#include <sstream>

namespace crisisline::embedded {
extern const std::string_view risk_lexicon_textproto;
}

namespace crisisline::codec {
namespace {

config_error problem(std::string_view source, std::string message) {
  return config_error{std::string(source), 0, 0, std::move(message)};
}

std::optional<core::triage_category> category(std::string_view code) {
  return core::parse_triage_code(code);
}

std::variant<core::triage_scale, config_error> to_core_scale(const v1::Config& c) {
  auto scale = core::default_triage_scale();
  if (c.triage_bands().empty()) return scale;
  std::array<bool, core::triage_band_count> seen{};
  for (const auto& b : c.triage_bands()) {
    const auto code = category(b.code());
    if (!code) return problem("config", "triage_bands.code must be A-G, got \"" + b.code() + "\"");
    const auto i = core::band_index(*code);
    if (seen[i])
      return problem("config",
                     "triage band " + std::string(core::triage_code(*code)) + " is listed twice");
    seen[i] = true;
    auto& out = scale.bands[i];
    out.code = *code;
    out.label = b.label();
    out.face_to_face_target = b.has_face_to_face_target_seconds()
                                  ? std::optional<core::duration>(core::seconds(
                                        static_cast<std::int64_t>(b.face_to_face_target_seconds())))
                                  : std::nullopt;
    out.answer_target = core::seconds(static_cast<std::int64_t>(b.answer_target_seconds()));
    out.max_wait = core::seconds(static_cast<std::int64_t>(b.max_wait_seconds()));
    out.mhsds_priority = b.mhsds_priority();
    out.action = b.action();
    out.emergency = b.emergency();
  }
  for (std::size_t i = 0; i < seen.size(); ++i) {
    if (!seen[i]) {
      return problem("config", "triage_bands must list all of A-G; " +
                                   std::string(core::triage_code(core::band_at(i))) +
                                   " is missing");
    }
  }
  return scale;
}

std::variant<core::queue_settings, config_error> to_core_queue(const v1::QueueConfig& q) {
  core::queue_settings out;
  if (!q.default_band().empty()) {
    const auto b = category(q.default_band());
    if (!b) return problem("config", "queue.default_band must be A-G");
    out.default_band = *b;
  }
  if (q.offer_timeout_seconds()) out.offer_timeout = core::seconds(q.offer_timeout_seconds());
  if (q.wrap_up_seconds()) out.wrap_up = core::seconds(q.wrap_up_seconds());
  if (q.widen_to_other_areas_seconds())
    out.widen_to_other_areas = core::seconds(q.widen_to_other_areas_seconds());
  if (q.widen_to_senior_seconds()) out.widen_to_senior = core::seconds(q.widen_to_senior_seconds());
  if (q.default_text_capacity()) out.default_text_capacity = q.default_text_capacity();
  if (q.has_danger_digits()) out.danger_digits = q.danger_digits();
  if (!q.danger_band().empty()) {
    const auto b = category(q.danger_band());
    if (!b) return problem("config", "queue.danger_band must be A-G");
    out.danger_band = *b;
  }
  return out;
}

class first_error : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!error) error = config_error{{}, line + 1, column + 1, message};
  }
  std::optional<config_error> error;
};

std::variant<core::risk_lexicon, config_error> parse_lexicon(std::string_view text,
                                                             std::string_view source) {
  v1::RiskLexicon l;
  google::protobuf::TextFormat::Parser parser;
  first_error errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &l)) {
    auto e = errors.error.value_or(config_error{{}, 0, 0, "cannot parse"});
    e.source = source;
    return e;
  }
  return to_core(l, source);
}

}  // namespace

std::string_view default_risk_lexicon_text() {
  return embedded::risk_lexicon_textproto;
}

std::variant<core::risk_lexicon, config_error> to_core(const v1::RiskLexicon& l,
                                                       std::string_view source) {
  core::risk_lexicon out;
  for (const auto& r : l.rules()) {
    const auto raise = category(r.raise_to());
    if (!raise) return problem(source, "risk rule \"" + r.id() + "\": raise_to must be A-G");
    out.rules.push_back(
        core::risk_rule{.id = r.id(),
                        .phrases = {r.phrases().begin(), r.phrases().end()},
                        .raise_to = *raise,
                        .dose_pattern = r.dose_pattern(),
                        .dose_units = {r.dose_units().begin(), r.dose_units().end()},
                        .max_edits = r.max_edits()});
  }
  for (const auto& p : core::validate(out)) return problem(source, p);
  return out;
}

std::variant<core::settings, config_error> clinical_settings(const v1::Config& c) {
  core::settings s;
  auto scale = to_core_scale(c);
  if (auto* e = std::get_if<config_error>(&scale)) return *e;
  s.triage = std::get<core::triage_scale>(std::move(scale));
  auto queue = to_core_queue(c.queue());
  if (auto* e = std::get_if<config_error>(&queue)) return *e;
  s.queue = std::get<core::queue_settings>(queue);

  std::variant<core::risk_lexicon, config_error> lexicon;
  if (!c.risk_lexicon().rules().empty()) {
    lexicon = to_core(c.risk_lexicon(), "config risk_lexicon");
  } else if (!c.risk_lexicon_file().empty()) {
    std::ifstream in(c.risk_lexicon_file(), std::ios::binary);
    if (!in) return problem(c.risk_lexicon_file(), "cannot open file");
    std::ostringstream text;
    text << in.rdbuf();
    lexicon = parse_lexicon(text.str(), c.risk_lexicon_file());
  } else {
    lexicon = parse_lexicon(default_risk_lexicon_text(), "<embedded risk lexicon>");
  }
  if (auto* e = std::get_if<config_error>(&lexicon)) return *e;
  s.lexicon = std::get<core::risk_lexicon>(std::move(lexicon));

  if (auto e = check_dispatch(c, nullptr, "config")) return *e;
  s.dispatch = dispatch_settings(c.dispatch(), s.triage);

  for (const auto& p : core::validate(s)) return problem("config", p);
  return s;
}

}  // namespace crisisline::codec
