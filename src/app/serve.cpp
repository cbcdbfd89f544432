#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>

#include "app/area_routing.hpp"
#include "app/audit_trail.hpp"
#include "app/call_connector.hpp"
#include "app/commands.hpp"
#include "app/console_endpoints.hpp"
#include "app/console_feed.hpp"
#include "app/crew_feed.hpp"
#include "app/dispatch_endpoints.hpp"
#include "app/effect_log.hpp"
#include "app/engine_views.hpp"
#include "app/event_pipeline.hpp"
#include "app/ingest_handler.hpp"
#include "app/ops_endpoints.hpp"
#include "app/outbox_sender.hpp"
#include "app/report_endpoints.hpp"
#include "app/retention.hpp"
#include "app/session_auth.hpp"
#include "app/shift_log_projection.hpp"
#include "app/sms_webhook.hpp"
#include "app/state_json.hpp"
#include "app/static_files.hpp"
#include "app/voice_webhook.hpp"
#include "codec/clinical_settings.hpp"
#include "codec/config_loader.hpp"
#include "log/log.hpp"
#include "net/http_client.hpp"
#include "net/http_server.hpp"
#include "net/io_loop.hpp"
#include "store/event_reader.hpp"
#include "store/writer.hpp"

namespace crisisline::app {
namespace {

constexpr int exit_bad_config = 2;
constexpr int exit_commit_failed = 70;

core::timestamp wall_clock() {
  return std::chrono::time_point_cast<core::duration>(std::chrono::system_clock::now());
}

struct host_port {
  std::string host;
  std::uint16_t port = 0;
};

std::optional<std::uint64_t> since_param(std::string_view text) {
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return v;
}

host_port split_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  host_port out;
  out.host = listen.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const auto p = listen.substr(colon + 1);
  std::from_chars(p.data(), p.data() + p.size(), out.port);
  return out;
}

}  // namespace

int serve(const serve_options& opts) {
  auto loaded =
      opts.config_path ? codec::load_config_file(*opts.config_path) : codec::default_config();
  if (auto* err = std::get_if<codec::config_error>(&loaded)) {
    log::error("invalid configuration", {{"error", std::string_view(err->describe())}});
    return exit_bad_config;
  }
  auto config = std::get<v1::Config>(std::move(loaded));
  if (opts.listen) config.mutable_server()->set_listen(*opts.listen);
  if (opts.db_path) config.mutable_store()->set_path(*opts.db_path);
  log::level level = log::level::info;
  (void)log::parse_level(config.logging().level(), level);
  log::set_level(level);

  bearer_auth auth;
  for (const auto& t : config.integration_tokens()) {
    const auto token = codec::integration_token(t);
    if (token.empty()) {
      log::warn("integration token is empty; skipped", {{"name", std::string_view(t.name())}});
      continue;
    }
    auth.add(t.name(), token);
  }

  // Every configuration check before the database is opened (or created).
  auto clinical = codec::clinical_settings(config);
  if (auto* err = std::get_if<codec::config_error>(&clinical)) {
    log::error("invalid configuration", {{"error", std::string_view(err->describe())}});
    return exit_bad_config;
  }
  if (const auto problem = retention_problem(config)) {
    log::error("invalid configuration", {{"error", std::string_view(*problem)}});
    return exit_bad_config;
  }
  std::unique_ptr<area_routing> routing;
  try {
    routing = std::make_unique<area_routing>(config);
  } catch (const std::invalid_argument& e) {
    log::error("invalid configuration", {{"error", std::string_view(e.what())}});
    return exit_bad_config;
  }

  net::io_loop loop;
  const auto& sc = config.store();
  // Declared before the writer, which feeds it until it stops.
  shift_log_projection shift_log(std::get<core::settings>(clinical));
  std::unique_ptr<store::writer> writer;
  try {
    writer = std::make_unique<store::writer>(
        sc.path(),
        store::writer_options{.max_backlog_events = sc.max_backlog_events(),
                              .max_commit_events = sc.max_commit_events(),
                              .checkpoint_wal_pages = sc.checkpoint_wal_pages()},
        [&loop](std::function<void()> fn) { loop.post(std::move(fn)); },
        [](const std::string&) {
          // Fail-stop: the batch was never acknowledged; clients retry
          // against the restarted server, which recovers everything committed.
          std::_Exit(exit_commit_failed);
        },
        &shift_log);
  } catch (const std::exception& e) {
    log::error("cannot open the event log",
               {{"path", std::string_view(sc.path())}, {"error", std::string_view(e.what())}});
    return exit_commit_failed;
  }

  core::engine engine(std::get<core::settings>(std::move(clinical)));
  event_pipeline pipeline(loop, *writer, engine, wall_clock);
  pipeline.set_sender_key_secret(
      codec::secret(config.sender_key_secret(), config.sender_key_secret_env()));
  const auto& tw = config.twilio();
  const twilio_settings twilio{
      .public_base_url = config.server().public_base_url(),
      .tokens = {codec::secret(tw.auth_token(), tw.auth_token_env()),
                 codec::secret(tw.secondary_auth_token(), tw.secondary_auth_token_env())},
      .account_sid = tw.account_sid(),
      .max_form_bytes = config.server().max_body_bytes()};
  net::http_client http(loop);
  outbox_sender sender(
      loop, http, pipeline, engine,
      sms_rest_settings{.api_base_url = tw.api_base_url(),
                        .account_sid = tw.account_sid(),
                        .auth_token = twilio.tokens.primary,
                        .status_callback_url =
                            config.server().public_base_url() + "/v1/webhooks/twilio/sms/status",
                        .timeout = std::chrono::seconds(tw.request_timeout_seconds()),
                        .max_attempts = tw.max_send_attempts()});
  call_connect_settings connect{
      .api_base_url = tw.api_base_url(),
      .account_sid = tw.account_sid(),
      .auth_token = twilio.tokens.primary,
      .public_base_url = config.server().public_base_url(),
      .dial_timeout_seconds = static_cast<int>(config.voice().dial_timeout_seconds()),
      .timeout = std::chrono::seconds(tw.request_timeout_seconds())};
  for (const auto& n : config.nurse_endpoints()) {
    const auto kind = n.kind() == "sip"      ? adapters::twiml::endpoint_kind::sip
                      : n.kind() == "client" ? adapters::twiml::endpoint_kind::client
                                             : adapters::twiml::endpoint_kind::number;
    connect.nurse_endpoints[n.nurse_id()] = adapters::twiml::dial_endpoint{kind, n.address()};
  }
  call_connector connector(loop, http, pipeline, engine, std::move(connect));
  crew_feed crews(engine, [&pipeline](std::vector<v1::Event> events, event_pipeline::done_fn done) {
    return pipeline.submit(std::move(events), std::move(done));
  });
  const auto& cc = config.console();
  net::timer feed_timer(loop);
  std::unique_ptr<console_feed> feed;
  pipeline.on_effects(
      [&sender, &connector, &feed, &crews](std::uint64_t seq, const core::effects& effects) {
        log_effects(seq, effects);
        if (feed) feed->on_commit(seq, effects);
        crews.on_effects(effects);
        for (const auto& fx : effects) {
          if (const auto* s = std::get_if<core::send_text>(&fx)) sender.send(s->outbound_id);
          if (const auto* a = std::get_if<core::contact_assigned>(&fx)) {
            connector.on_assigned(a->contact, a->nurse);
          }
        }
      });
  try {
    store::event_reader reader(sc.path());
    const auto r = pipeline.recover(reader);
    log::info("recovered", {{"events", r.events},
                            {"seconds", r.seconds},
                            {"events_per_second",
                             r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0.0},
                            {"last_seq", engine.stats().last_seq}});
  } catch (const std::exception& e) {
    log::error("recovery failed", {{"error", std::string_view(e.what())}});
    return exit_commit_failed;
  }

  std::unique_ptr<session_auth> access;
  try {
    access = std::make_unique<session_auth>(
        loop, sc.path(), auth,
        session_settings{
            .ttl = std::chrono::seconds(cc.session_ttl_seconds()),
            .throttle = {.max_failures_per_user = cc.login_max_failures_per_user(),
                         .max_failures_per_address = cc.login_max_failures_per_address(),
                         .window = std::chrono::seconds(cc.login_failure_window_seconds()),
                         .lockout = std::chrono::seconds(cc.login_lockout_seconds()),
                         .max_entries = cc.max_throttle_entries()},
            .max_pending_logins = cc.max_pending_logins(),
            .refresh_interval = std::chrono::milliseconds(cc.session_refresh_ms())},
        wall_clock);
  } catch (const std::exception& e) {
    log::error("cannot read staff sessions", {{"error", std::string_view(e.what())}});
    return exit_commit_failed;
  }

  // After recovery: the feed starts from the recovered state.
  feed = std::make_unique<console_feed>(
      engine,
      feed_settings{.flush_interval = std::chrono::milliseconds(cc.feed_flush_ms()),
                    .replay_changes = cc.feed_replay_changes(),
                    .queue_rows = cc.feed_queue_rows()},
      wall_clock, [&feed_timer](std::chrono::milliseconds after, std::function<void()> fn) {
        feed_timer.arm(after, std::move(fn));
      });
  bool draining = false;
  // Retention: each tick purges what has passed keep_days, through the same
  // event path as everything else (the projection rewrites the events).
  net::timer retention_timer(loop);
  std::function<void()> retention_tick;
  if (const auto keep_days = config.retention().keep_days(); keep_days > 0) {
    const auto minutes = config.retention().purge_interval_minutes();
    const std::chrono::minutes interval{minutes > 0 ? minutes : 60};
    retention_tick = [&, keep_days, interval, secret = sender_key_secret(config)] {
      if (draining) return;
      if (auto purge =
              plan_retention_purge(engine, retention_cutoff(wall_clock(), keep_days), secret)) {
        std::vector<v1::Event> events;
        events.push_back(std::move(*purge));
        // A full backlog skips this tick; the next one plans again.
        (void)pipeline.submit(std::move(events), [](const auto&) {});
      }
      retention_timer.arm(interval, retention_tick);
    };
    retention_timer.arm(std::chrono::seconds{1}, retention_tick);
  }
  std::unique_ptr<net::http_server> server;
  net::router routes;
  audit_trail audit(*writer, cc.organisation(), wall_clock);
  ingest_handler ingest(
      pipeline, audit,
      ingest_limits{.max_events_per_batch = config.server().max_events_per_batch(),
                    .retry_after_seconds = sc.retry_after_seconds()});
  console_api console(pipeline, engine,
                      console_settings{.limits = {.max_note_bytes = cc.max_note_bytes(),
                                                  .max_reply_bytes = cc.max_reply_bytes(),
                                                  .max_reason_bytes = cc.max_reason_bytes()},
                                       .retry_after_seconds = sc.retry_after_seconds()},
                      wall_clock, audit);
  // The role rule of every route (README "Role x route matrix"). Public:
  // healthz, readyz, metrics (aggregate counters only), login and the signed
  // provider webhooks.
  using enum staff_role;
  const std::vector<staff_role> live_state_roles = {nurse, supervisor, admin, integration};
  access->on_me([&engine](const principal& who, boost::json::object& me) {
    const auto n = engine.find_nurse(core::nurse_id{who.id});
    me["on_shift"] = n && n->shift_id.has_value();
    me["shift_id"] = n && n->shift_id ? boost::json::value(*n->shift_id) : nullptr;
    me["nurse"] = n ? boost::json::value(nurse_json(*n)) : nullptr;
  });
  access->add_routes(routes);
  // A logout, an expiry or a disabled account closes that session's live
  // feeds too (within session_refresh_ms), not only its next request.
  access->on_sessions_changed([&access, &feed, &crews] {
    const auto signed_in = [&access](const principal& who) { return access->signed_in(who); };
    feed->close_signed_out(signed_in);
    crews.close_signed_out(signed_in);
  });
  routes.add(
      "POST", "/v1/events",
      guarded(*access, {integration, admin},
              [&ingest](const principal& who, net::http_request&& req, net::responder respond) {
                ingest(who, std::move(req), std::move(respond));
              }));
  routes.add("GET", "/v1/queue",
             guarded(*access, live_state_roles, queue_view(engine, wall_clock)));
  routes.add("GET", "/v1/nurses", guarded(*access, live_state_roles, nurses_view(engine)));
  routes.add_prefix(
      "GET", "/v1/contacts/",
      guarded(*access, live_state_roles, contact_view(engine, audit, sc.retry_after_seconds()),
              contact_denied(audit, sc.retry_after_seconds())));
  // The console API (README "Console API") and its live feed; each route's
  // roles are in add_console_routes.
  add_console_routes(routes, *access, console);
  routes.add_websocket(
      "/v1/console/feed",
      guarded_ws(*access, {nurse, supervisor, admin},
                 [&feed](const principal& who, const net::http_request& req) -> net::ws_decision {
                   std::optional<std::uint64_t> since;
                   if (const auto text = req.query_param("since"); !text.empty()) {
                     since = since_param(text);
                     if (!since) {
                       return net::http_response::error(400, "invalid_since",
                                                        "since must be a frame's seq");
                     }
                   }
                   return net::ws_accept{
                       .subprotocol = {},
                       .on_open = [&feed, who, since](std::shared_ptr<net::ws_connection> conn) {
                         return feed->subscribe(std::move(conn), who, since);
                       }};
                 }));
  add_dispatch_routes(routes, *access, pipeline, engine, wall_clock);
  routes.add_websocket(
      "/v1/crew/feed",
      guarded_ws(*access, {crew}, [&crews](const principal& who, const net::http_request& req) {
        return crews.accept(who, req);
      }));
  routes.add("GET", "/v1/reports/kpi",
             guarded(*access, {supervisor, admin}, kpi_report(engine, wall_clock)));
  add_voice_routes(routes, pipeline, engine, *routing, twilio,
                   voice_settings{.hold_message = config.voice().hold_message(),
                                  .danger_prompt = config.voice().danger_prompt(),
                                  .danger_digits = engine.config().queue.danger_digits,
                                  .queue_name = config.voice().queue_name(),
                                  .wait_url = config.voice().wait_url()},
                   wall_clock);
  add_sms_routes(routes, pipeline, engine, *routing, twilio,
                 sms_limits{.max_body_bytes = config.sms().max_body_bytes()}, wall_clock);
  const static_files web_console(web_console_files());
  add_web_console_routes(routes, web_console);
  add_ops_routes(routes, ops_sources{.writer = *writer,
                                     .pipeline = pipeline,
                                     .server = [&server] { return server.get(); },
                                     .draining = [&draining] { return draining; },
                                     .shift_log = &shift_log});

  const auto& s = config.server();
  const auto listen = split_listen(s.listen());
  try {
    server = std::make_unique<net::http_server>(
        loop, listen.host, listen.port,
        net::http_server_options{
            .max_body_bytes = s.max_body_bytes(),
            .max_header_bytes = s.max_header_bytes(),
            .read_timeout = std::chrono::milliseconds(s.read_timeout_ms()),
            .idle_timeout = std::chrono::milliseconds(s.idle_timeout_ms()),
            .max_connections = s.max_connections(),
            .tls = {.certificate_file = s.tls_certificate_file(),
                    .private_key_file = s.tls_private_key_file(),
                    .min_version = s.tls_min_version() == "1.3" ? net::tls_version::v1_3
                                                                : net::tls_version::v1_2},
            .websocket = {.max_queued_bytes = cc.feed_max_queued_bytes()}},
        routes);
  } catch (const std::exception& e) {
    log::error("cannot serve",
               {{"listen", std::string_view(s.listen())}, {"error", std::string_view(e.what())}});
    return exit_bad_config;
  }

  loop.on_shutdown_signal([&](int sig) {
    log::info("shutting down", {{"signal", sig}});
    draining = true;
    server->stop_accepting();
    pipeline.stop_timers();
    retention_timer.cancel();
    access->stop();
    sender.stop();
    connector.stop();
    // Commits everything already accepted; its completions are queued on
    // this loop ahead of the close below, so every accepted request is
    // answered before its connection closes.
    writer->stop();
    loop.post([&] { server->close_connections(); });
    loop.stop_signals();
  });

  access->start();
  sender.resume();
  connector.resume();
  log::info("listening", {{"host", std::string_view(listen.host)},
                          {"port", server->port()},
                          {"db", std::string_view(sc.path())},
                          {"pid", static_cast<std::int64_t>(getpid())}});
  loop.run();
  writer->stop();
  const auto projected = shift_log.events_projected();
  log::info("stopped",
            {{"events_applied", engine.stats().applied},
             {"shift_log_events", projected},
             {"shift_log_cpu_us_per_event", projected > 0 ? shift_log.cpu_seconds_projecting() *
                                                                1e6 / static_cast<double>(projected)
                                                          : 0.0}});
  return 0;
}

}  // namespace crisisline::app
