#pragma once
// The profile engine's deciding half: what a parsed file changes in the directory. Pure.
//
// A merge join, so that a million-user directory is never held in memory: the file's rows are sorted
// once by key, and the stored users stream past in the same order (the order of the store's
// UNIQUE(tenant_id, external_id) index), one at a time. Each user is compared as an image over the
// file's slots (image.hpp): one byte comparison says whether anything changed.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ingest/file_parser.hpp"
#include "ingest/image.hpp"

namespace intake::ingest {

enum class WriteKind {
  Add,       // a new user
  Comeback,  // removed before, back in the file
  Update,    // present, something the file manages changed
  Adopt,     // created by hand, its e-mail is in the file: the file takes it over (Cosafe)
};
std::string_view write_kind_name(WriteKind kind);  // "added", "brought back", "updated", "adopted"

struct PlannedWrite {
  WriteKind kind = WriteKind::Add;
  std::int64_t id = 0;           // the user to update; 0 for a new one
  const FileRow* row = nullptr;  // into the parsed file, which must outlive the plan
  // Bit i: slot i differs from what is stored (all set for new users and specs of more than 64 slots),
  // so that applying writes only what changed.
  std::uint64_t changed_slots = ~std::uint64_t{0};
  std::optional<std::int64_t> digest;  // of the row's image, to store with the user (Options::digest_seed)
  bool changed(std::size_t slot) const { return slot >= 64 || ((changed_slots >> slot) & 1) != 0; }
};

struct PlannedRemoval {
  std::int64_t id = 0;
  std::string key;
};

using store::StoredGroup;
using store::StoredGroups;

// group_ops: one group to create, rename or delete, in the file's line order.
enum class GroupWriteKind { Create, Rename, Delete };
struct GroupWrite {
  GroupWriteKind kind = GroupWriteKind::Create;
  std::string id, name;
};

// membership_reset: one membership the file's origin brings or takes away. user_id 0: a stub user
// this plan adds (its write has the same key).
struct MembershipWrite {
  std::string group;
  std::int64_t user_id = 0;
  std::string user_key;
  bool add = true;
};

// One change, as support and the customer read it: which user, what happened, which fields went
// from what to what ("first_name": ["Ann", "Anne"]), and the line of the file that caused it.
struct Change {
  std::string key;
  std::string_view entity = "user";  // user, group or membership (ingest_changes.entity)
  std::string operation;             // added, brought back, updated, adopted, removed
  std::vector<std::pair<std::string, std::pair<std::string, std::string>>> fields;
  std::size_t line = 0;  // 0: not from a line (a removal)
};

// What the plan does with one row of the file.
enum class RowResult : std::uint8_t {
  Unchanged,
  Added,
  BroughtBack,
  Updated,
  Adopted,
  Removed,  // delete_list, group_ops: the row removed its user or group
  Invalid,
  Skipped
};

struct Plan {
  std::vector<PlannedWrite> writes;  // in the file's line order
  // Per row of the file (an index into ParsedFile::rows): the results file's source. The reasons of
  // invalid and skipped rows are in `invalid` and `skipped`.
  std::vector<RowResult> row_results;
  std::vector<PlannedRemoval> removals;
  std::size_t added = 0, brought_back = 0, updated = 0, adopted = 0, unchanged = 0;
  std::size_t memberships_added = 0, memberships_removed = 0;
  std::vector<GroupWrite> group_writes;  // group_ops
  std::size_t groups_added = 0, groups_renamed = 0, groups_removed = 0;
  std::vector<MembershipWrite> membership_writes;  // membership_reset
  std::vector<RowIssue> skipped;  // rows naming a user created by hand, which files do not change
  std::vector<RowIssue> invalid;  // rows the directory makes invalid (unknown group, changed e-mail)
  std::size_t invalid_count = 0;
  std::size_t active_synced = 0;  // users this file had synced before (the mass-removal guard's base)
  // Unchanged users whose stored digest did not say so (none yet, or an older rule): user id and the
  // digest to store, so that the next upload finds them by digest.
  std::vector<std::pair<std::int64_t, std::int64_t>> digests_to_confirm;
};

class Planner {
 public:
  struct Options {
    std::string_view file_name;  // the snapshot's scope: it removes only the users it synced
    // The groups that exist: read when the spec says groups must exist, names groups or resets their
    // members (with each group's members from this file's origin).
    const StoredGroups* groups = nullptr;
    std::size_t max_issues_kept = 1000;
    // image_seed() for this file: writes carry the digests of their images, and add_summary can tell
    // an unchanged user without its whole record. nullopt: no digests.
    std::optional<std::int64_t> digest_seed = std::nullopt;
    // membership_reset: a user id the directory lacks makes a stub user instead of an invalid row.
    bool create_missing_users = false;
  };
  // `file` must outlive the planner and its plan. `on_change` hears every change, as decided.
  Planner(const FileSpec& spec, const ParsedFile& file, Options options,
          std::function<void(const Change&)> on_change = {});
  // Stored users, in ascending byte order of key (SQLite's BINARY collation).
  void add_known(const StoredUser& user);
  // The same, from a summary: true when that was enough (the user is not in the file, or its digest
  // says it is unchanged); false when add_known must follow with the whole user.
  bool add_summary(const StoredSummary& user);
  Plan finish();

 private:
  // delete_list and membership_reset rows name users without describing them: each row learns its
  // user (id 0: none) from the stream.
  struct RowUser {
    std::int64_t id = 0;
    bool manual = false, removed = false;
  };
  bool rows_name_users() const;
  void resolve_rows(std::int64_t id, std::string_view key, bool manual, bool removed);
  static std::string exists_unchanged(std::string_view key);
  static std::string made_by_hand(std::string_view what, std::string_view key);  // "user 'x' was created …"
  void skip(const FileRow& row, std::string message);
  std::size_t index_of(const FileRow& row) const;  // into the file's rows (and the plan's row results)
  void finish_delete_list();
  void finish_group_ops();
  void finish_membership_reset();
  void add_from_file_below(std::string_view key);
  const FileRow* file_row(std::string_view key) const;  // the next file row, when it has this key
  void not_in_file(std::int64_t id, std::string_view key, bool in_scope);
  std::optional<std::int64_t> digest_of(const FileRow& row) const;
  std::optional<std::string> directory_problem(const FileRow& row, std::string_view stored_email) const;
  void emit(WriteKind kind, const FileRow& row, std::string_view before);
  void invalid(const FileRow& row, std::string column, std::string message);
  void set_result(const FileRow& row, RowResult result);
  std::string_view slot_of(const FileRow& row, std::optional<std::size_t> slot) const;
  std::uint64_t changed_slots(std::string_view before, std::string_view after) const;

  const FileSpec& spec_;
  const ParsedFile& file_;
  Options options_;
  std::function<void(const Change&)> on_change_;
  std::vector<const FileRow*> sorted_;
  std::size_t next_ = 0;
  std::unordered_set<std::string_view> kept_;
  std::optional<std::size_t> email_slot_, login_slot_, groups_slot_;
  std::vector<const FileRow*> pending_adds_;  // new keys: decided at finish (adoption, login names)
  std::vector<RowUser> row_users_;            // by row index, when rows_name_users()
  struct Known {
    std::int64_t id;
    std::string image, email;
  };
  std::unordered_map<std::string, Known> manual_by_email_;       // lower-case e-mail
  std::unordered_map<std::string, std::string> email_by_login_;  // login name -> e-mail
  Plan plan_;
};

// The same, for stored users in any order (tests, small callers).
Plan plan_file(const FileSpec& spec, const ParsedFile& file, std::vector<StoredUser> known,
               Planner::Options options, std::function<void(const Change&)> on_change = {});

// Every problem of a file, in line order, at most `limit`: row errors and rows left out by a filter
// (parse), rows the directory made invalid and rows naming users made by hand (plan).
std::vector<RowIssue> all_issues(const ParsedFile& file, const Plan& plan, std::size_t limit = 1000);

// The invalid-row guard: more than `max_percent` of the file's rows are invalid. Says so ("3 of 10
// rows are invalid (more than 10%)"), for the caller to add what follows from it; nullopt when within.
std::optional<std::string> too_many_invalid(std::size_t invalid, std::size_t records, unsigned max_percent);

// The mass-removal guard: more than `max_percent` of the users the file synced, and more than 10. Only
// a snapshot removes users by leaving them out; a delete list names each one.
bool needs_hold(const FileSpec& spec, const Plan& plan, unsigned max_percent);

// A change's fields, from a stored image (empty for a new user) to the row's image.
Change describe_change(const FileSpec& spec, const std::vector<bool>& managed, std::string_view key,
                       std::string_view operation, std::string_view before, std::string_view after,
                       std::size_t line);

}  // namespace intake::ingest
