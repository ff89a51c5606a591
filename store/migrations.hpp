#pragma once
// Schema migrations, applied at open. Migration N takes `PRAGMA user_version` from N-1 to N.
// A released migration is never edited: change the schema by appending a new one.
#include <span>
#include <string_view>

namespace intake::store {

class Database;

std::span<const std::string_view> migrations();
int latest_schema_version();

// Applies the pending migrations inside one IMMEDIATE transaction (so two processes opening a new
// database at once migrate it once). Refuses a database newer than this build.
void apply_migrations(Database& db);

}  // namespace intake::store
