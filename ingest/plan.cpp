#include "ingest/plan.hpp"

#include <algorithm>

namespace intake::ingest {

SnapshotPlanner::SnapshotPlanner(const std::vector<UserRow>& file, const std::vector<std::string>& keep,
                                 const std::vector<std::uint32_t>& by_username)
    : keep_(keep.begin(), keep.end()) {
  sorted_.reserve(file.size());
  if (by_username.size() == file.size()) {
    for (const auto index : by_username) sorted_.push_back(&file[index]);
    return;
  }
  for (const auto& row : file) sorted_.push_back(&row);
  std::sort(sorted_.begin(), sorted_.end(),
            [](const UserRow* a, const UserRow* b) { return a->external_id < b->external_id; });
}

void SnapshotPlanner::add_from_file_below(std::string_view external_id) {
  while (next_ < sorted_.size() && sorted_[next_]->external_id < external_id) {
    plan_.adds.push_back({0, sorted_[next_++], true});
  }
}

void SnapshotPlanner::add_known(const KnownUser& user) {
  if (!user.manual && !user.removed) ++plan_.active_synced;
  add_from_file_below(user.external_id);
  if (next_ == sorted_.size() || sorted_[next_]->external_id != user.external_id) {
    // Not in the file.
    if (!user.manual && !user.removed && !keep_.contains(user.external_id)) plan_.removals.push_back(user.id);
    return;
  }
  const UserRow& row = *sorted_[next_++];
  const bool group_changed = user.group != row.group;
  if (user.manual) {
    plan_.skipped.push_back(
        {row.line, "username",
         "user '" + row.external_id + "' was created by hand in the directory; files do not change it"});
  } else if (user.removed) {
    plan_.adds.push_back({user.id, &row, group_changed});
  } else if (user.first_name == row.first_name && user.last_name == row.last_name &&
             user.email == row.email && user.phone == row.phone && !group_changed) {
    ++plan_.unchanged;
  } else {
    plan_.updates.push_back({user.id, &row, group_changed});
  }
}

SnapshotPlan SnapshotPlanner::finish() {
  while (next_ < sorted_.size()) plan_.adds.push_back({0, sorted_[next_++], true});
  // Report and apply in the file's order, as the customer wrote it.
  const auto by_line = [](const PlannedWrite& a, const PlannedWrite& b) { return a.row->line < b.row->line; };
  std::sort(plan_.adds.begin(), plan_.adds.end(), by_line);
  std::sort(plan_.updates.begin(), plan_.updates.end(), by_line);
  std::sort(plan_.skipped.begin(), plan_.skipped.end(),
            [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; });
  return std::move(plan_);
}

SnapshotPlan plan_snapshot(std::vector<KnownUser> known, const std::vector<UserRow>& file,
                           const std::vector<std::string>& keep) {
  std::sort(known.begin(), known.end(),
            [](const KnownUser& a, const KnownUser& b) { return a.external_id < b.external_id; });
  SnapshotPlanner planner(file, keep);
  for (const auto& user : known) planner.add_known(user);
  return planner.finish();
}

bool needs_hold(const SnapshotPlan& plan, unsigned max_percent) {
  const auto removals = plan.removals.size();
  return removals > 10 && removals * 100 > static_cast<std::size_t>(max_percent) * plan.active_synced;
}

}  // namespace intake::ingest
