#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <thread>

#include "../store/temp_db.hpp"
#include "app/report_replay.hpp"
#include "app/retention.hpp"
#include "app/shift_log_projection.hpp"
#include "codec/event_codec.hpp"
#include "scripted_log.hpp"
#include "server_process.hpp"
#include "store/database.hpp"

using crisisline::app::shift_log_projection;
using crisisline::report_test::scripted_log;
namespace app = crisisline::app;
namespace codec = crisisline::codec;
namespace core = crisisline::core;
namespace store = crisisline::store;
namespace v1 = crisisline::v1;

namespace {

constexpr std::string_view secret = "retention-test-secret";

core::settings server_settings() {
  return std::get<core::settings>(app::replay_settings(std::nullopt));
}

core::timestamp utc(std::string_view iso) {
  return app::parse_utc(iso).value();
}

std::uint64_t text(scripted_log& log, const std::string& id, const std::string& from,
                   const std::string& body, v1::OptKeyword opt = v1::OPT_KEYWORD_NONE) {
  return log.custom("sms", [&](v1::Event& e) {
    auto* t = e.mutable_keyword_text()->mutable_text();
    t->set_message_id(id);
    t->set_from(from);
    t->set_to("85258");
    t->set_body(body);
    t->set_opt_keyword(opt);
    e.mutable_keyword_text()->set_keyword("NORTH");
    e.mutable_keyword_text()->set_area("north");
  });
}

// 2024-05-01 (default configuration: 30 s offers, 60 s wrap-up):
//   contact 1  text from ...111 with a means-and-dose risk signal, answered by
//              amy, who replies (accepted by the provider); a second text joins
//              it; closed 09:03
//   contact 8  call from ...222, abandoned at 09:10:40; callback 9 made by amy,
//              closed 09:12
//   contact 12 text from ...444 whose second text is STOP; closed 09:21: its
//              number must stay (the opt-out list replays from it)
//   contact 15 text from ...333 at 10:00, still open
// A purge before 09:30 takes contacts 1, 8 and 9 and nothing else.
void scripted(scripted_log& log) {
  log.at("2024-05-01T09:00:00Z");
  text(log, "SM1", "+447700900111", "I took 800mg paracetamol an hour ago");
  log.at("2024-05-01T09:00:10Z");
  log.sign_on("amy");
  log.at("2024-05-01T09:00:15Z");
  log.accept("amy", 1);
  log.at("2024-05-01T09:01:00Z");
  log.console("amy", [](v1::ConsoleCommand& c) {
    c.mutable_reply()->set_contact_id(1);
    c.mutable_reply()->set_body("Are you safe right now? I am here with you.");
  });
  log.at("2024-05-01T09:01:05Z");
  log.custom("system", [](v1::Event& e) {
    e.clear_source_event_id();
    e.mutable_outbound_result()->set_outbound_id(4);
    e.mutable_outbound_result()->set_outcome(v1::OutboundTextResult::ACCEPTED);
    e.mutable_outbound_result()->set_provider_message_id("SMout4");
    e.mutable_outbound_result()->set_attempt(1);
  });
  log.at("2024-05-01T09:02:00Z");
  text(log, "SM6", "+447700900111", "thank you for listening");
  log.at("2024-05-01T09:03:00Z");
  log.close("amy", 1, "02");
  log.at("2024-05-01T09:10:00Z");
  log.call("CA1", v1::CALL_OFFERED, v1::LOCAL_LINE, "north", "+447700900222");
  log.at("2024-05-01T09:10:40Z");
  log.call("CA1", v1::CALL_ABANDONED);
  log.at("2024-05-01T09:10:50Z");
  log.accept("amy", 9);
  log.at("2024-05-01T09:12:00Z");
  log.close("amy", 9, "01");
  log.at("2024-05-01T09:20:00Z");
  text(log, "SM12", "+447700900444", "hello is anyone there");
  log.at("2024-05-01T09:20:20Z");
  log.accept("amy", 12);
  log.at("2024-05-01T09:20:30Z");
  text(log, "SM14", "+447700900444", "STOP", v1::OPT_OUT);
  log.at("2024-05-01T09:21:00Z");
  log.close("amy", 12, "98");
  log.at("2024-05-01T10:00:00Z");
  text(log, "SM15", "+447700900333", "I have ibuprofen in my hand");
}

std::string file_bytes(const std::filesystem::path& p) {
  if (!std::filesystem::exists(p)) return {};
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("replay gives the same state before and after a purge, and the purged bytes are gone") {
  temp_db db;
  temp_db before_purge;
  scripted_log log(db.path());
  scripted(log);
  {
    shift_log_projection projection(server_settings());
    log.commit(&projection);
  }
  std::filesystem::copy_file(db.path(), before_purge.path());

  // Planned as the server's timer plans it, from the live state.
  core::engine live(server_settings());
  (void)app::replay_into(db.path(), live);
  const core::timestamp cutoff = utc("2024-05-01T09:30:00Z");
  const auto ids = live.purgeable(cutoff);
  CHECK(ids == std::vector<core::contact_id>{core::contact_id{1}, core::contact_id{8},
                                             core::contact_id{9}});
  auto planned = app::plan_retention_purge(live, cutoff, secret);
  REQUIRE(planned.has_value());
  CHECK(planned->retention_purge().counts().contacts() == 3);

  log.at("2024-05-02T00:00:00Z");
  const std::uint64_t purge_seq = log.prepared(*planned);
  shift_log_projection projection(server_settings());
  log.commit(&projection);
  // The texts and reply of contact 1 and the offered call of contact 8 (the
  // hang-up and the accepts carry no number or body).
  CHECK(projection.last_purge().contacts == 3);
  CHECK(projection.last_purge().events_rewritten == 4);

  // Live: the state before the purge, then the purge applied in memory.
  core::event purge_event = codec::to_core(log.event(purge_seq));
  purge_event.seq = purge_seq;
  core::engine before(server_settings());
  (void)app::replay_into(before_purge.path(), before);
  (void)before.apply(purge_event);
  // Replay of the rewritten log.
  core::engine after(server_settings());
  (void)app::replay_into(db.path(), after);
  CHECK(before.dump() == after.dump());
  CHECK(before.digest() == after.digest());

  const core::contact& c1 = *after.find_contact(core::contact_id{1});
  CHECK(c1.purged);
  CHECK(c1.from != "+447700900111");
  CHECK(c1.from.size() == 64);
  // The risk rules the body fired, and the band they set, survive the body.
  CHECK(c1.risk_rules == before.find_contact(core::contact_id{1})->risk_rules);
  CHECK_FALSE(c1.risk_rules.empty());
  CHECK(c1.replies.at(0).body == core::purged_body);
  // Callback 9 still links to the same (hashed) number as its call.
  CHECK(after.find_contact(core::contact_id{9})->from ==
        after.find_contact(core::contact_id{8})->from);
  CHECK_FALSE(after.find_contact(core::contact_id{12})->purged);
  CHECK(after.outbox().opted_out("+447700900444"));

  {
    store::connection c(db.path(), store::connection::mode::read_only);
    CHECK(c.query_int("SELECT COUNT(*) FROM events WHERE purged = 1") == 4);
    CHECK(c.query_int("SELECT COUNT(*) FROM events WHERE purged = 1 AND seq IN (1, 4, 6, 8)") == 4);
    store::statement st(c, "SELECT payload FROM events WHERE seq = 1");
    REQUIRE(st.step());
    v1::Event e;
    REQUIRE(e.ParseFromArray(st.column_blob(0).data(), static_cast<int>(st.column_blob(0).size())));
    const auto& t = e.keyword_text().text();
    CHECK(t.body_purged());
    CHECK(t.body() == core::purged_body);
    CHECK(t.from() == c1.from);
    CHECK(t.purged_risk_rules_size() > 0);
    CHECK(t.purged_risk_band() != v1::TRIAGE_UNSPECIFIED);
  }

  // Nothing purged is left anywhere in the file (secure_delete, and the WAL
  // truncated when the writer stopped); what was kept still is.
  const std::string bytes = file_bytes(db.path()) + file_bytes(db.path().string() + "-wal");
  for (const char* gone : {"+447700900111", "800mg", "paracetamol an hour", "Are you safe",
                           "thank you for listening", "+447700900222"}) {
    INFO(gone);
    CHECK(bytes.find(gone) == std::string::npos);
  }
  for (const char* kept : {"+447700900333", "I have ibuprofen", "+447700900444"}) {
    INFO(kept);
    CHECK(bytes.find(kept) != std::string::npos);
  }
}

TEST_CASE("a second purge with the same cutoff finds nothing, and replay still agrees") {
  temp_db db;
  scripted_log log(db.path());
  scripted(log);
  core::engine live(server_settings());
  log.commit();
  (void)app::replay_into(db.path(), live);
  const core::timestamp cutoff = utc("2024-05-01T09:30:00Z");
  log.at("2024-05-02T00:00:00Z");
  const auto first = log.prepared(*app::plan_retention_purge(live, cutoff, secret));
  // Planned again from the same (stale) state: the engine skips contacts
  // already purged, so the second event changes nothing.
  const auto second = log.prepared(*app::plan_retention_purge(live, cutoff, secret));
  shift_log_projection projection(server_settings());
  log.commit(&projection);
  CHECK(projection.last_purge().events_rewritten == 0);
  CHECK(second == first + 1);

  core::engine after(server_settings());
  (void)app::replay_into(db.path(), after);
  CHECK(after.purgeable(cutoff).empty());
  CHECK_FALSE(app::plan_retention_purge(after, cutoff, secret).has_value());
}

TEST_CASE("retention needs a sender key secret") {
  v1::Config config;
  CHECK_FALSE(app::retention_problem(config).has_value());
  config.mutable_retention()->set_keep_days(30);
  REQUIRE(app::retention_problem(config).has_value());
  CHECK(app::retention_problem(config)->find("sender_key_secret") != std::string::npos);
  config.set_sender_key_secret("s3cret");
  CHECK_FALSE(app::retention_problem(config).has_value());
}

namespace {

struct purged_db {
  std::int64_t purge_events = 0;
  std::int64_t tombstones = 0;
};

purged_db read_purges(const std::filesystem::path& db) {
  store::connection c(db, store::connection::mode::read_only);
  return {c.query_int("SELECT COUNT(*) FROM events WHERE kind = 'retention_purge'"),
          c.query_int("SELECT COUNT(*) FROM events WHERE purged = 1")};
}

// A stopped server's database holding the scripted log, and a configuration
// with the sender key secret and `extra`.
struct stopped_server {
  temp_db db;
  std::filesystem::path dir = db.path().parent_path();
  std::filesystem::path config = dir / "crisisline.textproto";

  explicit stopped_server(const std::string& extra = "") {
    scripted_log log(db.path());
    scripted(log);
    log.commit();
    crisisline::test::write_config(
        config,
        {.db_path = db.path(), .extra = "sender_key_secret: \"retention-test-secret\"\n" + extra});
  }
};

}  // namespace

TEST_CASE("crisisline purge rewrites a stopped server's log and says what it did") {
  const stopped_server s;
  const auto& db = s.db;
  const auto& dir = s.dir;
  const auto& config = s.config;

  const auto no_secret = crisisline::report_test::run_binary(
      {"purge", "--db", db.path().string(), "--older-than", "30"}, dir);
  CHECK(no_secret.exit_code == 2);
  CHECK(no_secret.err.find("sender_key_secret") != std::string::npos);
  CHECK(read_purges(db.path()).purge_events == 0);

  const auto r = crisisline::report_test::run_binary(
      {"purge", "--db", db.path().string(), "--older-than", "30", "--config", config.string()},
      dir);
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("purged 3 contacts closed before") != std::string::npos);
  CHECK(r.out.find("4 events rewritten") != std::string::npos);
  CHECK(read_purges(db.path()).purge_events == 1);
  CHECK(read_purges(db.path()).tombstones == 4);

  // Nothing is old enough any more.
  const auto again = crisisline::report_test::run_binary(
      {"purge", "--db", db.path().string(), "--older-than", "30", "--config", config.string()},
      dir);
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("nothing to purge") != std::string::npos);
  CHECK(read_purges(db.path()).purge_events == 1);
}

TEST_CASE("the server purges on its own timer, through the event log") {
  const stopped_server s("retention { keep_days: 30 }\n");
  const auto& db = s.db;
  const auto& dir = s.dir;
  const auto& config = s.config;
  auto server = crisisline::test::server_process::start(
      {.binary = CRISISLINE_BINARY,
       .args = {"serve", "--config", config.string(), "--listen", "127.0.0.1:0"},
       .log_file = dir / "server.log"});
  // The first check runs a second after start; allow a loaded machine 20 s.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (read_purges(db.path()).purge_events == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  const auto stopped = server.stop();
  INFO(server.log_tail());
  CHECK(stopped.clean());
  const auto purges = read_purges(db.path());
  CHECK(purges.purge_events == 1);
  CHECK(purges.tombstones == 4);
  CHECK(server.log().find("\"msg\":\"retention purge\",\"contacts\":3") != std::string::npos);

  // A restart recovers the purged log and finds nothing more to purge.
  auto restarted = crisisline::test::server_process::start(
      {.binary = CRISISLINE_BINARY,
       .args = {"serve", "--config", config.string(), "--listen", "127.0.0.1:0"},
       .log_file = dir / "server2.log"});
  // Past the first retention check (one second after start), which must find nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds{1500});
  CHECK(restarted.stop().clean());
  CHECK(read_purges(db.path()).purge_events == 1);
  const std::string bytes = file_bytes(db.path()) + file_bytes(db.path().string() + "-wal");
  CHECK(bytes.find("+447700900111") == std::string::npos);
  CHECK(bytes.find("800mg") == std::string::npos);
}
