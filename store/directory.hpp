#pragma once
// The user/group directory a tenant's files are applied to (schema v6, docs/PROFILES.md): users with
// their fields, contacts and attributes, groups with an id distinct from their name, and memberships,
// each knowing the file that brought it (or that a person added it by hand).
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace intake::store {

class Database;

// The user fields of the directory model, in the order of their columns.
enum class UserField {
  LoginName,
  Email,
  FirstName,
  LastName,
  DisplayName,
  Title,
  Language,
  AccountStatus,  // active | inactive (SAP's status), separate from present/removed
  ValidFrom,
  ValidTo,
};
inline constexpr std::size_t kUserFieldCount = 10;
// The column: "login_name", … (inline: the pure profile engine names fields without linking the store).
inline std::string_view field_name(UserField field) {
  constexpr std::array<std::string_view, kUserFieldCount> kNames{
      "login_name", "email",    "first_name",     "last_name",  "display_name",
      "title",      "language", "account_status", "valid_from", "valid_to"};
  return kNames[static_cast<std::size_t>(field)];
}

enum class ContactKind { Email, Phone };
inline std::string_view contact_kind_name(ContactKind kind) {
  return kind == ContactKind::Email ? "email" : "phone";
}

struct Contact {
  ContactKind kind = ContactKind::Phone;
  std::string type;  // mobile, primary, secondary, work, …
  std::string value;
  bool primary = false;
};

struct DirectoryUser {
  std::int64_t id = 0;
  std::string external_id;
  std::array<std::string, kUserFieldCount> fields;
  std::vector<Contact> contacts;                                // in list order
  std::vector<std::pair<std::string, std::string>> attributes;  // by name
  std::vector<std::string> groups;                              // group names, by name
  std::optional<std::string> origin_file;                       // nullopt: created by hand
  std::optional<std::string> removed_at;
  std::string created_at, updated_at;

  const std::string& field(UserField f) const { return fields[static_cast<std::size_t>(f)]; }
  std::string phone() const;  // the first phone contact ("" for none)
};

struct ContactView {
  ContactKind kind = ContactKind::Phone;
  std::string_view type, value;
};
struct AttributeView {
  std::string_view name, value;
};

// One stored user as an ingest streams past it; views valid during the call only.
struct StoredUserView {
  std::int64_t id = 0;
  std::string_view external_id;
  std::array<std::string_view, kUserFieldCount> fields;
  std::vector<ContactView> contacts;
  std::vector<AttributeView> attributes;
  std::string_view groups;  // external ids of the groups the given origin brought, joined by \n
  std::string_view origin_file;
  bool manual = false;
  bool removed = false;
  std::optional<std::int64_t> image_digest;  // see UserWrite::image_digest
};

// The same user before its side tables are read: enough, with a digest, to know it is unchanged.
struct UserSummary {
  std::int64_t id = 0;
  std::string_view external_id;
  std::optional<std::int64_t> image_digest;
  std::string_view origin_file;
  bool manual = false;
  bool removed = false;
};

struct DirectoryGroup {
  std::int64_t id = 0;
  std::string external_id, name;
  std::optional<std::string> origin_file;  // nullopt: created by hand
  std::int64_t members = 0;
  std::string created_at;
};

// A group as an ingest plans against it (StoredGroups: external id -> this); present groups only.
struct StoredGroup {
  std::string name;
  bool manual = false;  // created by hand: files do not rename or delete it
  // The members a given origin brought, as (user key, user id), when asked for.
  std::vector<std::pair<std::string, std::int64_t>> members;
};
using StoredGroups = std::unordered_map<std::string, StoredGroup>;

struct UserQuery {
  std::optional<std::string> group, status, search;  // status: active | removed | all
  std::int64_t limit = 1000;
};

// A user to write. Fields, contacts and attributes left nullopt are not the writer's business and
// stay as they are; an empty value clears.
struct UserWrite {
  std::int64_t id = 0;  // 0 inserts
  std::string_view external_id;
  bool key_changed = false;  // an update that gives the user this external_id (adoption)
  std::array<std::optional<std::string_view>, kUserFieldCount> fields;
  struct ContactValue {
    ContactKind kind;
    std::string_view type, value;  // empty value: the contact is removed
    int position = 0;              // its place in the user's list
    bool primary = false;
  };
  std::vector<ContactValue> contacts;
  std::vector<std::pair<std::string_view, std::string_view>> attributes;  // empty value: removed
  std::optional<std::string_view> origin_file;                            // nullopt: by hand
  // What the ingest that writes the user computed over the image it wrote (ingest/image.hpp); nullopt
  // for every other writer. Any write stores it, so a user changed by anything but an ingest of its
  // file never looks unchanged to the next one.
  std::optional<std::int64_t> image_digest;
  // An initial password's hash (a PHC string) to store; nullopt: the stored one stays.
  std::optional<std::string_view> password_hash;
};

// What an ingest's file spec compares, besides the user's fields: reading only that keeps a
// million-user stream cheap.
struct UserStreamParts {
  bool contacts = true, attributes = true, groups = true;
};

class DirectoryRepository {
 public:
  explicit DirectoryRepository(Database& db) : db_(db) {}

  // Every user of the tenant, removed ones included, one at a time, in ascending byte order of
  // external_id (the UNIQUE index's order), so that a million-user directory is compared with a file
  // without being held in memory. Each comes as a summary first; `wants_whole` says whether the whole
  // user is needed, and `visit` then receives it before the next summary (its `groups`: the
  // memberships `origin` brought). An ingest that finds most users unchanged by their digests reads
  // the users table only.
  void for_each_user(std::int64_t tenant_id, std::string_view origin,
                     const std::function<bool(const UserSummary&)>& wants_whole,
                     const std::function<void(const StoredUserView&)>& visit, UserStreamParts parts = {});
  std::vector<DirectoryUser> find_users(std::int64_t tenant_id, const UserQuery& query);
  std::optional<DirectoryUser> find_user(std::int64_t tenant_id, std::string_view external_id);
  std::vector<DirectoryGroup> groups(std::int64_t tenant_id);
  std::optional<DirectoryGroup> find_group(std::int64_t tenant_id, std::string_view external_id);
  // Present groups by external id, with the members `members_of` brought when given.
  StoredGroups stored_groups(std::int64_t tenant_id, std::optional<std::string_view> members_of);

  // Inside the caller's transaction. Returns the user's id. A write brings a removed user back.
  // `by`: the ingest id, or the person (manual changes).
  std::int64_t write_user(std::int64_t tenant_id, const UserWrite& user, std::string_view by);
  void remove_user(std::int64_t user_id, std::string_view by);
  // An ingest found the user, compared whole, as its file describes it: the digest of that image.
  void confirm_image_digest(std::int64_t user_id, std::int64_t digest);
  // Replaces the memberships `origin` brought ('' : by hand) with `group_ids`, creating missing
  // groups (named by their id) and bringing removed ones back when `create_missing` (else a removed
  // group is skipped like a missing one); returns how many groups it created or brought back. Part of
  // writing a user: it leaves the digest to the write_user of the same step (files' memberships are
  // in their images, so a caller that changes them without that write must clear the digest).
  std::size_t set_memberships(std::int64_t tenant_id, std::int64_t user_id, std::string_view origin,
                              const std::vector<std::string_view>& group_ids, bool create_missing,
                              std::string_view by);
  // A file's group: created (or brought back) with this name, or renamed. Returns true when created.
  bool put_group(std::int64_t tenant_id, std::string_view external_id, std::string_view name,
                 std::string_view origin, std::string_view by);
  // One membership a file brings or takes away (membership_reset). Files' memberships are in the
  // images only of files that list users' groups, whose origin this is not: digests stay valid.
  void set_membership(std::int64_t tenant_id, std::string_view group_external_id, std::int64_t user_id,
                      std::string_view origin, bool member);
  // Groups by hand. add: false when the id is taken. remove: false when there is none.
  bool add_group(std::int64_t tenant_id, std::string_view external_id, std::string_view name);
  bool remove_group(std::int64_t tenant_id, std::string_view external_id, std::string_view by);
  void add_membership(std::int64_t user_id, std::int64_t group_id);  // by hand

 private:
  std::optional<std::int64_t> group_id(std::int64_t tenant_id, std::string_view external_id);
  // The group's id and whether it is removed.
  std::optional<std::pair<std::int64_t, bool>> group_ref(std::int64_t tenant_id,
                                                         std::string_view external_id);
  Database& db_;
};

}  // namespace intake::store
