#include "ingest/plan.hpp"

#include <unordered_map>
#include <unordered_set>

namespace intake::ingest {

SnapshotPlan plan_snapshot(const std::vector<KnownUser>& known, const std::vector<UserRow>& file,
                           const std::vector<std::string>& keep) {
  SnapshotPlan plan;
  std::unordered_map<std::string_view, const KnownUser*> by_id;
  for (const auto& user : known) {
    by_id.emplace(user.external_id, &user);
    if (!user.manual && !user.removed) ++plan.active_synced;
  }
  std::unordered_set<std::string_view> in_file(keep.begin(), keep.end());
  for (const auto& row : file) {
    in_file.insert(row.external_id);
    const auto found = by_id.find(row.external_id);
    if (found == by_id.end()) {
      plan.adds.push_back({0, row});
      continue;
    }
    const auto& user = *found->second;
    if (user.manual) {
      plan.skipped.push_back(
          {row.line, "username",
           "user '" + row.external_id + "' was created by hand in the directory; files do not change it"});
      continue;
    }
    if (user.removed) {
      plan.adds.push_back({user.id, row});
      continue;
    }
    const bool same = user.first_name == row.first_name && user.last_name == row.last_name &&
                      user.email == row.email && user.phone == row.phone && user.group == row.group;
    if (same) {
      ++plan.unchanged;
    } else {
      plan.updates.push_back({user.id, row});
    }
  }
  for (const auto& user : known) {
    if (!user.manual && !user.removed && !in_file.contains(user.external_id))
      plan.removals.push_back(user.id);
  }
  return plan;
}

bool needs_hold(const SnapshotPlan& plan, unsigned max_percent) {
  const auto removals = plan.removals.size();
  return removals > 10 && removals * 100 > static_cast<std::size_t>(max_percent) * plan.active_synced;
}

}  // namespace intake::ingest
