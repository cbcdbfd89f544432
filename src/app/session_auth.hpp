#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "app/access.hpp"
#include "app/bearer_auth.hpp"
#include "app/blocking_worker.hpp"
#include "app/login_throttle.hpp"
#include "core/time.hpp"

#include <boost/json/object.hpp>
#include "net/io_loop.hpp"
#include "net/router.hpp"
#include "store/database.hpp"

namespace crisisline::app {

struct session_settings {
  std::chrono::seconds ttl{12 * 3600};
  throttle_settings throttle;
  std::size_t max_pending_logins = 64;
  // How often sessions and accounts are re-read from the database, so a
  // `crisisline staff disable` run by another process takes effect.
  std::chrono::milliseconds refresh_interval{1000};
};

// Staff logins and the authenticator every guarded route uses.
//
//   POST /v1/auth/login   {"username","password"}
//                         -> 200 {"token","expires_at","expires_in_seconds","user":{...}}
//                         401 invalid_credentials, 429 too_many_attempts + Retry-After,
//                         503 busy + Retry-After when too many logins wait
//   POST /v1/auth/logout  -> 204, the token is revoked (staff sessions only)
//   GET  /v1/me           -> {"id","role","display_name","session","expires_at",
//                              "expires_in_seconds"} (both null for an integration token)
//
// Tokens are 256 random bits handed out once; the database keeps only their
// SHA-256 with an expiry, so sessions survive a restart. Password checks and
// session writes run on a worker thread with its own connection; the io
// thread answers authenticate() from an in-memory copy of the live sessions,
// refreshed from the database every refresh_interval (which is how disabling
// an account or resetting its password ends its sessions within that time).
//
// Integration tokens from the configuration authenticate as role integration.
// Everything except the constructor, stop() and the destructor runs on the io
// thread.
class session_auth final : public authenticator {
 public:
  using clock_fn = std::function<core::timestamp()>;
  // Opens its own connection to the (already migrated) database and loads the
  // live sessions. Throws store::error if the database cannot be read.
  session_auth(net::io_loop& loop, const std::filesystem::path& db, const bearer_auth& integrations,
               session_settings settings, clock_fn clock);
  ~session_auth() override;
  session_auth(const session_auth&) = delete;
  session_auth& operator=(const session_auth&) = delete;

  [[nodiscard]] std::variant<principal, net::http_response> authenticate(
      const net::http_request& req) const override;

  void add_routes(net::router& r);
  // Adds fields to GET /v1/me (the console's shift and nurse state).
  void on_me(std::function<void(const principal& who, boost::json::object& me)> fn) {
    me_fields_ = std::move(fn);
  }
  // Whether `who` is still signed in as of the latest refresh: the session was
  // not revoked, has not expired and its account is not disabled. Principals
  // without a session (integration tokens) always are.
  [[nodiscard]] bool signed_in(const principal& who) const;
  // Runs on the io thread after every refresh and logout, so whoever holds
  // open WebSockets can close those of sessions that ended.
  void on_sessions_changed(std::function<void()> fn) { sessions_changed_ = std::move(fn); }
  // Starts the periodic refresh.
  void start();
  // Stops the refresh and the worker (finishing queued jobs). Idempotent.
  void stop();

 private:
  struct live {
    std::string session;
    std::string username;
    std::string display_name;
    staff_role role = staff_role::nurse;
    core::timestamp expires_at{};
  };
  using cache = std::unordered_map<std::string, live>;

  void login(net::http_request&& req, net::responder respond);
  void logout(const principal& who, net::responder respond);
  void schedule_refresh();
  [[nodiscard]] cache load_live(core::timestamp now);
  // Replaces the live sessions and their index by session id.
  void set_sessions(cache fresh);
  // When session `id` ends; nullopt when it is not live (or `id` is empty).
  [[nodiscard]] std::optional<core::timestamp> expiry_of(const std::string& id) const;

  net::io_loop& loop_;
  const bearer_auth& integrations_;
  session_settings settings_;
  clock_fn clock_;
  login_throttle throttle_;
  // Used only on the worker thread once the constructor returns.
  std::unique_ptr<store::connection> db_;
  // Keyed by SHA-256 of the token.
  cache sessions_;
  // Session id -> expiry, for the same sessions: checking an open feed or
  // answering /v1/me needs no scan.
  std::unordered_map<std::string, core::timestamp> expiry_by_session_;
  net::timer refresh_timer_;
  bool refresh_in_flight_ = false;
  std::function<void(const principal&, boost::json::object&)> me_fields_;
  std::function<void()> sessions_changed_;
  bool stopped_ = false;
  // Last: joins before the members its jobs use are destroyed.
  blocking_worker worker_;
};

}  // namespace crisisline::app
