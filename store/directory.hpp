#pragma once
// The user/group directory a tenant's files are applied to.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intake::store {

class Database;

struct DirectoryUser {
  std::int64_t id = 0;
  std::string external_id;
  std::string first_name, last_name, email, phone;
  std::string group;   // the user's group name ("" for none)
  std::string source;  // "sync" or "manual"
  std::string status;
  std::optional<std::string> deleted_at;
  std::string created_at, updated_at;
};

struct StoredUserView {
  std::int64_t id = 0;
  std::string_view external_id, first_name, last_name, email, phone, group;
  bool manual = false;
  bool removed = false;
};

struct DirectoryGroup {
  std::int64_t id = 0;
  std::string name;
  std::string source;
  std::int64_t members = 0;
  std::string created_at;
};

struct UserQuery {
  std::optional<std::string> group, status, search;  // status: active | removed | all
  std::int64_t limit = 1000;
};

class DirectoryRepository {
 public:
  explicit DirectoryRepository(Database& db) : db_(db) {}

  // Every user of the tenant, removed ones included, one at a time, in ascending byte order of
  // external_id (the UNIQUE index's order), so that a million-user directory is compared with a file
  // without being held in memory. The view is valid during the call only. Its `group` is the synced membership (set_user_group keeps at most
  // one): what a file manages; a manual membership is not the file's business.
  void for_each_user_by_external_id(std::int64_t tenant_id,
                                    const std::function<void(const StoredUserView&)>& visit);
  std::vector<DirectoryUser> find_users(std::int64_t tenant_id, const UserQuery& query);
  std::vector<DirectoryGroup> groups(std::int64_t tenant_id);

  // Inside the caller's transaction. `user.id` 0 inserts; otherwise updates (and un-deletes).
  std::int64_t upsert_synced_user(std::int64_t tenant_id, const DirectoryUser& user,
                                  const std::string& ingest_id);
  void remove_user(std::int64_t user_id, const std::string& ingest_id);
  // One group per user: replaces the user's synced membership (creating the group on first use).
  void set_user_group(std::int64_t tenant_id, std::int64_t user_id, const std::string& group,
                      const std::string& ingest_id);

 private:
  std::int64_t group_id(std::int64_t tenant_id, const std::string& name, const std::string& ingest_id);
  Database& db_;
};

}  // namespace intake::store
