#include "app/session_auth.hpp"

#include <boost/json.hpp>

#include "app/credentials.hpp"
#include "log/log.hpp"
#include "store/schema.hpp"
#include "store/staff.hpp"

namespace crisisline::app {
namespace json = boost::json;
namespace {

std::int64_t micros(core::timestamp t) {
  return t.time_since_epoch().count();
}

std::string iso8601(core::timestamp t) {
  std::string out;
  log::append_utc(out, t);
  return out;
}

net::http_response unauthorized(std::string_view detail) {
  auto r = net::http_response::error(401, "unauthorized", detail);
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

// Whole seconds left, never negative: a client counts down from this rather
// than from expires_at, so a wrong clock on the client does not matter.
std::int64_t seconds_until(core::timestamp expires, core::timestamp now) {
  if (expires <= now) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(expires - now).count();
}

net::http_response json_body(int status, const json::value& v) {
  net::http_response r;
  r.status = status;
  r.body = json::serialize(v);
  return r;
}

// "Bearer <token>" from the header; for a WebSocket upgrade, which a browser
// cannot give headers, the access_token query parameter.
std::string_view presented_token(const net::http_request& req) {
  const auto header = req.header("authorization");
  constexpr std::string_view scheme = "bearer ";
  if (header.size() > scheme.size()) {
    bool match = true;
    for (std::size_t i = 0; i < scheme.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(header[i])) != scheme[i]) match = false;
    }
    if (match) return header.substr(scheme.size());
  }
  if (!header.empty()) return {};
  auto upgrade = std::string(req.header("upgrade"));
  for (auto& c : upgrade) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (upgrade == "websocket") return req.query_param("access_token");
  return {};
}

struct login_outcome {
  enum class kind { ok, bad_credentials, disabled, failed } result = kind::failed;
  std::string token;
  std::string digest;
  std::int64_t session_id = 0;
  store::staff_account account;
};

std::optional<std::string> string_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

}  // namespace

session_auth::session_auth(net::io_loop& loop, const std::filesystem::path& db,
                           const bearer_auth& integrations, session_settings settings,
                           clock_fn clock)
    : loop_(loop),
      integrations_(integrations),
      settings_(settings),
      clock_(std::move(clock)),
      throttle_(settings.throttle),
      db_(std::make_unique<store::connection>(db)),
      refresh_timer_(loop),
      worker_(settings.max_pending_logins) {
  init_credentials();
  store::configure_connection(*db_);
  set_sessions(load_live(clock_()));
  (void)worker_.submit([] { prepare_dummy_hash(); });
}

session_auth::~session_auth() {
  stop();
}

session_auth::cache session_auth::load_live(core::timestamp now) {
  cache out;
  for (auto& s : store::live_sessions(*db_, micros(now))) {
    const auto role = parse_role(s.role);
    if (!role) continue;
    out.emplace(std::move(s.token_hash),
                live{.session = std::to_string(s.id),
                     .username = std::move(s.username),
                     .display_name = std::move(s.display_name),
                     .role = *role,
                     .expires_at = core::timestamp(core::duration(s.expires_at_us))});
  }
  return out;
}

std::variant<principal, net::http_response> session_auth::authenticate(
    const net::http_request& req) const {
  const auto token = presented_token(req);
  if (token.empty()) {
    return unauthorized("a bearer token is required: log in with POST /v1/auth/login");
  }
  if (auto name = integrations_.check("Bearer " + std::string(token))) {
    return principal{
        .id = *name, .role = staff_role::integration, .session = {}, .display_name = *name};
  }
  const auto it = sessions_.find(token_digest(token));
  if (it == sessions_.end()) {
    return unauthorized("the token is not valid: it was never issued, or was revoked");
  }
  const auto& s = it->second;
  if (s.expires_at <= clock_()) return unauthorized("the session has expired: log in again");
  return principal{
      .id = s.username, .role = s.role, .session = s.session, .display_name = s.display_name};
}

void session_auth::add_routes(net::router& r) {
  r.add("POST", "/v1/auth/login", [this](net::http_request&& req, net::responder respond) {
    login(std::move(req), std::move(respond));
  });
  const std::vector<staff_role> everyone = {staff_role::nurse, staff_role::supervisor,
                                            staff_role::crew, staff_role::admin,
                                            staff_role::integration};
  r.add("POST", "/v1/auth/logout",
        guarded(*this, everyone,
                [this](const principal& who, net::http_request&&, net::responder respond) {
                  logout(who, std::move(respond));
                }));
  r.add("GET", "/v1/me",
        guarded(*this, everyone,
                [this](const principal& who, net::http_request&&, net::responder respond) {
                  json::value expires = nullptr;
                  json::value expires_in = nullptr;
                  if (const auto at = expiry_of(who.session)) {
                    expires = json::value(iso8601(*at));
                    expires_in = seconds_until(*at, clock_());
                  }
                  json::object me{{"id", who.id},
                                  {"role", role_name(who.role)},
                                  {"display_name", who.display_name},
                                  {"session", who.session},
                                  {"expires_at", expires},
                                  {"expires_in_seconds", expires_in}};
                  if (me_fields_) me_fields_(who, me);
                  respond(json_body(200, me));
                }));
}

void session_auth::login(net::http_request&& req, net::responder respond) {
  boost::system::error_code ec;
  auto parsed = json::parse(req.body, ec);
  wipe_secret(req.body);
  if (ec || !parsed.is_object()) {
    return respond(net::http_response::error(
        400, "invalid_body", "expected a JSON object {\"username\", \"password\"}"));
  }
  const auto name = string_field(parsed.as_object(), "username");
  auto password = string_field(parsed.as_object(), "password");
  if (!name || !password) {
    return respond(net::http_response::error(400, "invalid_body",
                                             "both \"username\" and \"password\" must be strings"));
  }
  if (password->size() > 1024) {
    return respond(
        net::http_response::error(400, "invalid_body", "the password is longer than 1024 bytes"));
  }
  const auto now = clock_();
  // A name that cannot exist still counts against the address, and is
  // throttled under its own spelling so garbage cannot fill the user table.
  const auto user = normalize_username(*name).value_or(name->substr(0, 64));
  const auto& address = req.remote_address;
  if (const auto wait = throttle_.refused(user, address, now)) {
    log::warn("login throttled", {{"address", std::string_view(address)}});
    auto r = net::http_response::error(
        429, "too_many_attempts",
        "too many failed logins for this user name or address; try again later");
    r.headers.emplace_back("Retry-After", std::to_string(wait->count()));
    return respond(std::move(r));
  }
  throttle_.started(user, address, now);
  const auto ttl = settings_.ttl;
  const bool queued = worker_.submit([this, user, address, password = std::move(*password), now,
                                      ttl, respond]() mutable {
    login_outcome out;
    try {
      auto account = store::find_staff(*db_, user);
      if (!account) {
        verify_against_dummy(password);
        out.result = login_outcome::kind::bad_credentials;
      } else if (!verify_password(password, account->password_hash)) {
        out.result = login_outcome::kind::bad_credentials;
      } else if (account->disabled) {
        out.result = login_outcome::kind::disabled;
      } else {
        out.token = new_token();
        out.digest = token_digest(out.token);
        out.session_id = store::insert_session(*db_, out.digest, account->username, micros(now),
                                               micros(now + ttl));
        out.account = std::move(*account);
        out.result = login_outcome::kind::ok;
      }
    } catch (const std::exception& e) {
      log::error("login failed", {{"error", std::string_view(e.what())}});
      out.result = login_outcome::kind::failed;
    }
    wipe_secret(password);
    loop_.post([this, user, address, now, ttl, out = std::move(out), respond]() mutable {
      using kind = login_outcome::kind;
      switch (out.result) {
        case kind::bad_credentials:
          throttle_.failed(user, address, clock_());
          log::info("login refused", {{"reason", "bad credentials"}});
          return respond(net::http_response::error(401, "invalid_credentials",
                                                   "the user name or password is wrong"));
        case kind::disabled:
          throttle_.failed(user, address, clock_());
          log::info("login refused", {{"reason", "account disabled"}});
          return respond(net::http_response::error(
              401, "invalid_credentials", "this account is disabled; ask an administrator"));
        case kind::failed:
          throttle_.abandoned(user, address);
          return respond(net::http_response::error(503, "unavailable",
                                                   "the login could not be recorded; try again"));
        case kind::ok:
          break;
      }
      throttle_.succeeded(user, address);
      const auto role = parse_role(out.account.role).value_or(staff_role::nurse);
      const auto expires = now + ttl;
      sessions_[out.digest] = live{.session = std::to_string(out.session_id),
                                   .username = out.account.username,
                                   .display_name = out.account.display_name,
                                   .role = role,
                                   .expires_at = expires};
      expiry_by_session_[std::to_string(out.session_id)] = expires;
      log::info("logged in", {{"user", std::string_view(out.account.username)},
                              {"role", role_name(role)},
                              {"session", out.session_id}});
      respond(json_body(200, json::object{{"token", out.token},
                                          {"expires_at", iso8601(expires)},
                                          {"expires_in_seconds", seconds_until(expires, clock_())},
                                          {"user", json::object{
                                                       {"id", out.account.username},
                                                       {"role", role_name(role)},
                                                       {"display_name", out.account.display_name},
                                                   }}}));
    });
  });
  if (!queued) {
    throttle_.abandoned(user, address);
    auto r = net::http_response::error(503, "busy", "too many logins are waiting; try again");
    r.headers.emplace_back("Retry-After", "1");
    respond(std::move(r));
  }
}

void session_auth::logout(const principal& who, net::responder respond) {
  if (who.session.empty()) {
    return respond(net::http_response::error(400, "not_a_session",
                                             "integration tokens are configured, not logged in"));
  }
  const auto id = std::stoll(who.session);
  const auto now = clock_();
  const bool queued = worker_.submit([this, id, now, session = who.session, respond] {
    bool ok = true;
    try {
      store::revoke_session(*db_, id, micros(now));
    } catch (const std::exception& e) {
      log::error("logout failed", {{"error", std::string_view(e.what())}});
      ok = false;
    }
    loop_.post([this, ok, session, respond] {
      if (!ok) {
        return respond(net::http_response::error(503, "unavailable",
                                                 "the logout could not be recorded; try again"));
      }
      std::erase_if(sessions_, [&](const auto& kv) { return kv.second.session == session; });
      expiry_by_session_.erase(session);
      net::http_response r;
      r.status = 204;
      r.content_type.clear();
      respond(std::move(r));
      if (sessions_changed_) sessions_changed_();
    });
  });
  if (!queued) {
    auto r = net::http_response::error(503, "busy", "the server is busy; try again");
    r.headers.emplace_back("Retry-After", "1");
    respond(std::move(r));
  }
}

bool session_auth::signed_in(const principal& who) const {
  if (who.session.empty()) return true;
  const auto at = expiry_of(who.session);
  return at && *at > clock_();
}

std::optional<core::timestamp> session_auth::expiry_of(const std::string& id) const {
  const auto it = expiry_by_session_.find(id);
  if (it == expiry_by_session_.end()) return std::nullopt;
  return it->second;
}

void session_auth::set_sessions(cache fresh) {
  sessions_ = std::move(fresh);
  expiry_by_session_.clear();
  for (const auto& [digest, s] : sessions_) expiry_by_session_[s.session] = s.expires_at;
}

void session_auth::start() {
  schedule_refresh();
}

void session_auth::schedule_refresh() {
  if (stopped_) return;
  refresh_timer_.arm(settings_.refresh_interval, [this] {
    if (stopped_) return;
    if (!refresh_in_flight_) {
      refresh_in_flight_ = worker_.submit([this] {
        std::optional<cache> fresh;
        try {
          fresh = load_live(clock_());
        } catch (const std::exception& e) {
          // Keep serving the sessions we have; the next refresh tries again.
          log::warn("session refresh failed", {{"error", std::string_view(e.what())}});
        }
        loop_.post([this, fresh = std::move(fresh)]() mutable {
          refresh_in_flight_ = false;
          if (!fresh) return;
          set_sessions(std::move(*fresh));
          if (sessions_changed_) sessions_changed_();
        });
      });
    }
    schedule_refresh();
  });
}

void session_auth::stop() {
  stopped_ = true;
  refresh_timer_.cancel();
  worker_.stop();
}

}  // namespace crisisline::app
