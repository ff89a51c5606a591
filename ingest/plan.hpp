#pragma once
// What a snapshot changes: pure diff of the directory as stored against the users in the file.
#include <cstdint>
#include <string>
#include <vector>

#include "ingest/snapshot.hpp"

namespace intake::ingest {

struct KnownUser {
  std::int64_t id = 0;
  std::string external_id, first_name, last_name, email, phone, group;
  bool manual = false;   // created by staff: files never touch it
  bool removed = false;  // soft-deleted
};

struct PlannedWrite {
  std::int64_t id = 0;  // 0: a new user; else the user to update (or bring back)
  UserRow row;
};

struct SnapshotPlan {
  std::vector<PlannedWrite> adds;      // new, or removed before and back in the file
  std::vector<PlannedWrite> updates;   // present, something changed
  std::vector<std::int64_t> removals;  // synced users missing from the file
  std::size_t unchanged = 0;
  std::vector<RowIssue> skipped;  // rows naming a manually created user
  std::size_t active_synced = 0;  // synced users before this snapshot
};

// `keep` lists users named on rows that were skipped for errors: neither updated nor removed.
SnapshotPlan plan_snapshot(const std::vector<KnownUser>& known, const std::vector<UserRow>& file,
                           const std::vector<std::string>& keep = {});

// The mass-removal guard: more than `max_percent` of the synced users, and more than 10 of them.
bool needs_hold(const SnapshotPlan& plan, unsigned max_percent);

}  // namespace intake::ingest
