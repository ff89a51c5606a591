// The golden corpus of the built-in profiles (tests/profiles/<profile>/<case>/, read by the runner in
// ingest/golden_cases.hpp that `intake profile test` uses too), and the profile loader's errors. Each
// case is also planned as an ingest with stored digests would plan it, which must change nothing.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "ingest/file_parser.hpp"
#include "ingest/golden_cases.hpp"
#include "ingest/plan.hpp"
#include "ingest/profile.hpp"

using namespace intake::ingest;
namespace fs = std::filesystem;

namespace {

// The plan an ingest makes when the stored users carry the digests of their images (as the last ingest
// of this file wrote them): summaries first, whole users only where the digest cannot decide.
Plan plan_by_summaries(const FileSpec& spec, const ParsedFile& parsed, std::vector<StoredUser> users,
                       Planner::Options options, std::function<void(const Change&)> on_change,
                       std::size_t& whole_reads) {
  options.digest_seed = image_seed(std::string(64, '0'), spec.name, parsed.managed, options.file_name);
  std::sort(users.begin(), users.end(),
            [](const StoredUser& a, const StoredUser& b) { return a.key < b.key; });
  Planner planner(spec, parsed, options, std::move(on_change));
  for (auto& user : users) {
    if (!user.manual)
      user.digest = image_digest(*options.digest_seed, stored_image(user, spec, parsed.managed));
    const StoredSummary summary{user.id, user.key, user.digest, user.origin_file, user.manual, user.removed};
    if (planner.add_summary(summary)) continue;
    ++whole_reads;
    planner.add_known(user);
  }
  return planner.finish();
}

// Digests decide what they can and change nothing in the plan: the same writes, removals, counts and
// changes, with a whole user read only for the users that changed, were made by hand or are not in
// scope.
void check_digests_change_nothing(const GoldenCase& golden) {
  const auto& spec = *golden.spec;
  const auto& parsed = *golden.parsed;
  const auto& plan = *golden.plan;
  std::vector<std::string> changes_by_summaries;
  std::size_t whole_reads = 0;
  const auto by_summaries = plan_by_summaries(
      spec, parsed, golden.users, golden.options,
      [&](const Change& change) { changes_by_summaries.push_back(change_line(change)); }, whole_reads);
  const auto plan_text = [](const Plan& p) {
    std::string text;
    for (const auto& w : p.writes)
      text += std::to_string(static_cast<int>(w.kind)) + " " + std::to_string(w.id) + " line " +
              std::to_string(w.row->line) + " slots " + std::to_string(w.changed_slots) + "\n";
    for (const auto& r : p.removals) text += "removed " + std::to_string(r.id) + "\n";
    for (const auto* issues : {&p.invalid, &p.skipped}) {
      for (const auto& issue : *issues)
        text += "line " + std::to_string(issue.line) + " " + issue.message + "\n";
    }
    return text + std::to_string(p.unchanged) + " unchanged of " + std::to_string(p.active_synced) + ", +" +
           std::to_string(p.memberships_added) + " -" + std::to_string(p.memberships_removed);
  };
  CHECK(plan_text(by_summaries) == plan_text(plan));
  std::vector<std::string> changes_whole;
  for (const auto& change : golden.changes) changes_whole.push_back(change_line(change));
  CHECK(changes_by_summaries == changes_whole);
  CHECK(by_summaries.row_results == plan.row_results);
  CHECK(by_summaries.digests_to_confirm.empty());
  // Read whole: users made by hand, and users in the file unless in scope with the same image; every
  // user for a spec that checks login names against e-mails.
  std::unordered_map<std::string_view, const FileRow*> rows;
  for (const auto& row : parsed.rows) rows.emplace(row.key, &row);
  std::size_t must_read = 0;
  for (const auto& user : golden.users) {
    const auto row = rows.find(user.key);
    const bool in_scope = !user.manual && !user.removed && user.origin_file == golden.file_name;
    if (!rows_are_users(spec.semantics)) continue;  // rows name users: the summary says all they need
    if (spec.semantics == Semantics::InsertOnly) {  // an existing user is left alone, unread
      must_read += user.manual || (row != rows.end() && user.removed);
      continue;
    }
    must_read +=
        user.manual ||
        (row != rows.end() && !(in_scope && stored_image(user, spec, parsed.managed) == row->second->image));
  }
  const bool login_checked =
      spec.email_immutable &&
      std::find(spec.slots.begin(), spec.slots.end(), Target::of(UserField::LoginName)) != spec.slots.end();
  CHECK(whole_reads == (login_checked ? golden.users.size() : must_read));
}

}  // namespace

TEST_CASE("the golden corpus of every built-in profile") {
  const fs::path root = INTAKE_PROFILE_CORPUS_DIR;
  for (const auto& profile : builtin_profiles()) {
    const auto folder = root / profile.name;
    REQUIRE_MESSAGE(fs::is_directory(folder), "no corpus for profile " << profile.name);
    const auto case_folders = golden_case_folders(folder);
    CHECK_MESSAGE(case_folders.size() >= 12,
                  profile.name << " has " << case_folders.size() << " cases, wants 12");
    for (const auto& case_folder : case_folders) {
      SUBCASE((profile.name + "/" + case_folder.filename().string()).c_str()) {
        const auto golden = run_golden_case(profile, case_folder);
        REQUIRE_MESSAGE(golden, (golden ? "" : golden.error()));
        for (const auto& mismatch : golden_case_mismatches(**golden)) FAIL_CHECK(mismatch);
        if ((*golden)->plan) check_digests_change_nothing(**golden);
      }
    }
  }
}

TEST_CASE("profile loader: errors name the file, the line and the key") {
  const auto error = [](const std::string& text) {
    const auto loaded = load_profile(text, "custom.toml");
    REQUIRE(!loaded);
    return loaded.error();
  };
  const std::string head =
      "name = \"custom\"\ntitle = \"Custom\"\n[[files]]\nname = \"u.csv\"\nkey = \"id\"\n";
  CHECK(error("name = \"x\"\n").find("custom.toml:1: title: is required") != std::string::npos);
  CHECK(error(head + "semantic = \"snapshot\"\n[[files.columns]]\nheader = \"id\"\ntarget = \"key\"\n")
            .find("custom.toml:6: files[0].semantic: is not a profile key") != std::string::npos);
  CHECK(error(head + "[[files.columns]]\nheader = \"id\"\ntarget = \"nickname\"\n")
            .find("custom.toml:8: files[0].columns[0].target: 'nickname' is not a target") !=
        std::string::npos);
  CHECK(error(head + "[[files.columns]]\nheader = \"id\"\ntarget = \"email\"\n")
            .find("needs target = \"key\"") != std::string::npos);
  CHECK(error(head + "header = \"sometimes\"\n[[files.columns]]\nheader = \"id\"\ntarget = \"key\"\n")
            .find("files[0].header: is 'sometimes'; it must be one of none, optional, required") !=
        std::string::npos);
  CHECK(error("name = \"x\"\ntitle = [\n").find("custom.toml:2") != std::string::npos);
  // The targets each semantics takes, and what a password or an operation column must (not) have.
  const auto with = [&](const std::string& file_keys, const std::string& columns) {
    return error(head + file_keys + "[[files.columns]]\nheader = \"id\"\ntarget = \"key\"\n" + columns);
  };
  CHECK(with("semantics = \"upsert\"\n", "[[files.columns]]\nheader = \"n\"\ntarget = \"group_name\"\n")
            .find("column 'n' (target = \"group_name\") has no meaning in a upsert file") !=
        std::string::npos);
  CHECK(with("semantics = \"delete_list\"\n", "[[files.columns]]\nheader = \"e\"\ntarget = \"email\"\n")
            .find("column 'e' (target = \"email\") has no meaning in a delete_list file") !=
        std::string::npos);
  CHECK(with("semantics = \"group_ops\"\n", "").find("needs one column with target = \"operation\"") !=
        std::string::npos);
  CHECK(with("semantics = \"membership_reset\"\n", "").find("needs one column with target = \"groups\"") !=
        std::string::npos);
  CHECK(with("semantics = \"group_ops\"\n",
             "[[files.columns]]\nheader = \"op\"\ntarget = \"operation\"\nallowed = [\"U\", \"D\"]\n")
            .find("an operation column needs allowed") != std::string::npos);
  CHECK(with("semantics = \"group_ops\"\n",
             "[[files.columns]]\nheader = \"op\"\ntarget = \"operation\"\nallowed = [\"U\"]\n"
             "delete_values = [\"D\"]\n")
            .find("'D' is not one of the allowed flags") != std::string::npos);
  CHECK(with("", "[[files.columns]]\nheader = \"pw\"\ntarget = \"password\"\npattern = \".+\"\n")
            .find("a password column takes no allowed, pattern") != std::string::npos);
  CHECK(with("",
             "[[files.columns]]\nheader = \"pw\"\ntarget = \"password\"\n[[files.columns]]\nheader = "
             "\"pw2\"\ntarget = \"password\"\n")
            .find("only one column may be the password") != std::string::npos);
  CHECK(with("", "[[files.columns]]\nheader = \"n\"\ntarget = \"title\"\npattern_message = \"is odd\"\n")
            .find("pattern_message: needs a pattern") != std::string::npos);
  const auto loaded =
      load_profile(head + "[[files.columns]]\nheader = \"id\"\ntarget = \"key\"\n", "custom.toml");
  REQUIRE(loaded);
  CHECK(loaded->sha256.size() == 64);
  for (const auto& profile : builtin_profiles()) CHECK(profile.sha256.size() == 64);
}
