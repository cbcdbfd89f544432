#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "server_fixture.hpp"
#include "staff_session.hpp"

using namespace crisisline::test;
namespace json = boost::json;

namespace {

// Read-only look at the server's database, as an auditor would take.
class sqlite_probe {
 public:
  explicit sqlite_probe(const std::filesystem::path& db) {
    REQUIRE(sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~sqlite_probe() { sqlite3_close(db_); }
  sqlite_probe(const sqlite_probe&) = delete;
  sqlite_probe& operator=(const sqlite_probe&) = delete;

  std::int64_t count(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const auto n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  }

 private:
  sqlite3* db_ = nullptr;
};

struct route {
  std::string method;
  std::string target;
  std::vector<std::string> allowed;
  std::string body;
};

// Every route of serve.cpp with its role rule: the README's matrix.
std::vector<route> matrix() {
  const std::string batch = text_batch({"matrix"});
  const std::vector<std::string> live_state = {"nurse", "supervisor", "admin", "integration"};
  const std::vector<std::string> everyone = {"nurse", "supervisor", "crew", "admin", "integration"};
  return {
      {"POST", "/v1/events", {"integration", "admin"}, batch},
      {"GET", "/v1/queue", live_state, ""},
      {"GET", "/v1/nurses", live_state, ""},
      {"GET", "/v1/contacts/1", live_state, ""},
      {"GET", "/v1/incidents", live_state, ""},
      {"GET", "/v1/units", live_state, ""},
      {"GET", "/v1/reports/kpi?month=2024-05", {"supervisor", "admin"}, ""},
      {"GET", "/v1/me", everyone, ""},
      {"GET", "/v1/console/offers", {"nurse", "supervisor", "admin"}, ""},
      {"GET", "/v1/console/contacts", {"nurse", "supervisor", "admin"}, ""},
      {"GET", "/v1/handovers?for=me", {"nurse", "supervisor", "admin"}, ""},
      {"GET", "/v1/supervisor", {"supervisor", "admin"}, ""},
  };
}

const std::vector<std::string> staff_roles = {"nurse", "supervisor", "crew", "admin"};

void wait_until_refused(server_fixture& s, const std::string& token) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (call(s, "GET", "/v1/me", token).status != 401) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

namespace {

struct command_output {
  int exit_code = -1;
  std::string out;
  std::string err;
};

command_output run_command(const std::string& args, const std::filesystem::path& err_file) {
  const std::string cmd = std::string(CRISISLINE_BINARY) + " " + args + " 2>" + err_file.string();
  command_output r;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  while (auto n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream in(err_file);
  r.err.assign(std::istreambuf_iterator<char>(in), {});
  return r;
}

std::vector<json::object> json_lines(const std::string& text) {
  std::vector<json::object> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(json::parse(text.substr(start, nl - start)).as_object());
    start = nl + 1;
  }
  return out;
}

std::string console_batch(const std::string& id, const std::string& command_json) {
  return "{\"events\":[{\"source\":\"console\",\"sourceEventId\":\"" + id +
         "\",\"console\":{\"nurseId\":\"ada\"," + command_json + "}}]}";
}

}  // namespace

TEST_CASE("every route admits exactly its roles: the role x route matrix") {
  server_fixture s("console { session_refresh_ms: 50 }\n");
  std::map<std::string, std::string> tokens{{"integration", "test-token"}};
  for (const auto& role : staff_roles) {
    add_staff(s, role + "1", role);
    tokens[role] = token_of(s, role + "1");
  }
  // Contact 1 exists, so an admitted read is a 200, not a 404.
  REQUIRE(s.post_json("/v1/events", text_batch({"first"})).status == 200);

  add_staff(s, "leaver", "admin");
  const auto leaver = token_of(s, "leaver");
  REQUIRE(call(s, "GET", "/v1/queue", leaver).status == 200);
  REQUIRE(staff_cli(s.db(), "disable --username leaver") == 0);
  wait_until_refused(s, leaver);

  for (const auto& r : matrix()) {
    for (const auto& [role, token] : tokens) {
      const bool allowed = std::find(r.allowed.begin(), r.allowed.end(), role) != r.allowed.end();
      const auto res = call(s, r.method, r.target, token, r.body);
      INFO(r.method << " " << r.target << " as " << role << ": " << res.body);
      CHECK(res.status == (allowed ? 200 : 403));
      if (!allowed) {
        CHECK(json_of(res).at("error") == "forbidden");
        CHECK(json_of(res).at("detail").as_string().find(role) != std::string::npos);
      }
    }
    for (const auto& bad : {std::string(), std::string("not-a-token"), leaver}) {
      const auto res = call(s, r.method, r.target, bad, r.body);
      INFO(r.method << " " << r.target << " with token '" << bad << "': " << res.body);
      CHECK(res.status == 401);
      CHECK(json_of(res).at("error") == "unauthorized");
      CHECK(res.header("www-authenticate") == "Bearer");
    }
  }
  for (const auto* open : {"/healthz", "/readyz", "/metrics"}) {
    INFO(open);
    CHECK(s.get(open).status == 200);
  }
  // The disabled account cannot log in again either.
  CHECK(login(s, "leaver").status == 401);
}

TEST_CASE("an expired token is refused on every guarded route") {
  server_fixture s("console { session_ttl_seconds: 1 }\n");
  add_staff(s, "admin1", "admin");
  const auto login_response = login(s, "admin1");
  REQUIRE(login_response.status == 200);
  const auto token = std::string(json_of(login_response).at("token").as_string());
  CHECK(json_of(login_response).at("expires_in_seconds").as_int64() <= 1);
  CHECK(call(s, "GET", "/v1/me", token).status == 200);
  wait_until_refused(s, token);
  for (const auto& r : matrix()) {
    const auto res = call(s, r.method, r.target, token, r.body);
    INFO(r.target << ": " << res.body);
    CHECK(res.status == 401);
    CHECK(json_of(res).at("detail").as_string().find("expired") != std::string::npos);
  }
}

TEST_CASE("login gives a token that works until logout, and survives a restart") {
  server_fixture s;
  add_staff(s, "Nina", "nurse");
  const auto r = login(s, "NINA");
  REQUIRE(r.status == 200);
  const auto body = json_of(r);
  const auto token = std::string(body.at("token").as_string());
  CHECK(token.size() == 43);
  CHECK(body.at("user").at("id") == "nina");
  CHECK(body.at("user").at("role") == "nurse");
  CHECK(body.at("user").at("display_name") == "Test nurse");
  CHECK(body.at("expires_at").as_string().ends_with("Z"));
  // The default session lasts 12 h; the console counts down from this.
  CHECK(body.at("expires_in_seconds").as_int64() <= 12 * 3600);
  CHECK(body.at("expires_in_seconds").as_int64() > 12 * 3600 - 30);

  // Only the token's SHA-256 is stored.
  {
    sqlite_probe db(s.db());
    CHECK(db.count("SELECT count(*) FROM sessions") == 1);
    CHECK(db.count("SELECT count(*) FROM sessions WHERE instr(token_hash, '" + token + "') > 0") ==
          0);
    CHECK(db.count("SELECT count(*) FROM staff WHERE password_hash LIKE '$argon2id$%'") == 1);
  }

  const auto me = call(s, "GET", "/v1/me", token);
  REQUIRE(me.status == 200);
  CHECK(json_of(me).at("id") == "nina");
  CHECK(json_of(me).at("role") == "nurse");
  CHECK(json_of(me).at("expires_at") == body.at("expires_at"));
  CHECK(json_of(me).at("expires_in_seconds").as_int64() <=
        body.at("expires_in_seconds").as_int64());
  CHECK(json_of(me).at("expires_in_seconds").as_int64() > 12 * 3600 - 30);

  REQUIRE(s.restart().clean());
  CHECK(call(s, "GET", "/v1/me", token).status == 200);

  const auto out = call(s, "POST", "/v1/auth/logout", token);
  CHECK(out.status == 204);
  CHECK(call(s, "GET", "/v1/me", token).status == 401);
  REQUIRE(s.restart().clean());
  CHECK(call(s, "GET", "/v1/me", token).status == 401);
}

TEST_CASE("wrong passwords and unknown users get the same 401") {
  server_fixture s;
  add_staff(s, "nina", "nurse");
  const auto wrong = login(s, "nina", "not the password at all");
  CHECK(wrong.status == 401);
  CHECK(json_of(wrong).at("error") == "invalid_credentials");
  const auto unknown = login(s, "nobody");
  CHECK(unknown.status == 401);
  CHECK(json_of(unknown).at("detail") == json_of(wrong).at("detail"));
  CHECK(s.post_json("/v1/auth/login", "{\"username\":1}", "").status == 400);
  CHECK(s.post_json("/v1/auth/login", "not json", "").status == 400);
}

TEST_CASE("failed logins are throttled per user name, refusing even the right password") {
  server_fixture s("console { login_max_failures_per_user: 3 login_lockout_seconds: 120 }\n");
  add_staff(s, "nina", "nurse");
  add_staff(s, "sam", "supervisor");
  for (int i = 0; i < 3; ++i) CHECK(login(s, "nina", "wrong password!!").status == 401);
  const auto locked = login(s, "nina");
  CHECK(locked.status == 429);
  CHECK(json_of(locked).at("error") == "too_many_attempts");
  const auto retry = std::stoi(locked.header("retry-after"));
  CHECK(retry > 100);
  CHECK(retry <= 120);
  // Another user from the same address is not locked out.
  CHECK(login(s, "sam").status == 200);
}

TEST_CASE("failed logins are throttled per remote address across user names") {
  server_fixture s("console { login_max_failures_per_address: 3 login_lockout_seconds: 60 }\n");
  add_staff(s, "nina", "nurse");
  for (const auto* guess : {"a", "b", "c"}) CHECK(login(s, guess).status == 401);
  const auto locked = login(s, "nina");
  CHECK(locked.status == 429);
  CHECK(!locked.header("retry-after").empty());
}

TEST_CASE("staff CLI refuses short passwords, passwords on the command line and duplicates") {
  server_fixture s;
  CHECK(staff_cli(s.db(), "add --username nina --role nurse --display-name Nina --password-stdin",
                  "short") == 2);
  // Without --password-stdin and without a terminal there is no way to give one.
  CHECK(staff_cli(s.db(), "add --username nina --role nurse --display-name Nina") == 2);
  CHECK(staff_cli(s.db(),
                  "add --username nina --role matron --display-name Nina "
                  "--password-stdin",
                  "long enough password") == 2);
  add_staff(s, "nina", "nurse");
  CHECK(staff_cli(s.db(), "add --username nina --role nurse --display-name Nina --password-stdin",
                  "long enough password") == 1);
  CHECK(staff_cli(s.db(), "disable --username nobody") == 1);
  {
    const auto err = s.dir().path() / "list.err";
    const auto listed = run_command("staff list --db " + s.db().string(), err);
    REQUIRE(listed.exit_code == 0);
    const auto accounts = json_lines(listed.out);
    REQUIRE(accounts.size() == 1);
    CHECK(accounts[0].at("username") == "nina");
    CHECK(accounts[0].at("role") == "nurse");
    CHECK(accounts[0].at("disabled") == false);
    CHECK(listed.out.find("argon2") == std::string::npos);
  }

  const auto token = token_of(s, "nina");
  REQUIRE(staff_cli(s.db(), "reset-password --username nina --password-stdin",
                    "a brand new password") == 0);
  // A new password ends the old sessions; the new one logs in.
  wait_until_refused(s, token);
  CHECK(login(s, "nina").status == 401);
  CHECK(login(s, "nina", "a brand new password").status == 200);
}

TEST_CASE("events an admin posts carry the admin as a STAFF actor") {
  server_fixture s;
  add_staff(s, "ada", "admin");
  const auto token = token_of(s, "ada");
  REQUIRE(call(s, "POST", "/v1/events", token, text_batch({"by-admin"})).status == 200);
  REQUIRE(s.post_json("/v1/events", text_batch({"by-pbx"})).status == 200);
  const auto events = s.export_events();
  REQUIRE(events.size() == 2);
  const auto& a = events[0].at("event").at("actor").as_object();
  CHECK(a.at("kind") == "STAFF");
  CHECK(a.at("id") == "ada");
  CHECK(a.at("role") == "admin");
  CHECK(!a.at("session").as_string().empty());
  const auto& i = events[1].at("event").at("actor").as_object();
  CHECK(i.at("kind") == "INTEGRATION");
  CHECK(i.at("id") == "test");
}

TEST_CASE("every read of a contact, allowed, denied or missing, is audited before the answer") {
  server_fixture s("console { organisation: \"RX4 crisis line\" }\n");
  add_staff(s, "nina", "nurse");
  add_staff(s, "cal", "crew");
  const auto nurse = token_of(s, "nina");
  const auto crew = token_of(s, "cal");
  REQUIRE(s.post_json("/v1/events", text_batch({"t1"})).status == 200);

  http_headers reason{{"Authorization", "Bearer " + nurse},
                      {"X-Access-Reason", "caller rang back, safety check"}};
  REQUIRE(s.client().request("GET", "/v1/contacts/1", "", reason).status == 200);
  // The row is committed by the time the answer arrives.
  {
    sqlite_probe db(s.db());
    CHECK(db.count("SELECT count(*) FROM audit WHERE username = 'nina' AND record = 'contact:1' "
                   "AND action = 'read' AND outcome = 'allowed' AND role = 'nurse' AND "
                   "organisation = 'RX4 crisis line' AND reason = 'caller rang back, safety "
                   "check' AND session != ''") == 1);
  }
  CHECK(call(s, "GET", "/v1/contacts/1", crew).status == 403);
  CHECK(call(s, "GET", "/v1/contacts/99", nurse).status == 404);
  CHECK(s.client()
            .request("GET", "/v1/contacts/1", "", {{"Authorization", "Bearer test-token"}})
            .status == 200);
  // No principal, no row: 401s are not audited (they would let anyone fill the table).
  CHECK(call(s, "GET", "/v1/contacts/1", "").status == 401);

  sqlite_probe db(s.db());
  CHECK(db.count("SELECT count(*) FROM audit") == 4);
  CHECK(db.count("SELECT count(*) FROM audit WHERE username = 'cal' AND role = 'crew' AND "
                 "outcome = 'denied' AND record = 'contact:1'") == 1);
  CHECK(db.count("SELECT count(*) FROM audit WHERE outcome = 'not_found' AND "
                 "record = 'contact:99'") == 1);
  CHECK(db.count("SELECT count(*) FROM audit WHERE username = 'test' AND role = 'integration' "
                 "AND session = ''") == 1);
}

TEST_CASE("console commands are audited with their event, and a refusal with its reason") {
  server_fixture s;
  add_staff(s, "ada", "admin");
  const auto admin = token_of(s, "ada");
  REQUIRE(s.post_json("/v1/events", text_batch({"t1"})).status == 200);

  // Ada holds no offer for contact 1: the engine refuses, the command is still logged.
  const auto r =
      call(s, "POST", "/v1/events", admin, console_batch("c1", "\"accept\":{\"contactId\":\"1\"}"));
  REQUIRE(r.status == 200);
  const auto result = json_of(r).at("results").as_array().at(0).as_object();
  REQUIRE(result.contains("rejected"));
  const auto seq = std::stoll(std::string(result.at("seq").as_string()));
  // A redelivery changes nothing, in the audit table too.
  REQUIRE(
      call(s, "POST", "/v1/events", admin, console_batch("c1", "\"accept\":{\"contactId\":\"1\"}"))
          .status == 200);

  sqlite_probe db(s.db());
  CHECK(db.count("SELECT count(*) FROM audit") == 2);
  CHECK(db.count("SELECT count(*) FROM audit WHERE seq = 1 AND action = 'command:accept' AND "
                 "outcome = 'submitted' AND record = 'contact:1' AND event_seq = " +
                 std::to_string(seq)) == 1);
  CHECK(db.count("SELECT count(*) FROM audit WHERE seq = 2 AND action = 'command:accept' AND "
                 "outcome = 'rejected' AND reason = '" +
                 std::string(result.at("rejected").as_string()) + "'") == 1);
}

TEST_CASE("export audit prints the trail and verifies the chain, naming a tampered row") {
  server_fixture s;
  add_staff(s, "nina", "nurse");
  const auto nurse = token_of(s, "nina");
  REQUIRE(s.post_json("/v1/events", text_batch({"t1"})).status == 200);
  REQUIRE(call(s, "GET", "/v1/contacts/1", nurse).status == 200);
  REQUIRE(call(s, "GET", "/v1/contacts/2", nurse).status == 404);
  REQUIRE(call(s, "GET", "/v1/contacts/1", nurse).status == 200);
  const auto err = s.dir().path() / "export.err";

  // While the server runs.
  auto out = run_command("export audit --db " + s.db().string(), err);
  CHECK(out.exit_code == 0);
  CHECK(out.err.find("audit chain verified: 3 rows") != std::string::npos);
  const auto rows = json_lines(out.out);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1].at("seq") == 2);
  CHECK(rows[1].at("user") == "nina");
  CHECK(rows[1].at("record") == "contact:2");
  CHECK(rows[1].at("prev_hash") == rows[0].at("hash"));
  CHECK(rows[0].at("prev_hash").as_string() == std::string(64, '0'));

  out = run_command("export audit --format csv --db " + s.db().string(), err);
  CHECK(out.exit_code == 0);
  CHECK(out.out.starts_with("seq,at,user,role,organisation,session,record,action,outcome,"));
  CHECK(std::count(out.out.begin(), out.out.end(), '\n') == 4);

  REQUIRE(s.stop().clean());
  // A copy with the guard dropped, as someone covering their tracks would.
  const auto copy = s.dir().path() / "tampered.db";
  std::filesystem::copy_file(s.db(), copy);
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(copy.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "DROP TRIGGER audit_append_only_update;"
                         "UPDATE audit SET record = 'contact:1' WHERE seq = 2;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  out = run_command("export audit --db " + copy.string(), err);
  CHECK(out.exit_code == 3);
  CHECK(out.err.find("CHAIN BROKEN at row 2") != std::string::npos);
  // The original is intact.
  CHECK(run_command("export audit --db " + s.db().string(), err).exit_code == 0);
}
