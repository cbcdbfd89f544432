#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

// RAII wrappers over the SQLite C API. Every return code is checked; a failure
// throws store::error, which the writer treats as fail-stop. Destructors never
// throw.
namespace crisisline::store {

class error : public std::runtime_error {
 public:
  error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  [[nodiscard]] int code() const { return code_; }

 private:
  int code_;
};

class connection {
 public:
  enum class mode { read_write_create, read_only };
  explicit connection(const std::filesystem::path& path, mode m = mode::read_write_create);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  void exec(std::string_view sql);
  [[nodiscard]] std::int64_t query_int(std::string_view sql);
  [[nodiscard]] sqlite3* handle() const { return db_; }
  // Throws store::error describing `rc` and the connection's last message.
  [[noreturn]] void fail(int rc, std::string_view what) const;

 private:
  sqlite3* db_ = nullptr;
};

class statement {
 public:
  statement(connection& c, std::string_view sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  void bind(int index, std::int64_t v);
  void bind(int index, std::string_view text);
  void bind_blob(int index, std::string_view bytes);
  void bind_null(int index);
  // Advances to the next row: true if a row is available, false when done.
  [[nodiscard]] bool step();
  void reset();

  [[nodiscard]] std::int64_t column_int(int index) const;
  [[nodiscard]] std::string_view column_text(int index) const;
  [[nodiscard]] std::string_view column_blob(int index) const;
  [[nodiscard]] bool column_is_null(int index) const;

 private:
  connection& conn_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; rolls back unless commit() was called.
class transaction {
 public:
  explicit transaction(connection& c);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  void commit();

 private:
  connection& conn_;
  bool done_ = false;
};

}  // namespace crisisline::store
