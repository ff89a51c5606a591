#include "store/directory.hpp"

#include <algorithm>
#include <bit>
#include <unordered_map>

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

std::string field_list(std::string_view prefix) {
  std::string out;
  for (std::size_t i = 0; i < kUserFieldCount; ++i)
    out += std::string(prefix) + std::string(field_name(static_cast<UserField>(i))) + ", ";
  return out;
}

// Records joined by \x1E with \x1F between their parts, as for_each_user and find_users read them.
std::vector<std::vector<std::string_view>> split_records(std::string_view packed) {
  std::vector<std::vector<std::string_view>> records;
  while (!packed.empty()) {
    const auto end = packed.find('\x1e');
    auto record = packed.substr(0, end);
    auto& parts = records.emplace_back();
    while (true) {
      const auto cut = record.find('\x1f');
      parts.push_back(record.substr(0, cut));
      if (cut == std::string_view::npos) break;
      record.remove_prefix(cut + 1);
    }
    if (end == std::string_view::npos) break;
    packed.remove_prefix(end + 1);
  }
  return records;
}

// The same packed records, record by record: its first part and the rest.
template <typename Visit>
void for_each_record(std::string_view packed, Visit visit) {
  while (!packed.empty()) {
    const auto end = packed.find('\x1e');
    const auto record = packed.substr(0, end);
    const auto cut = record.find('\x1f');
    if (cut != std::string_view::npos) visit(record.substr(0, cut), record.substr(cut + 1));
    if (end == std::string_view::npos) break;
    packed.remove_prefix(end + 1);
  }
}

const std::string kContacts =
    "(SELECT group_concat(c.kind || char(31) || c.type || char(31) || c.value || char(31) || c.is_primary, "
    "char(30)) FROM (SELECT * FROM directory_user_contacts WHERE user_id = u.id ORDER BY position) c)";
const std::string kAttributes =
    "(SELECT group_concat(a.name || char(31) || a.value, char(30)) FROM (SELECT * FROM "
    "directory_user_attributes WHERE user_id = u.id ORDER BY name) a)";

}  // namespace

std::string DirectoryUser::phone() const {
  for (const auto& contact : contacts) {
    if (contact.kind == ContactKind::Phone) return contact.value;
  }
  return {};
}

namespace {

// The whole users: users joined with the side tables a spec compares, in external_id order from a
// given key on. A user with several contacts or memberships spans consecutive rows. Joins, not a
// correlated group_concat per user: 1,000,000 LiveSafe users stream in ~1.0 s instead of ~2.1 s.
class WholeUserCursor {
 public:
  WholeUserCursor(Database& db, std::int64_t tenant_id, std::string_view origin, UserStreamParts parts)
      : select_(db.prepare(
            "SELECT u.id, u.external_id, " + field_list("u.") +
            (parts.contacts ? "c.kind, c.type, c.value, " : "NULL, NULL, NULL, ") +
            (parts.attributes ? "a.name, a.value, " : "NULL, NULL, ") +
            (parts.groups ? "m.group_id, " : "NULL, ") +
            "COALESCE(u.origin_file, ''), u.origin_file IS NULL, u.removed_at IS NOT NULL, u.image_digest "
            "FROM directory_users u " +
            (parts.contacts ? "LEFT JOIN directory_user_contacts c ON c.user_id = u.id " : "") +
            (parts.attributes ? "LEFT JOIN directory_user_attributes a ON a.user_id = u.id " : "") +
            "LEFT JOIN directory_memberships m ON " + (parts.groups ? "m.user_id = u.id" : "0") +
            " AND m.origin = ?2 WHERE u.tenant_id = ?1 AND u.external_id >= ?3 ORDER BY u.external_id")),
        tenant_id_(tenant_id),
        origin_(origin) {
    // Group ids map to external ids once (a tenant has few groups).
    if (parts.groups) {
      auto groups = db.prepare("SELECT id, external_id FROM directory_groups WHERE tenant_id = ?1");
      groups.bind(1, tenant_id);
      while (groups.step()) group_ids_.emplace(groups.integer(0), groups.text(1));
    }
  }

  // The next user read is the first whose key is `key` or after it.
  void seek(std::string_view key) {
    select_.reset();
    select_.bind(1, tenant_id_).bind(2, origin_).bind(3, key);
    on_row_ = select_.step();
  }

  // The next user in key order, or nullptr after the last; valid until the next call.
  const StoredUserView* next() {
    if (!on_row_) return nullptr;
    const auto id = select_.integer(0);
    user_.id = id;
    external_id_.assign(select_.text_view(1));
    for (std::size_t i = 0; i < kUserFieldCount; ++i)
      fields_[i].assign(select_.text_view(static_cast<int>(2 + i)));
    origin_file_.assign(select_.text_view(kAfter + 6));
    user_.manual = select_.integer(kAfter + 7) != 0;
    user_.removed = select_.integer(kAfter + 8) != 0;
    user_.image_digest =
        select_.is_null(kAfter + 9) ? std::nullopt : std::optional<std::int64_t>(select_.integer(kAfter + 9));
    contacts_.clear();
    attributes_.clear();
    groups_.clear();
    do {
      if (!select_.is_null(kAfter)) {
        part_.assign(select_.text_view(kAfter))
            .append("\x1f")
            .append(select_.text_view(kAfter + 1))
            .append("\x1f")
            .append(select_.text_view(kAfter + 2));
        add_part(contacts_, part_);
      }
      if (!select_.is_null(kAfter + 3)) {
        part_.assign(select_.text_view(kAfter + 3)).append("\x1f").append(select_.text_view(kAfter + 4));
        add_part(attributes_, part_);
      }
      if (!select_.is_null(kAfter + 5)) {
        if (const auto found = group_ids_.find(select_.integer(kAfter + 5)); found != group_ids_.end())
          add_part(groups_, found->second);
      }
      on_row_ = select_.step();
    } while (on_row_ && select_.integer(0) == id);

    user_.external_id = external_id_;
    for (std::size_t i = 0; i < kUserFieldCount; ++i) user_.fields[i] = fields_[i];
    // Into the reused view vectors (no allocation per user once they have grown).
    user_.contacts.clear();
    for_each_record(contacts_, [&](std::string_view kind, std::string_view rest) {
      const auto cut = rest.find('\x1f');
      user_.contacts.push_back({kind == "email" ? ContactKind::Email : ContactKind::Phone,
                                rest.substr(0, cut), rest.substr(cut + 1)});
    });
    user_.attributes.clear();
    for_each_record(attributes_, [&](std::string_view name, std::string_view value) {
      user_.attributes.push_back({name, value});
    });
    std::replace(groups_.begin(), groups_.end(), '\x1e', '\n');
    user_.groups = groups_;
    user_.origin_file = origin_file_;
    return &user_;
  }

 private:
  static constexpr int kAfter = 2 + static_cast<int>(kUserFieldCount);

  static void add_part(std::string& packed, std::string_view part) {
    // Joined rows repeat a part once per row of the other side tables: keep each once.
    std::string_view rest = packed;
    while (!rest.empty()) {
      const auto end = rest.find('\x1e');
      if (rest.substr(0, end) == part) return;
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
    if (!packed.empty()) packed += '\x1e';
    packed += part;
  }

  Statement select_;
  std::int64_t tenant_id_;
  std::string origin_;
  std::unordered_map<std::int64_t, std::string> group_ids_;
  bool on_row_ = false;
  // The user being gathered: its own copies, as its rows are stepped past.
  std::string external_id_, origin_file_, contacts_, attributes_, groups_, part_;
  std::array<std::string, kUserFieldCount> fields_;
  StoredUserView user_;
};

}  // namespace

void DirectoryRepository::for_each_user(std::int64_t tenant_id, std::string_view origin,
                                        const std::function<bool(const UserSummary&)>& wants_whole,
                                        const std::function<void(const StoredUserView&)>& visit,
                                        UserStreamParts parts) {
  // Two readers over the same key order. The summaries come from the users table alone; the whole
  // users from the join, read only around the users asked for: stepping over a few users between two
  // asked for, seeking past longer runs. When nearly every user is asked for (a file that changes
  // them all), the whole-user join drives instead, as one stream, until asking becomes rare again.
  constexpr std::size_t kStepOver = 16;
  constexpr int kToWhole = 28, kToSummaries = 4;  // users asked for, of the last 32 (the bits of `asked`)
  auto summaries = db_.prepare(
      "SELECT id, external_id, image_digest, COALESCE(origin_file, ''), origin_file IS NULL, "
      "removed_at IS NOT NULL FROM directory_users WHERE tenant_id = ?1 AND external_id >= ?2 "
      "ORDER BY external_id");
  summaries.bind(1, tenant_id).bind(2, "");  // a literal: an empty view binds NULL
  WholeUserCursor whole(db_, tenant_id, origin, parts);
  std::size_t position = 0;  // of the current user, in key order
  std::size_t whole_at = 0;  // the position of the user `whole` reads next
  bool whole_started = false, whole_drives = false;
  std::uint32_t asked = 0;  // bit i: the user i places back was asked for
  UserSummary summary;
  const auto remember = [&](bool asked_for) {
    asked = (asked << 1) | (asked_for ? 1U : 0U);
    return std::popcount(asked);
  };
  for (;; ++position) {
    if (whole_drives) {
      const auto* user = whole.next();
      if (user == nullptr) break;
      ++whole_at;
      summary = {user->id,          user->external_id, user->image_digest,
                 user->origin_file, user->manual,      user->removed};
      const bool asked_for = wants_whole(summary);
      if (asked_for) visit(*user);
      if (remember(asked_for) <= kToSummaries) {
        // Back to the summaries, from the user after this one.
        whole_drives = false;
        summaries.reset();
        summaries.bind(1, tenant_id).bind(2, user->external_id);
        summaries.step();  // this user itself
      }
      continue;
    }
    if (!summaries.step()) break;
    summary.id = summaries.integer(0);
    summary.external_id = summaries.text_view(1);
    summary.image_digest =
        summaries.is_null(2) ? std::nullopt : std::optional<std::int64_t>(summaries.integer(2));
    summary.origin_file = summaries.text_view(3);
    summary.manual = summaries.integer(4) != 0;
    summary.removed = summaries.integer(5) != 0;
    const bool asked_for = wants_whole(summary);
    if (asked_for) {
      if (!whole_started || position - whole_at > kStepOver) {
        whole.seek(summary.external_id);
        whole_started = true;
        whole_at = position;
      }
      const StoredUserView* user = nullptr;
      for (; whole_at <= position; ++whole_at) user = whole.next();
      if (user == nullptr || user->id != summary.id)
        throw DatabaseError(
            "the directory changed while it was being read (user " + std::string(summary.external_id) + ")",
            0);
      visit(*user);
    }
    whole_drives = remember(asked_for) >= kToWhole && asked_for;  // `whole` stands at the next user
  }
}

namespace {

DirectoryUser read_user(const Statement& row) {
  DirectoryUser u;
  u.id = row.integer(0);
  u.external_id = row.text(1);
  for (std::size_t i = 0; i < kUserFieldCount; ++i) u.fields[i] = row.text(static_cast<int>(2 + i));
  constexpr int kAfter = 2 + static_cast<int>(kUserFieldCount);
  if (!row.is_null(kAfter)) {
    for (const auto& parts : split_records(row.text_view(kAfter))) {
      if (parts.size() != 4) continue;
      u.contacts.push_back({parts[0] == "email" ? ContactKind::Email : ContactKind::Phone,
                            std::string(parts[1]), std::string(parts[2]), parts[3] == "1"});
    }
  }
  if (!row.is_null(kAfter + 1)) {
    for (const auto& parts : split_records(row.text_view(kAfter + 1))) {
      if (parts.size() == 2) u.attributes.emplace_back(parts[0], parts[1]);
    }
  }
  if (!row.is_null(kAfter + 2)) {
    for (const auto& parts : split_records(row.text_view(kAfter + 2))) u.groups.emplace_back(parts[0]);
  }
  u.origin_file = row.optional_text(kAfter + 3);
  u.removed_at = row.optional_text(kAfter + 4);
  u.created_at = row.text(kAfter + 5);
  u.updated_at = row.text(kAfter + 6);
  return u;
}

const std::string& user_select() {
  static const std::string select =
      "SELECT u.id, u.external_id, " + field_list("u.") + kContacts + ", " + kAttributes +
      ", (SELECT group_concat(name, char(30)) FROM (SELECT DISTINCT g.name FROM directory_memberships m JOIN "
      "directory_groups g ON g.id = m.group_id WHERE m.user_id = u.id AND g.removed_at IS NULL ORDER BY "
      "g.name)), u.origin_file, u.removed_at, u.created_at, u.updated_at FROM directory_users u ";
  return select;
}

}  // namespace

std::vector<DirectoryUser> DirectoryRepository::find_users(std::int64_t tenant_id, const UserQuery& q) {
  const std::string status = q.status.value_or("active");
  auto select = db_.prepare(
      user_select() +
      "WHERE u.tenant_id = ?1 AND (?2 = 'all' OR (?2 = 'active' AND u.removed_at IS NULL) OR "
      "(?2 = 'removed' AND u.removed_at IS NOT NULL)) AND (?3 IS NULL OR EXISTS (SELECT 1 FROM "
      "directory_memberships m JOIN directory_groups g ON g.id = m.group_id WHERE m.user_id = u.id AND "
      "(g.name = ?3 OR g.external_id = ?3))) AND (?4 IS NULL OR instr(lower(u.external_id || ' ' || "
      "u.login_name || ' ' || u.first_name || ' ' || u.last_name || ' ' || u.display_name || ' ' || "
      "u.email), "
      "lower(?4)) > 0 OR EXISTS (SELECT 1 FROM directory_user_contacts c WHERE c.user_id = u.id AND "
      "instr(lower(c.value), lower(?4)) > 0)) ORDER BY u.external_id LIMIT ?5");
  select.bind(1, tenant_id)
      .bind(2, status)
      .bind_optional(3, q.group)
      .bind_optional(4, q.search)
      .bind(5, q.limit);
  std::vector<DirectoryUser> out;
  while (select.step()) out.push_back(read_user(select));
  return out;
}

std::optional<DirectoryUser> DirectoryRepository::find_user(std::int64_t tenant_id,
                                                            std::string_view external_id) {
  auto select = db_.prepare(user_select() + "WHERE u.tenant_id = ?1 AND u.external_id = ?2");
  select.bind(1, tenant_id).bind(2, external_id);
  if (!select.step()) return std::nullopt;
  return read_user(select);
}

std::vector<DirectoryGroup> DirectoryRepository::groups(std::int64_t tenant_id) {
  auto select = db_.prepare(
      "SELECT g.id, g.external_id, g.name, g.origin_file, (SELECT count(DISTINCT m.user_id) FROM "
      "directory_memberships m JOIN directory_users u ON u.id = m.user_id WHERE m.group_id = g.id AND "
      "u.removed_at IS NULL), g.created_at FROM directory_groups g WHERE g.tenant_id = ?1 AND g.removed_at "
      "IS "
      "NULL ORDER BY g.name");
  select.bind(1, tenant_id);
  std::vector<DirectoryGroup> out;
  while (select.step()) {
    out.push_back({select.integer(0), select.text(1), select.text(2), select.optional_text(3),
                   select.integer(4), select.text(5)});
  }
  return out;
}

std::optional<DirectoryGroup> DirectoryRepository::find_group(std::int64_t tenant_id,
                                                              std::string_view external_id) {
  for (auto& group : groups(tenant_id)) {
    if (group.external_id == external_id) return std::move(group);
  }
  return std::nullopt;
}

StoredGroups DirectoryRepository::stored_groups(std::int64_t tenant_id,
                                                std::optional<std::string_view> members_of) {
  StoredGroups out;
  std::unordered_map<std::int64_t, StoredGroup*> by_id;
  auto select = db_.prepare(
      "SELECT id, external_id, name, origin_file IS NULL FROM directory_groups WHERE tenant_id = ?1 AND "
      "removed_at IS NULL");
  select.bind(1, tenant_id);
  while (select.step()) {
    auto& group = out[select.text(1)];
    group.name = select.text(2);
    group.manual = select.integer(3) != 0;
    by_id.emplace(select.integer(0), &group);
  }
  if (!members_of) return out;
  auto members = db_.prepare(
      "SELECT m.group_id, u.external_id, u.id FROM directory_memberships m JOIN directory_users u ON u.id = "
      "m.user_id WHERE u.tenant_id = ?1 AND m.origin = ?2");
  members.bind(1, tenant_id).bind(2, *members_of);
  while (members.step()) {
    if (const auto found = by_id.find(members.integer(0)); found != by_id.end())
      found->second->members.emplace_back(members.text(1), members.integer(2));
  }
  return out;
}

std::int64_t DirectoryRepository::write_user(std::int64_t tenant_id, const UserWrite& user,
                                             std::string_view by) {
  const auto origin = user.origin_file ? std::optional<std::string>(*user.origin_file) : std::nullopt;
  const auto bind_fields = [&](Statement& statement, int first) {
    for (std::size_t i = 0; i < kUserFieldCount; ++i) {
      const int index = first + static_cast<int>(i);
      if (!user.fields[i]) {
        statement.bind_null(index);
      } else if (static_cast<UserField>(i) == UserField::AccountStatus && user.fields[i]->empty()) {
        statement.bind(index, "active");  // an empty status cell means the default, not a value
      } else {
        statement.bind(index, *user.fields[i]);
      }
    }
  };
  // After the fields (?5 …): the digest of what an ingest wrote, or NULL for any other writer.
  static const std::string kDigestParameter = std::to_string(5 + kUserFieldCount);
  const auto bind_digest = [&](Statement& statement) {
    const int index = static_cast<int>(5 + kUserFieldCount);
    if (user.image_digest) {
      statement.bind(index, *user.image_digest);
    } else {
      statement.bind_null(index);
    }
  };
  std::int64_t id = user.id;
  if (id == 0) {
    static const std::string insert = [] {
      std::string columns, values;
      for (std::size_t i = 0; i < kUserFieldCount; ++i) {
        const auto name = std::string(field_name(static_cast<UserField>(i)));
        columns += ", " + name;
        values += ", COALESCE(?" + std::to_string(5 + i) + ", " +
                  (static_cast<UserField>(i) == UserField::AccountStatus ? "'active'" : "''") + ")";
      }
      return "INSERT INTO directory_users (tenant_id, external_id, origin_file, last_ingest_id, created_at, "
             "updated_at, image_digest" +
             columns + ") VALUES (?1, ?2, ?3, ?4, " + kSqlNow + ", " + kSqlNow + ", ?" + kDigestParameter +
             values + ")";
    }();
    auto statement = db_.prepare(insert);
    statement.bind(1, tenant_id).bind(2, user.external_id).bind_optional(3, origin).bind(4, by);
    bind_fields(statement, 5);
    bind_digest(statement);
    statement.run();
    id = db_.last_insert_id();
  } else {
    // Only the columns being written: SQLite rewrites an index entry whenever its column is assigned,
    // even to the same value, and external_id and email are indexed. A handful of texts per profile
    // (the statement cache keeps them prepared).
    // One text per set of columns written, built once (a million-row update asks for the same few).
    std::uint32_t shape = user.key_changed ? 1U : 0U;
    for (std::size_t i = 0; i < kUserFieldCount; ++i) shape |= (user.fields[i] ? 1U : 0U) << (i + 1);
    thread_local std::unordered_map<std::uint32_t, std::string> updates;
    auto& sql = updates[shape];
    if (sql.empty()) {
      sql =
          "UPDATE directory_users SET origin_file = ?3, removed_at = NULL, removed_by = NULL, updated_at = " +
          std::string(kSqlNow) + ", last_ingest_id = ?4, image_digest = ?" + kDigestParameter;
      if (user.key_changed) sql += ", external_id = ?2";  // adopted: the file's key
      for (std::size_t i = 0; i < kUserFieldCount; ++i) {
        if (user.fields[i])
          sql += ", " + std::string(field_name(static_cast<UserField>(i))) + " = ?" + std::to_string(5 + i);
      }
      sql += " WHERE id = ?1";
    }
    auto statement = db_.prepare(sql);
    statement.bind(1, id).bind_optional(3, origin).bind(4, by);
    bind_digest(statement);
    if (user.key_changed) statement.bind(2, user.external_id);
    for (std::size_t i = 0; i < kUserFieldCount; ++i) {
      if (!user.fields[i]) continue;
      const auto empty_status =
          static_cast<UserField>(i) == UserField::AccountStatus && user.fields[i]->empty();
      statement.bind(static_cast<int>(5 + i), empty_status ? std::string_view("active") : *user.fields[i]);
    }
    statement.run();
  }
  if (user.password_hash) {
    db_.prepare("UPDATE directory_users SET password_hash = ?2 WHERE id = ?1")
        .bind(1, id)
        .bind(2, *user.password_hash)
        .run();
  }
  for (const auto& contact : user.contacts) {
    if (contact.value.empty()) {
      db_.prepare("DELETE FROM directory_user_contacts WHERE user_id = ?1 AND kind = ?2 AND type = ?3")
          .bind(1, id)
          .bind(2, contact_kind_name(contact.kind))
          .bind(3, contact.type)
          .run();
      continue;
    }
    db_.prepare(
           "INSERT INTO directory_user_contacts (user_id, kind, type, value, is_primary, position) VALUES "
           "(?1, ?2, "
           "?3, ?4, ?5, ?6) ON CONFLICT (user_id, kind, type) DO UPDATE SET value = excluded.value")
        .bind(1, id)
        .bind(2, contact_kind_name(contact.kind))
        .bind(3, contact.type)
        .bind(4, contact.value)
        .bind(5, std::int64_t{contact.primary})
        .bind(6, std::int64_t{contact.position})
        .run();
  }
  for (const auto& [name, value] : user.attributes) {
    if (value.empty()) {
      db_.prepare("DELETE FROM directory_user_attributes WHERE user_id = ?1 AND name = ?2")
          .bind(1, id)
          .bind(2, name)
          .run();
    } else {
      db_.prepare(
             "INSERT INTO directory_user_attributes (user_id, name, value) VALUES (?1, ?2, ?3) ON CONFLICT "
             "(user_id, name) DO UPDATE SET value = excluded.value")
          .bind(1, id)
          .bind(2, name)
          .bind(3, value)
          .run();
    }
  }
  return id;
}

void DirectoryRepository::remove_user(std::int64_t user_id, std::string_view by) {
  db_.prepare(std::string("UPDATE directory_users SET removed_at = ") + kSqlNow +
              ", removed_by = ?2, updated_at = " + kSqlNow +
              ", last_ingest_id = ?2, image_digest = NULL WHERE id = ?1")
      .bind(1, user_id)
      .bind(2, by)
      .run();
}

void DirectoryRepository::confirm_image_digest(std::int64_t user_id, std::int64_t digest) {
  db_.prepare("UPDATE directory_users SET image_digest = ?2 WHERE id = ?1")
      .bind(1, user_id)
      .bind(2, digest)
      .run();
}

std::optional<std::int64_t> DirectoryRepository::group_id(std::int64_t tenant_id,
                                                          std::string_view external_id) {
  const auto ref = group_ref(tenant_id, external_id);
  return ref ? std::optional(ref->first) : std::nullopt;
}

std::optional<std::pair<std::int64_t, bool>> DirectoryRepository::group_ref(std::int64_t tenant_id,
                                                                            std::string_view external_id) {
  auto select = db_.prepare(
      "SELECT id, removed_at IS NOT NULL FROM directory_groups WHERE tenant_id = ?1 AND external_id = ?2");
  select.bind(1, tenant_id).bind(2, external_id);
  if (select.step()) return std::pair{select.integer(0), select.integer(1) != 0};
  return std::nullopt;
}

std::size_t DirectoryRepository::set_memberships(std::int64_t tenant_id, std::int64_t user_id,
                                                 std::string_view origin,
                                                 const std::vector<std::string_view>& group_ids,
                                                 bool create_missing, std::string_view by) {
  db_.prepare("DELETE FROM directory_memberships WHERE user_id = ?1 AND origin = ?2")
      .bind(1, user_id)
      .bind(2, origin)
      .run();
  std::size_t created = 0;
  for (const auto external_id : group_ids) {
    const auto ref = group_ref(tenant_id, external_id);
    std::optional<std::int64_t> id;
    if (ref) id = ref->first;
    if (ref && ref->second) {         // removed since, by hand or by a group file
      if (!create_missing) continue;  // never a member of a group that is gone
      // A file that creates the groups it names brings this one back.
      db_.prepare(
             std::string("UPDATE directory_groups SET removed_at = NULL, origin_file = ?2, last_ingest_id = "
                         "?3, updated_at = ") +
             kSqlNow + " WHERE id = ?1")
          .bind(1, *id)
          .bind(2, origin)
          .bind(3, by)
          .run();
      ++created;
    }
    if (!id) {
      if (!create_missing) continue;
      db_.prepare(std::string(
                      "INSERT INTO directory_groups (tenant_id, external_id, name, origin_file, created_at, "
                      "updated_at, last_ingest_id) VALUES (?1, ?2, ?2, ?3, ") +
                  kSqlNow + ", " + kSqlNow + ", ?4)")
          .bind(1, tenant_id)
          .bind(2, external_id)
          .bind(3, origin)
          .bind(4, by)
          .run();
      id = db_.last_insert_id();
      ++created;
    }
    db_.prepare(
           std::string("INSERT OR IGNORE INTO directory_memberships (user_id, group_id, origin, created_at) "
                       "VALUES (?1, ?2, ?3, ") +
           kSqlNow + ")")
        .bind(1, user_id)
        .bind(2, *id)
        .bind(3, origin)
        .run();
  }
  return created;
}

bool DirectoryRepository::put_group(std::int64_t tenant_id, std::string_view external_id,
                                    std::string_view name, std::string_view origin, std::string_view by) {
  if (const auto existing = group_id(tenant_id, external_id)) {
    // A removed group comes back under the file that names it.
    auto update =
        db_.prepare(std::string("UPDATE directory_groups SET name = ?2, origin_file = CASE WHEN "
                                "removed_at IS NULL THEN origin_file ELSE ?3 END, removed_at = NULL, "
                                "last_ingest_id = ?4, updated_at = ") +
                    kSqlNow + " WHERE id = ?1");
    update.bind(1, *existing).bind(2, name).bind(3, origin).bind(4, by).run();
    return false;
  }
  db_.prepare(
         std::string("INSERT INTO directory_groups (tenant_id, external_id, name, origin_file, created_at, "
                     "updated_at, last_ingest_id) VALUES (?1, ?2, ?3, ?4, ") +
         kSqlNow + ", " + kSqlNow + ", ?5)")
      .bind(1, tenant_id)
      .bind(2, external_id)
      .bind(3, name)
      .bind(4, origin)
      .bind(5, by)
      .run();
  return true;
}

void DirectoryRepository::set_membership(std::int64_t tenant_id, std::string_view group_external_id,
                                         std::int64_t user_id, std::string_view origin, bool member) {
  const auto group = group_id(tenant_id, group_external_id);
  if (!group) return;
  if (member) {
    db_.prepare(std::string("INSERT OR IGNORE INTO directory_memberships (user_id, group_id, origin, "
                            "created_at) VALUES (?1, ?2, ?3, ") +
                kSqlNow + ")")
        .bind(1, user_id)
        .bind(2, *group)
        .bind(3, origin)
        .run();
  } else {
    db_.prepare("DELETE FROM directory_memberships WHERE user_id = ?1 AND group_id = ?2 AND origin = ?3")
        .bind(1, user_id)
        .bind(2, *group)
        .bind(3, origin)
        .run();
  }
}

bool DirectoryRepository::add_group(std::int64_t tenant_id, std::string_view external_id,
                                    std::string_view name) {
  if (const auto existing = group_id(tenant_id, external_id)) {
    auto revive =
        db_.prepare(std::string("UPDATE directory_groups SET removed_at = NULL, name = ?2, origin_file = "
                                "NULL, updated_at = ") +
                    kSqlNow + " WHERE id = ?1 AND removed_at IS NOT NULL");
    revive.bind(1, *existing).bind(2, name).run();
    return db_.changes() > 0;
  }
  db_.prepare(
         std::string("INSERT INTO directory_groups (tenant_id, external_id, name, origin_file, created_at, "
                     "updated_at) VALUES (?1, ?2, ?3, NULL, ") +
         kSqlNow + ", " + kSqlNow + ")")
      .bind(1, tenant_id)
      .bind(2, external_id)
      .bind(3, name)
      .run();
  return true;
}

bool DirectoryRepository::remove_group(std::int64_t tenant_id, std::string_view external_id,
                                       std::string_view by) {
  const auto id = group_id(tenant_id, external_id);
  if (!id) return false;
  db_.prepare(std::string("UPDATE directory_groups SET removed_at = ") + kSqlNow +
              ", updated_at = " + kSqlNow + ", last_ingest_id = ?2 WHERE id = ?1 AND removed_at IS NULL")
      .bind(1, *id)
      .bind(2, by)
      .run();
  if (db_.changes() == 0) return false;
  // Its members' images lose the group: their digests no longer describe them.
  db_.prepare(
         "UPDATE directory_users SET image_digest = NULL WHERE id IN (SELECT user_id FROM "
         "directory_memberships WHERE group_id = ?1)")
      .bind(1, *id)
      .run();
  db_.prepare("DELETE FROM directory_memberships WHERE group_id = ?1").bind(1, *id).run();
  return true;
}

void DirectoryRepository::add_membership(std::int64_t user_id, std::int64_t group_id) {
  db_.prepare(
         std::string(
             "INSERT OR IGNORE INTO directory_memberships (user_id, group_id, origin, created_at) VALUES "
             "(?1, ?2, '', ") +
         kSqlNow + ")")
      .bind(1, user_id)
      .bind(2, group_id)
      .run();
}

}  // namespace intake::store
