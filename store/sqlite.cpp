#include "store/sqlite.hpp"

#include <sqlite3.h>

#include <chrono>
#include <thread>
#include <unordered_map>

#include "store/migrations.hpp"

namespace intake::store {
namespace {

constexpr int kBusyTimeoutMs = 15000;

[[noreturn]] void fail(sqlite3* db, int code, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw DatabaseError(message, code);
}

// SQLite's own busy handler (sqlite3_busy_timeout) sleeps in steps growing to 100 ms, so a writer that
// meets a lock held for a couple of milliseconds (one journal entry or ingest and its fsync) may sleep
// far longer than the lock is held. Poll finely instead: 0.2 ms doubling to 5 ms, for the same 15 s.
int wait_while_busy(void* /*unused*/, int attempt) {
  using namespace std::chrono;
  constexpr auto kFirst = microseconds(200), kLongest = microseconds(5000);
  auto elapsed = microseconds(0), pause = kFirst;
  for (int i = 0; i < attempt; ++i) {  // what the earlier attempts slept, without keeping state
    elapsed += pause;
    pause = std::min(pause * 2, kLongest);
    if (elapsed >= milliseconds(kBusyTimeoutMs)) return 0;
  }
  std::this_thread::sleep_for(pause);
  return 1;
}

void configure(sqlite3* db) {
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_handler(db, wait_while_busy, nullptr);
}

}  // namespace

bool DatabaseError::is_constraint() const { return (code_ & 0xff) == SQLITE_CONSTRAINT; }

bool DatabaseError::is_transient() const {
  switch (code_ & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM: return true;
    default: return false;
  }
}

Database Database::open(const std::filesystem::path& path) {
  // SQLite's allocation statistics take a global mutex on every malloc; nothing reads them, and an
  // ingest of a million rows spent ~7% of its time in that lock. Must precede SQLite's initialisation
  // (a later call is refused harmlessly).
  static const int memstatus_off = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)memstatus_off;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw);  // owns the handle even when opening failed
  if (rc != SQLITE_OK) fail(raw, rc, "cannot open database " + path.string());
  configure(raw);
  // WAL lets the server read while CLI processes write; FULL sync because an acknowledged upload
  // must survive a power cut, not only a crash. Switching a new database to WAL, and migrating it,
  // can meet SQLITE_BUSY without the busy handler being consulted when another process does the same
  // at that moment: retry for as long as the busy timeout would have waited.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
  while (true) {
    try {
      db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
      apply_migrations(db);
      return db;
    } catch (const DatabaseError& error) {
      const int primary = error.code() & 0xff;
      if ((primary != SQLITE_BUSY && primary != SQLITE_LOCKED) || std::chrono::steady_clock::now() > deadline)
        throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

Database Database::open_in_memory() {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  Database db(raw);
  if (rc != SQLITE_OK) fail(raw, rc, "cannot open in-memory database");
  configure(raw);
  db.execute("PRAGMA foreign_keys=ON;");
  apply_migrations(db);
  return db;
}

// Idle prepared statements by SQL text. Bounded: SQL built at run time must not grow it forever.
// One prepared statement per SQL text, lent to one Statement at a time. Entries stay put once made
// (node addresses are stable), so lending and returning one allocates nothing: an ingest runs the
// same few statements millions of times.
struct Database::StatementCache {
  static constexpr std::size_t kMaxStatements = 64;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const { return std::hash<std::string_view>{}(sql); }
  };
  std::unordered_map<std::string, StatementCacheEntry, Hash, std::equal_to<>> entries;
  ~StatementCache() {
    for (const auto& [sql, entry] : entries) sqlite3_finalize(entry.stmt);
  }
  // The cached statement for `sql` when it is free (marked lent), else nullptr.
  StatementCacheEntry* lend(std::string_view sql) {
    const auto found = entries.find(sql);
    if (found == entries.end() || found->second.lent) return nullptr;
    found->second.lent = true;
    return &found->second;
  }
  // Keeps a freshly prepared statement for the next time, when there is room and none for its text.
  StatementCacheEntry* keep(std::string_view sql, sqlite3_stmt* stmt) {
    if (entries.size() >= kMaxStatements || entries.find(sql) != entries.end()) return nullptr;
    return &entries.emplace(std::string(sql), StatementCacheEntry{stmt, true}).first->second;
  }
};

Database::Database(sqlite3* db) : db_(db), cache_(std::make_unique<StatementCache>()) {}

Database::Database(Database&& other) noexcept : db_(other.db_), cache_(std::move(other.cache_)) {
  other.db_ = nullptr;
}

Database& Database::operator=(Database&& other) noexcept {
  if (this != &other) {
    cache_.reset();
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    cache_ = std::move(other.cache_);
    other.db_ = nullptr;
  }
  return *this;
}

Database::~Database() {
  cache_.reset();  // finalizes the idle statements before the connection closes
  if (db_) sqlite3_close_v2(db_);
}

Statement Database::prepare(std::string_view sql) { return Statement(*this, sql); }

void Database::execute(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    throw DatabaseError("database error: " + message, rc);
  }
}

int Database::schema_version() {
  auto stmt = prepare("PRAGMA user_version");
  stmt.step();
  return static_cast<int>(stmt.integer(0));
}

std::int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Database::changes() const { return sqlite3_changes(db_); }

Statement::Statement(Database& db, std::string_view sql) : db_(db.handle()) {
  auto* cache = db.cache_.get();
  if (cache && (entry_ = cache->lend(sql))) {
    stmt_ = entry_->stmt;
    return;
  }
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot prepare statement");
  if (cache) entry_ = cache->keep(sql, stmt_);
}

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_), entry_(other.entry_) {
  other.stmt_ = nullptr;
  other.entry_ = nullptr;
}

Statement::~Statement() {
  if (!stmt_) return;
  if (entry_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    entry_->lent = false;
  } else {
    sqlite3_finalize(stmt_);  // a second use of a text already lent, or the cache was full
  }
}

Statement& Statement::bind(int index, std::string_view value) {
  const int rc =
      sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot bind parameter");
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot bind parameter");
  return *this;
}

Statement& Statement::bind_optional(int index, const std::optional<std::string>& value) {
  return value ? bind(index, std::string_view(*value)) : bind_null(index);
}

Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) fail(db_, rc, "cannot bind parameter");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_);
  fail(db_, rc, "database error");
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  if (!data) return {};
  return std::string(reinterpret_cast<const char*>(data),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::string_view Statement::text_view(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  if (!data) return {};
  return {reinterpret_cast<const char*>(data), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::optional<std::string> Statement::optional_text(int column) const {
  if (is_null(column)) return std::nullopt;
  return text(column);
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Transaction::Transaction(Database& db, Mode mode) : db_(db) {
  db_.execute(mode == Mode::Writing ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (open_) {
    try {
      db_.execute("ROLLBACK");
    } catch (const DatabaseError&) {
      // The connection already rolled back (e.g. after an I/O error); nothing left to undo.
    }
  }
}

void Transaction::commit() {
  db_.execute("COMMIT");
  open_ = false;
}

}  // namespace intake::store
