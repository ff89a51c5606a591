#pragma once
// Expected outcomes of repository operations, returned as values.
#include <string>

namespace intake::store {

enum class StoreProblem { NotFound, AlreadyExists, Conflict, Ambiguous };

struct StoreError {
  StoreProblem problem;
  std::string message;  // names the thing and what to do
};

// Every timestamp Intake stores is UTC text in this format: sortable and readable in the sqlite3
// shell. Written by SQLite itself (see kSqlNow) so that every process agrees on it.
// Example: 2026-11-21T22:01:00.123Z
inline constexpr const char* kSqlNow = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

}  // namespace intake::store
