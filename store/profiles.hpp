#pragma once
// Customer profiles (docs/PROFILES.md, "Profiles of your own"): definitions added with `intake profile
// add`, every version kept under its sha256 (ingests record the version they used); a tenant uses the
// newest present version of its profile's name. Only the text is stored: loading is the ingest
// engine's business.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intake::store {

class Database;

struct StoredProfile {
  std::string name, sha256, definition, added_at, added_by;
};

class ProfileRepository {
 public:
  explicit ProfileRepository(Database& db) : db_(db) {}

  // Makes `definition` the newest version of `name` (again, when it was an older or removed one);
  // false when it is the newest present version already. Inside the caller's transaction.
  bool add(const std::string& name, const std::string& sha256, const std::string& definition,
           const std::string& by);
  std::optional<StoredProfile> newest(std::string_view name);
  std::vector<StoredProfile> list();                 // the newest version of each present profile, by name
  std::size_t version_count(std::string_view name);  // removed ones too
  // Every version is marked removed (kept for the ingests that used them); false when none is present.
  bool remove(std::string_view name);
  std::vector<std::string> tenants_using(std::string_view name);

 private:
  Database& db_;
};

}  // namespace intake::store
