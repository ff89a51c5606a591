#include "ingest/directory_plan.hpp"

#include <algorithm>
#include <limits>

#include "store/directory.hpp"

namespace intake::ingest {

Plan plan_against_directory(store::DirectoryRepository& directory, std::int64_t tenant_id,
                            std::string_view file_name, std::string_view profile_sha256, const FileSpec& spec,
                            const ParsedFile& parsed, bool create_missing_users,
                            std::function<void(const Change&)> on_change) {
  const auto digest_seed = image_seed(profile_sha256, spec.name, parsed.managed, file_name);
  StoredGroups stored_groups;
  if (spec.groups_must_exist || !rows_are_users(spec.semantics)) {
    stored_groups = directory.stored_groups(
        tenant_id, spec.semantics == Semantics::MembershipReset ? std::optional(file_name) : std::nullopt);
  }
  Planner planner(
      spec, parsed,
      {file_name, &stored_groups, std::numeric_limits<std::size_t>::max(), digest_seed, create_missing_users},
      std::move(on_change));
  // A group file is planned against the groups alone.
  if (spec.semantics == Semantics::GroupOps) return planner.finish();
  const auto feeds = [&](TargetKind kind) {
    return std::any_of(spec.slots.begin(), spec.slots.end(), [&](const Target& t) { return t.kind == kind; });
  };
  const store::UserStreamParts parts{feeds(TargetKind::Contact), feeds(TargetKind::Attribute),
                                     feeds(TargetKind::Groups)};
  StoredUser stored;
  std::vector<std::string_view> groups;
  directory.for_each_user(
      tenant_id, file_name, [&](const StoredSummary& user) { return !planner.add_summary(user); },
      [&](const store::StoredUserView& user) {
        stored.id = user.id;
        stored.key = user.external_id;
        for (std::size_t i = 0; i < kUserFieldCount; ++i) stored.fields[i] = user.fields[i];
        stored.contacts = user.contacts;
        stored.attributes = user.attributes;
        std::string joined_groups;
        if (user.groups.find('\n') !=
            std::string_view::npos) {  // several: in set order (one needs no sorting)
          groups = split_set(user.groups);
          joined_groups = join_set(std::vector<std::string>(groups.begin(), groups.end()));
        }
        stored.groups = joined_groups.empty() ? user.groups : std::string_view(joined_groups);
        stored.origin_file = user.origin_file;
        stored.manual = user.manual;
        stored.removed = user.removed;
        stored.digest = user.image_digest;
        planner.add_known(stored);
      },
      parts);
  return planner.finish();
}

}  // namespace intake::ingest
