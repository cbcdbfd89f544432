#include "codec/config_loader.hpp"

#include "codec/dispatch_config.hpp"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace crisisline::embedded {
extern const std::string_view default_config_textproto;
}

namespace crisisline::codec {
namespace {

class collector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (!first_) first_ = config_error{{}, line + 1, column + 1, message};
  }
  void AddWarning(int, int, const std::string&) override {}
  std::optional<config_error> first_;
};

void fill_defaults(v1::Config& c) {
  auto* s = c.mutable_server();
  if (s->listen().empty()) s->set_listen("127.0.0.1:8080");
  if (s->max_body_bytes() == 0) s->set_max_body_bytes(1 << 20);
  if (s->max_header_bytes() == 0) s->set_max_header_bytes(16 << 10);
  if (s->read_timeout_ms() == 0) s->set_read_timeout_ms(15'000);
  if (s->idle_timeout_ms() == 0) s->set_idle_timeout_ms(60'000);
  if (s->max_connections() == 0) s->set_max_connections(1024);
  if (s->max_events_per_batch() == 0) s->set_max_events_per_batch(1000);
  if (s->tls_min_version().empty()) s->set_tls_min_version("1.2");
  auto* st = c.mutable_store();
  if (st->path().empty()) st->set_path("./crisisline.db");
  if (st->max_backlog_events() == 0) st->set_max_backlog_events(50'000);
  if (st->max_commit_events() == 0) st->set_max_commit_events(5'000);
  if (st->checkpoint_wal_pages() == 0) st->set_checkpoint_wal_pages(4'000);
  if (st->retry_after_seconds() == 0) st->set_retry_after_seconds(1);
  if (c.logging().level().empty()) c.mutable_logging()->set_level("info");
  auto* tw = c.mutable_twilio();
  if (tw->api_base_url().empty()) tw->set_api_base_url("https://api.twilio.com");
  if (tw->request_timeout_seconds() == 0) tw->set_request_timeout_seconds(15);
  if (tw->max_send_attempts() == 0) tw->set_max_send_attempts(8);
  auto* con = c.mutable_console();
  if (con->session_ttl_seconds() == 0) con->set_session_ttl_seconds(12 * 3600);
  if (con->login_max_failures_per_user() == 0) con->set_login_max_failures_per_user(5);
  if (con->login_max_failures_per_address() == 0) con->set_login_max_failures_per_address(20);
  if (con->login_failure_window_seconds() == 0) con->set_login_failure_window_seconds(900);
  if (con->login_lockout_seconds() == 0) con->set_login_lockout_seconds(900);
  if (con->max_pending_logins() == 0) con->set_max_pending_logins(64);
  if (con->session_refresh_ms() == 0) con->set_session_refresh_ms(1000);
  if (con->organisation().empty()) con->set_organisation("crisisline");
  if (con->min_password_length() == 0) con->set_min_password_length(12);
  if (con->max_throttle_entries() == 0) con->set_max_throttle_entries(100'000);
  if (con->max_note_bytes() == 0) con->set_max_note_bytes(8000);
  if (con->max_reply_bytes() == 0) con->set_max_reply_bytes(1600);
  if (con->max_reason_bytes() == 0) con->set_max_reason_bytes(2000);
  if (con->feed_flush_ms() == 0) con->set_feed_flush_ms(50);
  if (con->feed_replay_changes() == 0) con->set_feed_replay_changes(4096);
  if (con->feed_max_queued_bytes() == 0) con->set_feed_max_queued_bytes(1 << 20);
  if (con->feed_queue_rows() == 0) con->set_feed_queue_rows(200);
  if (c.sms().max_body_bytes() == 0) c.mutable_sms()->set_max_body_bytes(16 << 10);
  auto* v = c.mutable_voice();
  if (v->hold_message().empty()) {
    v->set_hold_message(
        "You are through to the mental health crisis line. A nurse will speak with you as soon "
        "as they can. Please stay on the line. If you are in immediate danger, hang up and call "
        "999.");
  }
  if (v->danger_prompt().empty()) {
    v->set_danger_prompt("If you are in immediate danger right now, press 1.");
  }
  if (v->queue_name().empty()) v->set_queue_name("crisisline");
  if (v->dial_timeout_seconds() == 0) v->set_dial_timeout_seconds(20);
}

std::optional<std::string> check(const v1::Config& c) {
  const auto& listen = c.server().listen();
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return "server.listen must be HOST:PORT";
  const auto port = listen.substr(colon + 1);
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535) {
    return "server.listen has an invalid port: \"" + port + "\"";
  }
  if (c.server().max_body_bytes() > (64u << 20)) return "server.max_body_bytes is over 64 MiB";
  const auto& sv = c.server();
  if (sv.tls_certificate_file().empty() != sv.tls_private_key_file().empty()) {
    return sv.tls_certificate_file().empty()
               ? "server.tls_private_key_file is set but server.tls_certificate_file is not: "
                 "set both to serve HTTPS, or neither"
               : "server.tls_certificate_file is set but server.tls_private_key_file is not: "
                 "set both to serve HTTPS, or neither";
  }
  if (sv.tls_min_version() != "1.2" && sv.tls_min_version() != "1.3")
    return "server.tls_min_version must be \"1.2\" or \"1.3\", not \"" + sv.tls_min_version() +
           "\"";
  if (c.store().max_commit_events() > c.store().max_backlog_events())
    return "store.max_commit_events must not exceed store.max_backlog_events";
  const auto& level = c.logging().level();
  if (level != "debug" && level != "info" && level != "warn" && level != "error")
    return "logging.level must be debug, info, warn or error";
  for (const auto& t : c.integration_tokens()) {
    if (t.name().empty()) return "integration_tokens.name is required";
    if (t.token().empty() && t.token_env().empty())
      return "integration token \"" + t.name() + "\" has neither token nor token_env";
  }
  return std::nullopt;
}

}  // namespace

std::string config_error::describe() const {
  std::ostringstream out;
  out << source;
  if (line > 0) out << ':' << line << ':' << column;
  out << ": " << message;
  return out.str();
}

config_result parse_config(std::string_view text, std::string_view source_name) {
  v1::Config config;
  google::protobuf::TextFormat::Parser parser;
  collector errors;
  parser.RecordErrorsTo(&errors);
  google::protobuf::TextFormat::ParseInfoTree where;
  parser.WriteLocationsTo(&where);
  if (!parser.ParseFromString(std::string(text), &config)) {
    auto e = errors.first_.value_or(config_error{{}, 0, 0, "cannot parse"});
    e.source = source_name;
    return e;
  }
  fill_defaults(config);
  if (auto problem = check(config)) return config_error{std::string(source_name), 0, 0, *problem};
  if (auto problem = check_dispatch(config, &where, source_name)) return *problem;
  return config;
}

config_result load_config_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return config_error{path.string(), 0, 0, "cannot open file"};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), path.string());
}

std::string_view default_config_text() {
  return embedded::default_config_textproto;
}

config_result default_config() {
  return parse_config(default_config_text(), "<embedded default>");
}

std::string secret(const std::string& value, const std::string& env) {
  if (!env.empty()) {
    if (const char* v = std::getenv(env.c_str()); v && *v) return v;
  }
  return value;
}

std::string integration_token(const v1::IntegrationToken& t) {
  if (!t.token_env().empty()) {
    if (const char* v = std::getenv(t.token_env().c_str()); v && *v) return v;
  }
  return t.token();
}

}  // namespace crisisline::codec
