#include "ingest/plan.hpp"

#include <algorithm>
#include <cctype>
#include <map>

#include "base/text.hpp"

namespace intake::ingest {
namespace {

using base::ascii_lower;

std::optional<std::size_t> slot_index(const FileSpec& spec, const Target& target) {
  const auto found = std::find(spec.slots.begin(), spec.slots.end(), target);
  if (found == spec.slots.end()) return std::nullopt;
  return static_cast<std::size_t>(found - spec.slots.begin());
}

}  // namespace

std::uint64_t Planner::changed_slots(std::string_view before, std::string_view after) const {
  if (spec_.slots.size() > 64) return ~std::uint64_t{0};
  const auto old_values = slot_values(before, spec_.slots.size());
  const auto new_values = slot_values(after, spec_.slots.size());
  std::uint64_t mask = 0;
  for (std::size_t slot = 0; slot < spec_.slots.size(); ++slot) {
    if (file_.managed[slot] && old_values[slot] != new_values[slot]) mask |= std::uint64_t{1} << slot;
  }
  return mask;
}

std::string_view write_kind_name(WriteKind kind) {
  switch (kind) {
    case WriteKind::Add: return "added";
    case WriteKind::Comeback: return "brought back";
    case WriteKind::Update: return "updated";
    case WriteKind::Adopt: return "adopted";
  }
  return "";
}

Change describe_change(const FileSpec& spec, const std::vector<bool>& managed, std::string_view key,
                       std::string_view operation, std::string_view before, std::string_view after,
                       std::size_t line) {
  Change change{std::string(key), "user", std::string(operation), {}, line};
  const auto old_values = slot_values(before, spec.slots.size());
  const auto new_values = slot_values(after, spec.slots.size());
  for (std::size_t slot = 0; slot < spec.slots.size(); ++slot) {
    if (!managed[slot] || old_values[slot] == new_values[slot]) continue;
    change.fields.push_back(
        {target_text(spec.slots[slot]), {std::string(old_values[slot]), std::string(new_values[slot])}});
  }
  return change;
}

Planner::Planner(const FileSpec& spec, const ParsedFile& file, Options options,
                 std::function<void(const Change&)> on_change)
    : spec_(spec),
      file_(file),
      options_(options),
      on_change_(std::move(on_change)),
      kept_(file.kept_keys.begin(), file.kept_keys.end()) {
  email_slot_ = slot_index(spec, Target::of(UserField::Email));
  login_slot_ = slot_index(spec, Target::of(UserField::LoginName));
  groups_slot_ = slot_index(spec, Target::of(TargetKind::Groups));
  plan_.row_results.assign(file.rows.size(), RowResult::Unchanged);
  if (rows_name_users()) row_users_.assign(file.rows.size(), RowUser{});
  sorted_.reserve(file.rows.size());
  if (file.by_key.size() == file.rows.size()) {
    for (const auto index : file.by_key) sorted_.push_back(&file.rows[index]);
  } else {
    for (const auto& row : file.rows) sorted_.push_back(&row);
    std::sort(sorted_.begin(), sorted_.end(),
              [](const FileRow* a, const FileRow* b) { return a->key < b->key; });
  }
}

std::string_view Planner::slot_of(const FileRow& row, std::optional<std::size_t> slot) const {
  if (!slot || !file_.managed[*slot]) return {};
  return slot_values(row.image, spec_.slots.size())[*slot];
}

void Planner::set_result(const FileRow& row, RowResult result) { plan_.row_results[index_of(row)] = result; }

std::size_t Planner::index_of(const FileRow& row) const {
  return static_cast<std::size_t>(&row - file_.rows.data());
}

void Planner::skip(const FileRow& row, std::string message) {
  set_result(row, RowResult::Skipped);
  plan_.skipped.push_back({row.line, spec_.key().header, std::move(message), row.key});
}

std::string Planner::made_by_hand(std::string_view what, std::string_view key) {
  return std::string(what) + " " + excerpt(key) +
         " was created by hand in the directory; files do not change it";
}

void Planner::invalid(const FileRow& row, std::string column, std::string message) {
  set_result(row, RowResult::Invalid);
  ++plan_.invalid_count;
  if (plan_.invalid.size() < options_.max_issues_kept)
    plan_.invalid.push_back({row.line, std::move(column), std::move(message), row.key});
}

// What the directory, not the file, makes wrong with a row that would be written.
std::optional<std::string> Planner::directory_problem(const FileRow& row,
                                                      std::string_view stored_email) const {
  if (spec_.email_immutable && !stored_email.empty()) {
    const auto email = slot_of(row, email_slot_);
    if (!email.empty() && ascii_lower(email) != ascii_lower(stored_email)) {
      return "the e-mail of an existing user cannot change (it is " + excerpt(stored_email) + ")";
    }
  }
  if (spec_.groups_must_exist && options_.groups && groups_slot_) {
    for (const auto group : split_set(slot_of(row, groups_slot_))) {
      if (!options_.groups->contains(std::string(group))) {
        return "group " + excerpt(group) +
               " does not exist; groups must be created before a file assigns users to them";
      }
    }
  }
  return std::nullopt;
}

void Planner::emit(WriteKind kind, const FileRow& row, std::string_view before) {
  switch (kind) {
    case WriteKind::Add:
      ++plan_.added;
      set_result(row, RowResult::Added);
      break;
    case WriteKind::Comeback:
      ++plan_.brought_back;
      set_result(row, RowResult::BroughtBack);
      break;
    case WriteKind::Update:
      ++plan_.updated;
      set_result(row, RowResult::Updated);
      break;
    case WriteKind::Adopt:
      ++plan_.adopted;
      set_result(row, RowResult::Adopted);
      break;
  }
  if (groups_slot_ && file_.managed[*groups_slot_]) {
    const auto old_groups = split_set(slot_values(before, spec_.slots.size())[*groups_slot_]);
    const auto new_groups = split_set(slot_of(row, groups_slot_));
    for (const auto group : new_groups) {
      plan_.memberships_added += std::find(old_groups.begin(), old_groups.end(), group) == old_groups.end();
    }
    for (const auto group : old_groups) {
      plan_.memberships_removed += std::find(new_groups.begin(), new_groups.end(), group) == new_groups.end();
    }
  }
  if (on_change_) {
    on_change_(
        describe_change(spec_, file_.managed, row.key, write_kind_name(kind), before, row.image, row.line));
  }
}

void Planner::add_from_file_below(std::string_view key) {
  while (next_ < sorted_.size() && sorted_[next_]->key < key) pending_adds_.push_back(sorted_[next_++]);
}

const FileRow* Planner::file_row(std::string_view key) const {
  return next_ < sorted_.size() && sorted_[next_]->key == key ? sorted_[next_] : nullptr;
}

std::optional<std::int64_t> Planner::digest_of(const FileRow& row) const {
  if (!options_.digest_seed) return std::nullopt;
  return image_digest(*options_.digest_seed, row.image);
}

void Planner::not_in_file(std::int64_t id, std::string_view key, bool in_scope) {
  if (spec_.semantics == Semantics::Snapshot && in_scope && !kept_.contains(key)) {
    plan_.removals.push_back({id, std::string(key)});
    if (on_change_) on_change_(Change{std::string(key), "user", "removed", {}, 0});
  }
}

bool Planner::rows_name_users() const {
  return spec_.semantics == Semantics::DeleteList || spec_.semantics == Semantics::MembershipReset;
}

// Every row with this key (membership rows repeat it) learns its user.
void Planner::resolve_rows(std::int64_t id, std::string_view key, bool manual, bool removed) {
  while (next_ < sorted_.size() && sorted_[next_]->key < key) ++next_;
  for (; next_ < sorted_.size() && sorted_[next_]->key == key; ++next_) {
    row_users_[index_of(*sorted_[next_])] = {id, manual, removed};
  }
}

bool Planner::add_summary(const StoredSummary& user) {
  if (rows_name_users()) {
    resolve_rows(user.id, user.external_id, user.manual, user.removed);
    return true;
  }
  if (spec_.semantics == Semantics::GroupOps) return true;
  // Users made by hand may be adopted by e-mail, and login names are checked against every user's
  // e-mail: both need the whole user.
  if (!options_.digest_seed || user.manual || (spec_.email_immutable && login_slot_)) return false;
  const bool in_scope = !user.removed && user.origin_file == options_.file_name;
  add_from_file_below(user.external_id);
  const FileRow* row = file_row(user.external_id);
  if (row == nullptr) {
    if (in_scope) ++plan_.active_synced;
    not_in_file(user.id, user.external_id, in_scope);
    return true;
  }
  if (spec_.semantics == Semantics::InsertOnly && !user.removed) {
    if (in_scope) ++plan_.active_synced;
    skip(*row, exists_unchanged(row->key));
    ++next_;
    return true;
  }
  if (!in_scope || user.image_digest != digest_of(*row)) return false;
  ++plan_.active_synced;
  ++plan_.unchanged;
  ++next_;
  return true;
}

void Planner::add_known(const StoredUser& user) {
  if (rows_name_users()) return resolve_rows(user.id, user.key, user.manual, user.removed);
  if (spec_.semantics == Semantics::GroupOps) return;
  const bool in_scope = !user.manual && !user.removed && user.origin_file == options_.file_name;
  if (in_scope) ++plan_.active_synced;
  if (!user.removed && !user.manual && spec_.email_immutable && login_slot_) {
    const auto login = user.fields[static_cast<std::size_t>(UserField::LoginName)];
    if (!login.empty())
      email_by_login_.emplace(login, user.fields[static_cast<std::size_t>(UserField::Email)]);
  }
  add_from_file_below(user.key);
  if (file_row(user.key) == nullptr) {
    if (user.manual && !user.removed && spec_.adopt_manual_by_email) {
      const auto email = user.fields[static_cast<std::size_t>(UserField::Email)];
      if (!email.empty())
        manual_by_email_.emplace(
            ascii_lower(email), Known{user.id, stored_image(user, spec_, file_.managed), std::string(email)});
    }
    return not_in_file(user.id, user.key, in_scope);
  }
  const FileRow& row = *sorted_[next_++];
  if (spec_.semantics == Semantics::InsertOnly && !user.removed && !user.manual)
    return skip(row, exists_unchanged(row.key));
  const auto stored_email = user.fields[static_cast<std::size_t>(UserField::Email)];
  const auto before = stored_image(user, spec_, file_.managed);
  if (user.manual) {
    const bool adopt = spec_.adopt_manual_by_email && !user.removed && !stored_email.empty() &&
                       ascii_lower(stored_email) == ascii_lower(slot_of(row, email_slot_));
    if (!adopt) return skip(row, made_by_hand("user", row.key));
    if (const auto problem = directory_problem(row, stored_email))
      return invalid(row, spec_.key().header, *problem);
    plan_.writes.push_back(
        {WriteKind::Adopt, user.id, &row, changed_slots(before, row.image), digest_of(row)});
    return emit(WriteKind::Adopt, row, before);
  }
  if (in_scope && before == row.image) {
    ++plan_.unchanged;
    if (const auto digest = digest_of(row); digest && user.digest != digest)
      plan_.digests_to_confirm.emplace_back(user.id, *digest);
    return;
  }
  if (const auto problem = directory_problem(row, stored_email))
    return invalid(row, spec_.key().header, *problem);
  const auto kind = user.removed ? WriteKind::Comeback : WriteKind::Update;
  plan_.writes.push_back({kind, user.id, &row, changed_slots(before, row.image), digest_of(row)});
  emit(kind, row, before);
}

// insert_only: a user that exists is never overwritten; the row says so.
std::string Planner::exists_unchanged(std::string_view key) {
  return "user " + excerpt(key) + " exists, not changed (this file only adds users)";
}

void Planner::finish_delete_list() {
  for (const auto& row : file_.rows) {
    const auto& user = row_users_[index_of(row)];
    if (user.id == 0) {
      skip(row, "there is no user " + excerpt(row.key) + "; nothing to delete");
    } else if (user.manual) {
      skip(row, made_by_hand("user", row.key));
    } else if (user.removed) {
      ++plan_.unchanged;  // deleted already
    } else {
      set_result(row, RowResult::Removed);
      plan_.removals.push_back({user.id, row.key});
      if (on_change_) on_change_(Change{row.key, "user", "removed", {}, row.line});
    }
  }
}

void Planner::finish_group_ops() {
  const auto& operation = *spec_.column_of(TargetKind::Operation);
  const auto operation_slot = slot_index(spec_, operation.target);
  const auto name_slot = slot_index(spec_, Target::of(TargetKind::GroupName));
  // The groups as each row finds them: rows apply in order (U then D of one group deletes it).
  StoredGroups groups = options_.groups ? *options_.groups : StoredGroups{};
  for (const auto& row : file_.rows) {
    const auto flag = slot_of(row, operation_slot);
    const bool remove = std::any_of(operation.delete_values.begin(), operation.delete_values.end(),
                                    [&](const std::string& value) { return value == flag; });
    const auto found = groups.find(row.key);
    const auto change = [&](std::string_view what, std::string_view before, std::string_view after) {
      if (!on_change_) return;
      Change described{row.key, "group", std::string(what), {}, row.line};
      if (before != after) described.fields.push_back({"name", {std::string(before), std::string(after)}});
      on_change_(described);
    };
    if (found != groups.end() && found->second.manual) {
      skip(row, made_by_hand("group", row.key));
      continue;
    }
    if (remove) {
      if (found == groups.end()) {
        skip(row, "there is no group " + excerpt(row.key) + "; nothing to delete");
        continue;
      }
      plan_.group_writes.push_back({GroupWriteKind::Delete, row.key, found->second.name});
      ++plan_.groups_removed;
      set_result(row, RowResult::Removed);
      change("removed", found->second.name, "");
      groups.erase(found);
      continue;
    }
    const auto name = slot_of(row, name_slot);
    if (name.empty()) {
      const auto* name_column = spec_.column_of(TargetKind::GroupName);
      invalid(row, name_column ? name_column->header : spec_.key().header,
              "the group's name is empty; creating or renaming a group needs its name");
      continue;
    }
    if (found == groups.end()) {
      plan_.group_writes.push_back({GroupWriteKind::Create, row.key, std::string(name)});
      ++plan_.groups_added;
      set_result(row, RowResult::Added);
      change("added", "", name);
      groups.emplace(row.key, StoredGroup{std::string(name), false, {}});
    } else if (found->second.name != name) {
      plan_.group_writes.push_back({GroupWriteKind::Rename, row.key, std::string(name)});
      ++plan_.groups_renamed;
      set_result(row, RowResult::Updated);
      change("renamed", found->second.name, name);
      found->second.name = name;
    } else {
      ++plan_.unchanged;
    }
  }
}

void Planner::finish_membership_reset() {
  // Each group the file names, in the order it first names them, with the members it lists (and the
  // first row listing each), and each user listed with its id (0: a stub this plan adds) and first line.
  std::vector<std::string> named;
  std::unordered_map<std::string, std::unordered_map<std::string, const FileRow*>> wanted;
  struct Listed {
    std::int64_t id;
    std::uint32_t line;
  };
  std::unordered_map<std::string, Listed> listed;
  const auto& groups_header = spec_.column_of(TargetKind::Groups)->header;
  for (const auto& row : file_.rows) {
    const auto& user = row_users_[index_of(row)];
    const auto groups = split_set(slot_of(row, groups_slot_));
    const auto unknown = std::find_if(groups.begin(), groups.end(), [&](std::string_view group) {
      return !options_.groups || !options_.groups->contains(std::string(group));
    });
    if (unknown != groups.end()) {
      invalid(row, groups_header,
              "group " + excerpt(*unknown) +
                  " does not exist; upload the file that creates groups (e.g. groups.csv) first");
      continue;
    }
    if (user.removed) {
      invalid(row, spec_.key().header,
              "user " + excerpt(row.key) + " is deleted; a users file that lists it again brings it back");
      continue;
    }
    if (user.id == 0 && !listed.contains(row.key)) {
      if (!options_.create_missing_users) {
        invalid(row, spec_.key().header,
                "there is no user " + excerpt(row.key) +
                    "; upload the users file first, or ask support to enable automatic user creation");
        continue;
      }
      // A stub: the id and nothing else, to be completed by a later users file.
      plan_.writes.push_back({WriteKind::Add, 0, &row, 0, std::nullopt});
      ++plan_.added;
      set_result(row, RowResult::Added);
      if (on_change_) on_change_(Change{row.key, "user", "added", {}, row.line});
    }
    listed.try_emplace(row.key, Listed{user.id, row.line});
    for (const auto group : groups) {
      auto [at, first] = wanted.try_emplace(std::string(group));
      if (first) named.push_back(at->first);
      at->second.try_emplace(row.key, &row);
    }
  }
  // Per user, the named groups before and after: one change each.
  std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> moves;
  for (const auto& group : named) {
    const auto& members = wanted[group];
    std::unordered_set<std::string> current;
    for (const auto& [key, id] : options_.groups->at(group).members) {
      current.insert(key);
      moves[key].first.push_back(group);
      if (members.contains(key)) continue;
      plan_.membership_writes.push_back({group, id, key, false});
      ++plan_.memberships_removed;
    }
    for (const auto& [key, row] : members) {
      moves[key].second.push_back(group);
      if (current.contains(key)) continue;
      plan_.membership_writes.push_back({group, listed.at(key).id, key, true});
      ++plan_.memberships_added;
      // The row that brought its user into a group is "updated" (unless it made the user).
      if (auto& result = plan_.row_results[index_of(*row)]; result == RowResult::Unchanged)
        result = RowResult::Updated;
    }
  }
  for (auto& [key, before_after] : moves) {
    auto before = join_set(before_after.first), after = join_set(before_after.second);
    if (before == after) continue;
    const auto user = listed.find(key);
    if (user == listed.end() || user->second.id != 0) ++plan_.updated;  // a stub counts as added only
    if (on_change_) {
      on_change_(Change{key,
                        "membership",
                        "updated",
                        {{"groups", {std::move(before), std::move(after)}}},
                        user == listed.end() ? 0 : user->second.line});
    }
  }
}

Plan Planner::finish() {
  switch (spec_.semantics) {
    case Semantics::DeleteList: finish_delete_list(); return std::move(plan_);
    case Semantics::GroupOps: finish_group_ops(); return std::move(plan_);
    case Semantics::MembershipReset: finish_membership_reset(); return std::move(plan_);
    default: break;
  }
  while (next_ < sorted_.size()) pending_adds_.push_back(sorted_[next_++]);
  for (const auto* row : pending_adds_) {
    // A login name that belongs to a user with another e-mail: that user's e-mail cannot change.
    if (spec_.email_immutable && login_slot_) {
      const auto login = slot_of(*row, login_slot_);
      if (const auto found = email_by_login_.find(std::string(login));
          !login.empty() && found != email_by_login_.end()) {
        invalid(*row, spec_.key().header,
                "loginName " + excerpt(login) + " belongs to the user with e-mail " + excerpt(found->second) +
                    "; the e-mail of an existing user cannot change");
        continue;
      }
    }
    if (spec_.adopt_manual_by_email) {
      const auto email = slot_of(*row, email_slot_);
      if (const auto found = manual_by_email_.find(ascii_lower(email));
          !email.empty() && found != manual_by_email_.end()) {
        if (const auto problem = directory_problem(*row, {})) {
          invalid(*row, spec_.key().header, *problem);
          continue;
        }
        plan_.writes.push_back({WriteKind::Adopt, found->second.id, row,
                                changed_slots(found->second.image, row->image), digest_of(*row)});
        emit(WriteKind::Adopt, *row, found->second.image);
        manual_by_email_.erase(found);  // one row adopts a user once
        continue;
      }
    }
    if (const auto problem = directory_problem(*row, {})) {
      invalid(*row, spec_.key().header, *problem);
      continue;
    }
    plan_.writes.push_back({WriteKind::Add, 0, row, ~std::uint64_t{0}, digest_of(*row)});
    std::string empty;
    for (std::size_t i = 0; i < spec_.slots.size(); ++i) append_slot(empty, "");
    emit(WriteKind::Add, *row, empty);
  }
  // Apply and report in the file's order, as the customer wrote it.
  std::sort(plan_.writes.begin(), plan_.writes.end(),
            [](const PlannedWrite& a, const PlannedWrite& b) { return a.row->line < b.row->line; });
  const auto by_line = [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; };
  std::sort(plan_.skipped.begin(), plan_.skipped.end(), by_line);
  std::sort(plan_.invalid.begin(), plan_.invalid.end(), by_line);
  return std::move(plan_);
}

Plan plan_file(const FileSpec& spec, const ParsedFile& file, std::vector<StoredUser> known,
               Planner::Options options, std::function<void(const Change&)> on_change) {
  std::sort(known.begin(), known.end(),
            [](const StoredUser& a, const StoredUser& b) { return a.key < b.key; });
  Planner planner(spec, file, options, std::move(on_change));
  for (const auto& user : known) planner.add_known(user);
  return planner.finish();
}

std::vector<RowIssue> all_issues(const ParsedFile& file, const Plan& plan, std::size_t limit) {
  // Each list is in line order: the first `limit` of their merge come from the first `limit` of each.
  std::vector<RowIssue> issues;
  for (const auto* list : {&file.errors, &plan.invalid, &file.skips, &plan.skipped}) {
    issues.insert(issues.end(), list->begin(),
                  list->begin() + static_cast<std::ptrdiff_t>(std::min(limit, list->size())));
  }
  std::stable_sort(issues.begin(), issues.end(),
                   [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; });
  if (issues.size() > limit) issues.resize(limit);
  return issues;
}

std::optional<std::string> too_many_invalid(std::size_t invalid, std::size_t records, unsigned max_percent) {
  if (records == 0 || invalid * 100 <= static_cast<std::size_t>(max_percent) * records) return std::nullopt;
  return std::to_string(invalid) + " of " + std::to_string(records) + " rows are invalid (more than " +
         std::to_string(max_percent) + "%)";
}

bool needs_hold(const FileSpec& spec, const Plan& plan, unsigned max_percent) {
  if (spec.semantics != Semantics::Snapshot) return false;
  const auto removals = plan.removals.size();
  return removals > 10 && removals * 100 > static_cast<std::size_t>(max_percent) * plan.active_synced;
}

}  // namespace intake::ingest
