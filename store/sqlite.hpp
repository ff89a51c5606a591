#pragma once
// RAII over the SQLite C API: a connection, prepared statements, and IMMEDIATE transactions.
// Unexpected database failures (I/O error, corruption, a lock held past the busy timeout) throw
// DatabaseError; the repositories turn expected outcomes (not found, already exists) into values.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace intake::store {

class DatabaseError : public std::runtime_error {
 public:
  DatabaseError(std::string message, int code) : std::runtime_error(std::move(message)), code_(code) {}
  int code() const { return code_; }
  bool is_constraint() const;
  // Busy or locked by another writer, full, failing I/O, out of memory: conditions that pass, unlike an
  // error the same statement meets every time.
  bool is_transient() const;

 private:
  int code_;
};

class Statement;
// A prepared statement the connection keeps for its SQL text (Database::StatementCache).
struct StatementCacheEntry {
  sqlite3_stmt* stmt = nullptr;
  bool lent = false;
};

class Database {
 public:
  // Opens (creating if needed) the database, sets WAL mode and the busy timeout, and applies any
  // pending migrations. Safe when several processes open the same file at once.
  static Database open(const std::filesystem::path& path);
  static Database open_in_memory();  // for tests

  Database(Database&& other) noexcept;
  Database& operator=(Database&& other) noexcept;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;
  ~Database();

  // Prepared statements are kept per connection by their SQL text and reused (reset, bindings cleared)
  // when a Statement is destroyed: an ingest runs the same few statements a million times, and a
  // fresh prepare costs more than the step. A Statement must not outlive its Database.
  Statement prepare(std::string_view sql);
  void execute(std::string_view sql);  // one or more statements, no parameters
  int schema_version();
  std::int64_t last_insert_id() const;
  int changes() const;
  sqlite3* handle() const { return db_; }

 private:
  friend class Statement;
  struct StatementCache;
  explicit Database(sqlite3* db);
  sqlite3* db_ = nullptr;
  std::unique_ptr<StatementCache> cache_;
};

class Statement {
 public:
  Statement(Database& db, std::string_view sql);
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Binds are 1-based like SQLite's; an empty optional binds NULL.
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, std::int64_t value);
  Statement& bind_optional(int index, const std::optional<std::string>& value);
  Statement& bind_null(int index);

  bool step();  // true while a row is available
  void run();   // step to completion, for statements without rows
  void reset();

  std::string text(int column) const;
  std::string_view text_view(int column) const;  // valid until the next step() or reset()
  std::optional<std::string> optional_text(int column) const;
  std::int64_t integer(int column) const;
  bool is_null(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  StatementCacheEntry* entry_ = nullptr;  // the cache's, when the statement is lent from it
};

// BEGIN IMMEDIATE: takes the write lock up front, so two writers never deadlock upgrading a read
// lock; the busy timeout makes the second one wait. Rolls back unless commit() was called.
// Transaction::Reading: BEGIN (deferred), for a consistent snapshot that writes nothing: in WAL mode
// it never holds up a writer (a preview that reads a million users must not delay ingests).
class Transaction {
 public:
  enum class Mode { Writing, Reading };
  explicit Transaction(Database& db, Mode mode = Mode::Writing);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();
  void commit();

 private:
  Database& db_;
  bool open_ = true;
};

}  // namespace intake::store
