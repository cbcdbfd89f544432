#include "store/database.hpp"

#include <sqlite3.h>

namespace crisisline::store {

connection::connection(const std::filesystem::path& path, mode m) {
  const int flags = m == mode::read_only
                        ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
                        : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg =
        "cannot open " + path.string() + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw error(rc, msg);
  }
  sqlite3_extended_result_codes(db_, 1);
  // Readers and the checkpointer share the file with the writer; wait for its
  // locks instead of failing at once.
  sqlite3_busy_timeout(db_, 5000);
}

connection::~connection() {
  sqlite3_close_v2(db_);
}

void connection::fail(int rc, std::string_view what) const {
  throw error(rc, std::string(what) + ": " + sqlite3_errstr(rc) + " (" + sqlite3_errmsg(db_) + ")");
}

void connection::exec(std::string_view sql) {
  const std::string s(sql);
  const int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) fail(rc, "exec " + s);
}

std::int64_t connection::query_int(std::string_view sql) {
  statement st(*this, sql);
  if (!st.step()) return 0;
  return st.column_int(0);
}

statement::statement(connection& c, std::string_view sql) : conn_(c) {
  const int rc = sqlite3_prepare_v3(c.handle(), sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) c.fail(rc, "prepare " + std::string(sql));
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

void statement::bind(int index, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, index, v);
  if (rc != SQLITE_OK) conn_.fail(rc, "bind");
}

void statement::bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) conn_.fail(rc, "bind");
}

void statement::bind_blob(int index, std::string_view bytes) {
  const int rc = sqlite3_bind_blob(stmt_, index, bytes.data(), static_cast<int>(bytes.size()),
                                   SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) conn_.fail(rc, "bind");
}

void statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) conn_.fail(rc, "bind");
}

bool statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  conn_.fail(rc, std::string("step ") + sqlite3_sql(stmt_));
}

void statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t statement::column_int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

std::string_view statement::column_text(int index) const {
  const auto* p = sqlite3_column_text(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string_view(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string_view{};
}

std::string_view statement::column_blob(int index) const {
  const void* p = sqlite3_column_blob(stmt_, index);
  const int n = sqlite3_column_bytes(stmt_, index);
  return p ? std::string_view(static_cast<const char*>(p), static_cast<std::size_t>(n))
           : std::string_view{};
}

bool statement::column_is_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

transaction::transaction(connection& c) : conn_(c) {
  c.exec("BEGIN IMMEDIATE");
}

transaction::~transaction() {
  if (!done_) sqlite3_exec(conn_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void transaction::commit() {
  conn_.exec("COMMIT");
  done_ = true;
}

}  // namespace crisisline::store
