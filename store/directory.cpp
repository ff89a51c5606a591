#include "store/directory.hpp"

#include <unordered_map>

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

const std::string kSelect =
    "SELECT u.id, u.external_id, u.first_name, u.last_name, u.email, u.phone, "
    "COALESCE((SELECT g.name FROM directory_memberships m JOIN directory_groups g ON g.id = m.group_id "
    "WHERE m.user_id = u.id ORDER BY m.created_at LIMIT 1), '') AS group_name, u.source, u.status, "
    "u.deleted_at, u.created_at, "
    "u.updated_at FROM directory_users u ";

DirectoryUser row_to_user(const Statement& row) {
  DirectoryUser u;
  u.id = row.integer(0);
  u.external_id = row.text(1);
  u.first_name = row.text(2);
  u.last_name = row.text(3);
  u.email = row.text(4);
  u.phone = row.text(5);
  u.group = row.text(6);
  u.source = row.text(7);
  u.status = row.text(8);
  u.deleted_at = row.optional_text(9);
  u.created_at = row.text(10);
  u.updated_at = row.text(11);
  return u;
}

}  // namespace

void DirectoryRepository::for_each_user_by_external_id(
    std::int64_t tenant_id, const std::function<void(const StoredUserView&)>& visit) {
  // Group names once (a tenant has few groups); per user only the group id, read from the
  // directory_memberships_by_user_source index.
  std::unordered_map<std::int64_t, std::string> group_names;
  auto groups = db_.prepare("SELECT id, name FROM directory_groups WHERE tenant_id = ?1");
  groups.bind(1, tenant_id);
  while (groups.step()) group_names.emplace(groups.integer(0), groups.text(1));

  auto select = db_.prepare(
      "SELECT u.id, u.external_id, u.first_name, u.last_name, u.email, u.phone, "
      "(SELECT m.group_id FROM directory_memberships m WHERE m.user_id = u.id AND m.source = 'sync'), "
      "u.source = 'manual', u.deleted_at IS NOT NULL "
      "FROM directory_users u WHERE u.tenant_id = ?1 ORDER BY u.external_id");
  select.bind(1, tenant_id);
  StoredUserView user;
  while (select.step()) {
    user.id = select.integer(0);
    user.external_id = select.text_view(1);
    user.first_name = select.text_view(2);
    user.last_name = select.text_view(3);
    user.email = select.text_view(4);
    user.phone = select.text_view(5);
    user.group = {};
    if (!select.is_null(6)) {
      if (const auto found = group_names.find(select.integer(6)); found != group_names.end())
        user.group = found->second;
    }
    user.manual = select.integer(7) != 0;
    user.removed = select.integer(8) != 0;
    visit(user);
  }
}

std::vector<DirectoryUser> DirectoryRepository::find_users(std::int64_t tenant_id, const UserQuery& q) {
  const std::string status = q.status.value_or("active");
  auto select = db_.prepare(
      "SELECT * FROM (" + kSelect +
      "WHERE u.tenant_id = ?1) AS x WHERE (?2 = 'all' OR (?2 = 'active' AND x.deleted_at IS NULL) OR "
      "(?2 = 'removed' AND x.deleted_at IS NOT NULL)) AND (?3 IS NULL OR x.group_name = ?3) AND "
      "(?4 IS NULL OR instr(lower(x.external_id || ' ' || x.first_name || ' ' || x.last_name || ' ' || "
      "x.email || "
      "' ' || x.phone), lower(?4)) > 0) ORDER BY x.external_id LIMIT ?5");
  select.bind(1, tenant_id)
      .bind(2, status)
      .bind_optional(3, q.group)
      .bind_optional(4, q.search)
      .bind(5, q.limit);
  std::vector<DirectoryUser> out;
  while (select.step()) out.push_back(row_to_user(select));
  return out;
}

std::vector<DirectoryGroup> DirectoryRepository::groups(std::int64_t tenant_id) {
  auto select = db_.prepare(
      "SELECT g.id, g.name, g.source, (SELECT count(*) FROM directory_memberships m JOIN directory_users u "
      "ON "
      "u.id = m.user_id WHERE m.group_id = g.id AND u.deleted_at IS NULL), g.created_at FROM "
      "directory_groups g "
      "WHERE g.tenant_id = ?1 AND g.deleted_at IS NULL ORDER BY g.name");
  select.bind(1, tenant_id);
  std::vector<DirectoryGroup> out;
  while (select.step()) {
    out.push_back({select.integer(0), select.text(1), select.text(2), select.integer(3), select.text(4)});
  }
  return out;
}

std::int64_t DirectoryRepository::upsert_synced_user(std::int64_t tenant_id, const DirectoryUser& user,
                                                     const std::string& ingest_id) {
  if (user.id == 0) {
    db_.prepare(
           std::string(
               "INSERT INTO directory_users (tenant_id, external_id, first_name, last_name, email, phone, "
               "source, created_at, updated_at, last_ingest_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sync', ") +
           kSqlNow + ", " + kSqlNow + ", ?7)")
        .bind(1, tenant_id)
        .bind(2, user.external_id)
        .bind(3, user.first_name)
        .bind(4, user.last_name)
        .bind(5, user.email)
        .bind(6, user.phone)
        .bind(7, ingest_id)
        .run();
    return db_.last_insert_id();
  }
  db_.prepare(
         std::string("UPDATE directory_users SET first_name = ?2, last_name = ?3, email = ?4, phone = ?5, "
                     "deleted_at = NULL, status = 'active', updated_at = ") +
         kSqlNow + ", last_ingest_id = ?6 WHERE id = ?1")
      .bind(1, user.id)
      .bind(2, user.first_name)
      .bind(3, user.last_name)
      .bind(4, user.email)
      .bind(5, user.phone)
      .bind(6, ingest_id)
      .run();
  return user.id;
}

void DirectoryRepository::remove_user(std::int64_t user_id, const std::string& ingest_id) {
  db_.prepare(std::string("UPDATE directory_users SET deleted_at = ") + kSqlNow +
              ", status = 'removed', updated_at = " + kSqlNow + ", last_ingest_id = ?2 WHERE id = ?1")
      .bind(1, user_id)
      .bind(2, ingest_id)
      .run();
}

std::int64_t DirectoryRepository::group_id(std::int64_t tenant_id, const std::string& name,
                                           const std::string& ingest_id) {
  auto select = db_.prepare("SELECT id FROM directory_groups WHERE tenant_id = ?1 AND external_id = ?2");
  select.bind(1, tenant_id).bind(2, name);
  if (select.step()) return select.integer(0);
  db_.prepare(
         std::string(
             "INSERT INTO directory_groups (tenant_id, external_id, name, source, created_at, updated_at, "
             "last_ingest_id) VALUES (?1, ?2, ?2, 'sync', ") +
         kSqlNow + ", " + kSqlNow + ", ?3)")
      .bind(1, tenant_id)
      .bind(2, name)
      .bind(3, ingest_id)
      .run();
  return db_.last_insert_id();
}

void DirectoryRepository::set_user_group(std::int64_t tenant_id, std::int64_t user_id,
                                         const std::string& group, const std::string& ingest_id) {
  db_.prepare("DELETE FROM directory_memberships WHERE user_id = ?1 AND source = 'sync'")
      .bind(1, user_id)
      .run();
  if (group.empty()) return;
  const auto id = group_id(tenant_id, group, ingest_id);
  db_.prepare(
         std::string(
             "INSERT OR IGNORE INTO directory_memberships (user_id, group_id, source, created_at) VALUES "
             "(?1, ?2, 'sync', ") +
         kSqlNow + ")")
      .bind(1, user_id)
      .bind(2, id)
      .run();
}

}  // namespace intake::store
