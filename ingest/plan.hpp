#pragma once
// What a snapshot changes: pure diff of the directory as stored against the users in the file.
//
// A merge join, so that a million-user directory is never held in memory: the file's rows are sorted
// once by username, and the stored users stream past in the same order (the order of the store's
// UNIQUE(tenant_id, external_id) index), one at a time.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "ingest/snapshot.hpp"

namespace intake::ingest {

// A stored user as the planner sees it; the views need only live through add_known().
struct KnownUser {
  std::int64_t id = 0;
  std::string_view external_id, first_name, last_name, email, phone, group;
  bool manual = false;   // created by staff: files never touch it
  bool removed = false;  // soft-deleted
};

struct PlannedWrite {
  std::int64_t id = 0;           // 0: a new user; else the user to update (or bring back)
  const UserRow* row = nullptr;  // into the file's rows, which must outlive the plan
  bool group_changed = true;     // false: the membership stays as it is
};

struct SnapshotPlan {
  std::vector<PlannedWrite> adds;      // new, or removed before and back in the file (file order)
  std::vector<PlannedWrite> updates;   // present, something changed (file order)
  std::vector<std::int64_t> removals;  // synced users missing from the file
  std::size_t unchanged = 0;
  std::vector<RowIssue> skipped;  // rows naming a manually created user
  std::size_t active_synced = 0;  // synced users before this snapshot
};

class SnapshotPlanner {
 public:
  // `keep` lists users named on rows that were skipped for errors: neither updated nor removed.
  // `file` must outlive the planner and its plan; its usernames are unique. `by_username` is the
  // order parse_snapshot found (ParsedSnapshot::by_username); empty, the planner sorts.
  SnapshotPlanner(const std::vector<UserRow>& file, const std::vector<std::string>& keep,
                  const std::vector<std::uint32_t>& by_username = {});
  // Stored users, in ascending byte order of external_id (SQLite's BINARY collation).
  void add_known(const KnownUser& user);
  SnapshotPlan finish();

 private:
  void add_from_file_below(std::string_view external_id);
  std::vector<const UserRow*> sorted_;
  std::size_t next_ = 0;
  std::unordered_set<std::string_view> keep_;
  SnapshotPlan plan_;
};

// The same, for stored users in any order (tests, small callers).
SnapshotPlan plan_snapshot(std::vector<KnownUser> known, const std::vector<UserRow>& file,
                           const std::vector<std::string>& keep = {});

// The mass-removal guard: more than `max_percent` of the synced users, and more than 10 of them.
bool needs_hold(const SnapshotPlan& plan, unsigned max_percent);

}  // namespace intake::ingest
