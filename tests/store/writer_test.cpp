#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "store/audit.hpp"
#include "store/database.hpp"
#include "store/event_reader.hpp"
#include "store/schema.hpp"
#include "store/tombstone.hpp"
#include "store/writer.hpp"
#include "temp_db.hpp"

using namespace crisisline::store;
using namespace std::chrono_literals;

namespace {

// Stands in for the io thread: completions are queued here and run by the test.
class fake_io {
 public:
  void post(std::function<void()> fn) {
    {
      std::lock_guard lock(m_);
      q_.push_back(std::move(fn));
    }
    cv_.notify_all();
  }
  // Runs completions until `n` have run; fails the test after 10 s.
  void run(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      std::function<void()> fn;
      {
        std::unique_lock lock(m_);
        REQUIRE(cv_.wait_for(lock, 10s, [this] { return !q_.empty(); }));
        fn = std::move(q_.front());
        q_.pop_front();
      }
      fn();
    }
  }
  writer::deliver_fn deliver() {
    return [this](std::function<void()> fn) { post(std::move(fn)); };
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
};

event_record record(std::string source_event_id, std::string payload = "p") {
  return event_record{.recorded_at_us = 1'000,
                      .kind = "text",
                      .source = "test",
                      .source_event_id = std::move(source_event_id),
                      .actor = "integration:test",
                      .payload = std::move(payload)};
}

writer::fatal_fn fail_test() {
  return [](const std::string& what) { FAIL("unexpected fatal: " << what); };
}

}  // namespace

TEST_CASE("a new database is migrated to the current schema version, once") {
  temp_db tmp;
  {
    connection c(tmp.path());
    configure_connection(c);
    migrate(c);
    CHECK(c.query_int("PRAGMA user_version") == schema_version);
    CHECK(c.query_int("SELECT count(*) FROM events") == 0);
    migrate(c);  // a second run is a no-op, not a "table exists" error
    CHECK(c.query_int("PRAGMA user_version") == schema_version);
  }
  // WAL is a property of the file: a new connection sees it without asking.
  connection c(tmp.path());
  statement st(c, "PRAGMA journal_mode");
  REQUIRE(st.step());
  CHECK(st.column_text(0) == "wal");
}

TEST_CASE("a database from a newer build is refused rather than misread") {
  temp_db tmp;
  {
    connection c(tmp.path());
    c.exec("PRAGMA user_version=99");
  }
  connection c(tmp.path());
  CHECK_THROWS_WITH(migrate(c), Catch::Contains("newer than this build"));
}

TEST_CASE("the events table is append-only") {
  temp_db tmp;
  connection c(tmp.path());
  configure_connection(c);
  migrate(c);
  c.exec(
      "INSERT INTO events(recorded_at, kind, source, source_event_id, actor, payload) "
      "VALUES(1, 'text', 's', 'a', 'x', x'00')");
  CHECK_THROWS_WITH(c.exec("UPDATE events SET kind = 'call'"), Catch::Contains("append-only"));
  CHECK_THROWS_WITH(c.exec("DELETE FROM events"), Catch::Contains("append-only"));
}

TEST_CASE("the only change the log allows is one tombstone per event, rewriting its payload") {
  temp_db tmp;
  connection c(tmp.path());
  configure_connection(c);
  migrate(c);
  c.exec(
      "INSERT INTO events(recorded_at, kind, source, source_event_id, actor, payload) "
      "VALUES(1, 'text', 's', 'a', 'x', x'01'), (2, 'text', 's', 'b', 'x', x'02')");
  const auto payload_of = [&](int seq) {
    statement st(c, "SELECT payload, purged FROM events WHERE seq = ?1");
    st.bind(1, std::int64_t{seq});
    REQUIRE(st.step());
    return std::string(st.column_blob(0)) + "/" + std::to_string(st.column_int(1));
  };

  SECTION("a tombstone rewrites the payload and marks the row, once") {
    tombstone(c, 1, "purged");
    CHECK(payload_of(1) == "purged/1");
    CHECK(payload_of(2) == std::string("\x02") + "/0");
    CHECK_THROWS_WITH(tombstone(c, 1, "again"), Catch::Contains("already purged"));
    CHECK_THROWS_WITH(tombstone(c, 9, "x"), Catch::Contains("does not exist"));
    CHECK(payload_of(1) == "purged/1");
  }
  SECTION("any other UPDATE or DELETE is refused") {
    for (const char* sql : {
             "UPDATE events SET payload = x'09' WHERE seq = 1",
             "UPDATE events SET purged = 1, kind = 'call' WHERE seq = 1",
             "UPDATE events SET purged = 1, actor = 'y' WHERE seq = 1",
             "UPDATE events SET purged = 1, recorded_at = 5 WHERE seq = 1",
             "UPDATE events SET purged = 1, source_event_id = 'z' WHERE seq = 1",
             "UPDATE events SET purged = 1, seq = 7 WHERE seq = 1",
             "DELETE FROM events WHERE seq = 2",
         }) {
      INFO(sql);
      CHECK_THROWS_WITH(c.exec(sql), Catch::Contains("append-only"));
    }
    tombstone(c, 1, "purged");
    // A tombstone is one-way: never un-purged, never rewritten again.
    CHECK_THROWS_WITH(c.exec("UPDATE events SET purged = 0 WHERE seq = 1"),
                      Catch::Contains("append-only"));
    CHECK_THROWS_WITH(c.exec("UPDATE events SET payload = x'01' WHERE seq = 1"),
                      Catch::Contains("append-only"));
    CHECK_THROWS_WITH(c.exec("DELETE FROM events WHERE seq = 1"), Catch::Contains("append-only"));
    CHECK(payload_of(1) == "purged/1");
  }
}

TEST_CASE("the writer assigns increasing seqs and delivers results in submission order") {
  temp_db tmp;
  fake_io io;
  writer w(tmp.path(), {}, io.deliver(), fail_test());
  std::vector<std::uint64_t> seen;
  for (int i = 0; i < 50; ++i) {
    REQUIRE(w.submit({record("e" + std::to_string(i))}, [&seen](std::vector<commit_result> r) {
      REQUIRE(r.size() == 1);
      CHECK_FALSE(r[0].duplicate);
      seen.push_back(r[0].seq);
    }) == writer::submit_status::accepted);
  }
  io.run(50);
  REQUIRE(seen.size() == 50);
  for (std::size_t i = 0; i < seen.size(); ++i) CHECK(seen[i] == i + 1);
}

TEST_CASE("concurrent submissions are group-committed in fewer transactions") {
  temp_db tmp;
  fake_io io;
  writer w(tmp.path(), {}, io.deliver(), fail_test());
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&w, t] {
      for (int i = 0; i < per_thread; ++i) {
        auto id = std::to_string(t) + "-" + std::to_string(i);
        while (w.submit({record(id)}, [](auto) {}) != writer::submit_status::accepted) {
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  io.run(threads * per_thread);
  CHECK(w.metrics().events_committed.load() == threads * per_thread);
  // fsync per event would mean one commit per submission; batching is the point.
  CHECK(w.metrics().commits.load() < threads * per_thread);
  w.stop();
  event_reader r(tmp.path());
  CHECK(r.last_seq() == threads * per_thread);
}

TEST_CASE("a duplicate inside one batch is reported with the original seq and commits the rest") {
  temp_db tmp;
  fake_io io;
  writer w(tmp.path(), {}, io.deliver(), fail_test());
  std::vector<commit_result> results;
  REQUIRE(w.submit({record("a"), record("b"), record("a", "second copy")},
                   [&](std::vector<commit_result> r) { results = std::move(r); }) ==
          writer::submit_status::accepted);
  io.run(1);
  REQUIRE(results.size() == 3);
  CHECK_FALSE(results[0].duplicate);
  CHECK_FALSE(results[1].duplicate);
  CHECK(results[2].duplicate);
  CHECK(results[2].seq == results[0].seq);

  SECTION("and a later delivery of the same id is a duplicate too") {
    REQUIRE(w.submit({record("b")}, [&](std::vector<commit_result> r) {
      results = std::move(r);
    }) == writer::submit_status::accepted);
    io.run(1);
    CHECK(results[0].duplicate);
    CHECK(results[0].seq == 2);
  }
  w.stop();
  event_reader r(tmp.path());
  std::vector<std::string> payloads;
  r.for_each(0, [&](const stored_event& e) { payloads.emplace_back(e.payload); });
  CHECK(payloads == std::vector<std::string>{"p", "p"});
}

TEST_CASE("events without a source_event_id are never duplicates") {
  temp_db tmp;
  fake_io io;
  writer w(tmp.path(), {}, io.deliver(), fail_test());
  std::vector<commit_result> results;
  REQUIRE(w.submit({record(""), record("")}, [&](std::vector<commit_result> r) {
    results = std::move(r);
  }) == writer::submit_status::accepted);
  io.run(1);
  CHECK_FALSE(results[0].duplicate);
  CHECK_FALSE(results[1].duplicate);
  CHECK(results[0].seq != results[1].seq);
}

TEST_CASE("a full backlog refuses new submissions instead of growing") {
  temp_db tmp;
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> delivered{0};
  // The first delivery blocks the writer thread, so everything after queues.
  writer w(
      tmp.path(), writer_options{.max_backlog_events = 10, .max_commit_events = 10},
      [released, &delivered](std::function<void()> fn) {
        if (delivered++ == 0) released.wait();
        fn();
      },
      fail_test());
  REQUIRE(w.submit({record("first")}, [](auto) {}) == writer::submit_status::accepted);
  // Give the writer time to take "first" and block in delivery.
  for (int i = 0; i < 200 && w.metrics().commits.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  std::vector<event_record> five;
  for (int i = 0; i < 5; ++i) five.push_back(record("x" + std::to_string(i)));
  CHECK(w.submit(five, [](auto) {}) == writer::submit_status::accepted);
  std::vector<event_record> six;
  for (int i = 0; i < 6; ++i) six.push_back(record("y" + std::to_string(i)));
  CHECK(w.submit(six, [](auto) {}) == writer::submit_status::backlog_full);
  CHECK(w.metrics().rejected_backlog_full.load() == 1);
  release.set_value();
  w.stop();
  CHECK(w.metrics().events_committed.load() == 6);
}

TEST_CASE("a failed commit is fail-stop: no completion, nothing from the batch stored") {
  temp_db tmp;
  {
    connection c(tmp.path());
    configure_connection(c);
    migrate(c);
    // Injects an I/O-like failure for one source, inside the writer's transaction.
    c.exec(
        "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.source = 'poison' "
        "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  }
  fake_io io;
  std::promise<std::string> fatal;
  bool completed = false;
  {
    writer w(tmp.path(), {}, io.deliver(),
             [&fatal](const std::string& what) { fatal.set_value(what); });
    auto poisoned = record("p1");
    poisoned.source = "poison";
    REQUIRE(w.submit({record("ok-before"), poisoned}, [&](auto) { completed = true; }) ==
            writer::submit_status::accepted);
    auto f = fatal.get_future();
    REQUIRE(f.wait_for(10s) == std::future_status::ready);
    CHECK_THAT(f.get(), Catch::Contains("injected failure"));
    CHECK_FALSE(w.healthy());
    CHECK(w.submit({record("after")}, [](auto) {}) == writer::submit_status::stopped);
  }
  CHECK_FALSE(completed);
  {
    connection c(tmp.path());
    CHECK(c.query_int("SELECT count(*) FROM events") == 0);
    c.exec("DROP TRIGGER poison");
  }
  SECTION("a retry of the never-committed event is accepted, not called a duplicate") {
    fake_io io2;
    writer w(tmp.path(), {}, io2.deliver(), fail_test());
    std::vector<commit_result> results;
    REQUIRE(w.submit({record("ok-before")}, [&](std::vector<commit_result> r) {
      results = std::move(r);
    }) == writer::submit_status::accepted);
    io2.run(1);
    CHECK_FALSE(results.at(0).duplicate);
  }
}

TEST_CASE("stop() commits everything already accepted") {
  temp_db tmp;
  fake_io io;
  {
    writer w(tmp.path(), {}, io.deliver(), fail_test());
    for (int i = 0; i < 100; ++i) {
      REQUIRE(w.submit({record("s" + std::to_string(i))}, [](auto) {}) ==
              writer::submit_status::accepted);
    }
    w.stop();
    CHECK(w.submit({record("late")}, [](auto) {}) == writer::submit_status::stopped);
  }
  event_reader r(tmp.path());
  CHECK(r.last_seq() == 100);
}

TEST_CASE("the log reads back in seq order after reopening") {
  temp_db tmp;
  fake_io io;
  {
    writer w(tmp.path(), {}, io.deliver(), fail_test());
    for (int i = 0; i < 10; ++i) {
      REQUIRE(w.submit({record("r" + std::to_string(i), "payload-" + std::to_string(i))},
                       [](auto) {}) == writer::submit_status::accepted);
    }
    w.stop();
  }
  {
    // Reopening runs the migration check again and keeps the data.
    writer w(tmp.path(), {}, io.deliver(), fail_test());
    std::vector<commit_result> results;
    REQUIRE(w.submit({record("r3")}, [&](std::vector<commit_result> r) {
      results = std::move(r);
    }) == writer::submit_status::accepted);
    io.run(11);
    CHECK(results.at(0).duplicate);
    CHECK(results.at(0).seq == 4);
  }
  event_reader r(tmp.path());
  std::vector<std::string> payloads;
  std::uint64_t last = 0;
  r.for_each(0, [&](const stored_event& e) {
    CHECK(e.seq == last + 1);
    last = e.seq;
    payloads.emplace_back(e.payload);
  });
  REQUIRE(payloads.size() == 10);
  CHECK(payloads[9] == "payload-9");
  std::uint64_t since_count = r.for_each(7, [](const stored_event&) {});
  CHECK(since_count == 3);
}

namespace {

// Writes one row per projected event into its own table, and can be told to
// fail on a given seq.
class recording_projection final : public projection {
 public:
  std::vector<std::uint64_t> applied;
  std::uint64_t caught_up_to = 0;
  std::uint64_t fail_on = 0;

  void catch_up(connection& db) override {
    db.exec("CREATE TABLE IF NOT EXISTS projected(seq INTEGER PRIMARY KEY, payload BLOB)");
    caught_up_to = static_cast<std::uint64_t>(db.query_int("SELECT COUNT(*) FROM events"));
  }
  void apply(connection& db, std::uint64_t seq, const event_record& r) override {
    if (seq == fail_on) throw error(0, "projection refused");
    statement st(db, "INSERT INTO projected(seq, payload) VALUES(?1, ?2)");
    st.bind(1, static_cast<std::int64_t>(seq));
    st.bind_blob(2, r.payload);
    (void)st.step();
    applied.push_back(seq);
  }
};

}  // namespace

TEST_CASE("a projection sees each new event once, in seq order, and never a duplicate") {
  temp_db tmp;
  fake_io io;
  recording_projection p;
  {
    writer w(tmp.path(), {}, io.deliver(), fail_test(), &p);
    std::vector<commit_result> got;
    REQUIRE(w.submit({record("a"), record("b"), record("a"), record("c")},
                     [&](std::vector<commit_result> r) { got = std::move(r); }) ==
            writer::submit_status::accepted);
    io.run(1);
    REQUIRE(got.size() == 4);
    CHECK(got[2].duplicate);
  }
  CHECK(p.applied == std::vector<std::uint64_t>{1, 2, 3});
  connection c(tmp.path());
  CHECK(c.query_int("SELECT COUNT(*) FROM projected") == 3);

  // Reopened: catch_up runs first and sees everything already in the log.
  recording_projection again;
  { writer w(tmp.path(), {}, io.deliver(), fail_test(), &again); }
  CHECK(again.caught_up_to == 3);
}

TEST_CASE("a failing projection fails the commit: neither the events nor its rows are stored") {
  temp_db tmp;
  fake_io io;
  recording_projection p;
  p.fail_on = 2;
  std::promise<std::string> fatal;
  {
    writer w(
        tmp.path(), {}, io.deliver(), [&](const std::string& what) { fatal.set_value(what); }, &p);
    REQUIRE(w.submit({record("a"), record("b")}, [](std::vector<commit_result>) {
      FAIL("a failed commit was acknowledged");
    }) == writer::submit_status::accepted);
    CHECK(fatal.get_future().get().find("projection refused") != std::string::npos);
  }
  connection c(tmp.path());
  CHECK(c.query_int("SELECT COUNT(*) FROM events") == 0);
  CHECK(c.query_int("SELECT COUNT(*) FROM projected") == 0);
}

namespace {

audit_record audit_row(std::string record, std::string outcome, int event_index = -1) {
  return audit_record{.fields = {.at_us = 2'000,
                                 .username = "nina",
                                 .role = "nurse",
                                 .organisation = "trust",
                                 .session = "7",
                                 .record = std::move(record),
                                 .action = "read",
                                 .outcome = std::move(outcome),
                                 .reason = ""},
                      .event_index = event_index};
}

std::vector<stored_audit> audit_rows(const std::filesystem::path& db) {
  connection c(db, connection::mode::read_only);
  std::vector<stored_audit> out;
  (void)for_each_audit(c, [&](const stored_audit& r) { out.push_back(r); });
  return out;
}

// The first row that breaks the chain, or "" when it is intact.
std::string first_break(const std::vector<stored_audit>& rows) {
  audit_chain_check check;
  for (const auto& r : rows) {
    if (auto problem = check.next(r)) return *problem;
  }
  return {};
}

}  // namespace

TEST_CASE("audit rows commit with their event, chained, and are not repeated for a duplicate") {
  temp_db tmp;
  fake_io io;
  {
    writer w(tmp.path(), {}, io.deliver(), fail_test());
    REQUIRE(w.submit({record("a")}, {audit_row("contact:1", "submitted", 0)},
                     [](std::vector<commit_result>) {}) == writer::submit_status::accepted);
    REQUIRE(w.submit({}, {audit_row("contact:1", "allowed"), audit_row("contact:2", "denied")},
                     [](std::vector<commit_result> r) { CHECK(r.empty()); }) ==
            writer::submit_status::accepted);
    // A redelivery of "a": the event is a duplicate, so its row is not written again.
    REQUIRE(w.submit({record("a")}, {audit_row("contact:1", "submitted", 0)},
                     [](std::vector<commit_result> r) { CHECK(r.at(0).duplicate); }) ==
            writer::submit_status::accepted);
    io.run(3);
  }
  // A restarted writer continues the chain from its head.
  {
    writer w(tmp.path(), {}, io.deliver(), fail_test());
    REQUIRE(w.submit({}, {audit_row("contact:3", "allowed")}, [](std::vector<commit_result>) {}) ==
            writer::submit_status::accepted);
    io.run(1);
  }
  const auto rows = audit_rows(tmp.path());
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].event_seq == 1);
  CHECK(rows[0].fields.outcome == "submitted");
  CHECK(rows[0].prev_hash == audit_genesis_hash);
  CHECK_FALSE(rows[1].event_seq);
  CHECK(rows[1].prev_hash == rows[0].hash);
  CHECK(rows[2].fields.record == "contact:2");
  CHECK(rows[3].seq == 4);
  CHECK(rows[3].prev_hash == rows[2].hash);
  CHECK(rows[3].hash == audit_hash(rows[2].hash, audit_canonical(4, rows[3].fields, {})));
  CHECK(first_break(rows).empty());
}

TEST_CASE("the audit table refuses updates and deletes, and the chain shows tampering") {
  temp_db tmp;
  fake_io io;
  {
    writer w(tmp.path(), {}, io.deliver(), fail_test());
    for (const auto* outcome : {"allowed", "denied", "allowed"}) {
      REQUIRE(w.submit({}, {audit_row("contact:9", outcome)}, [](std::vector<commit_result>) {}) ==
              writer::submit_status::accepted);
    }
    io.run(3);
  }
  connection c(tmp.path());
  CHECK_THROWS_AS(c.exec("UPDATE audit SET outcome = 'allowed' WHERE seq = 2"), error);
  CHECK_THROWS_AS(c.exec("DELETE FROM audit WHERE seq = 2"), error);
  REQUIRE(first_break(audit_rows(tmp.path())).empty());

  SECTION("an altered row is named") {
    c.exec("DROP TRIGGER audit_append_only_update");
    c.exec("UPDATE audit SET outcome = 'allowed' WHERE seq = 2");
    CHECK(first_break(audit_rows(tmp.path())).starts_with("row 2: its contents"));
  }
  SECTION("a re-hashed row breaks the link to the next one") {
    c.exec("DROP TRIGGER audit_append_only_update");
    auto rows = audit_rows(tmp.path());
    auto f = rows[1].fields;
    f.outcome = "allowed";
    const auto forged = audit_hash(rows[1].prev_hash, audit_canonical(2, f, {}));
    c.exec("UPDATE audit SET outcome = 'allowed', hash = '" + forged + "' WHERE seq = 2");
    CHECK(first_break(audit_rows(tmp.path())).starts_with("row 3: prev_hash"));
  }
  SECTION("a removed row is named") {
    c.exec("DROP TRIGGER audit_append_only_delete");
    c.exec("DELETE FROM audit WHERE seq = 2");
    CHECK(first_break(audit_rows(tmp.path())).starts_with("row 3 follows row 1"));
  }
}
