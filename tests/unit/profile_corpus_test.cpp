// The golden corpus of the built-in profiles, read by this one runner: tests/profiles/<profile>/<case>/
// holds the directory before (before.json, optional), the uploaded file (input.csv, bytes as the
// customer sends them) and what must come of it (expected.json: a rejection, or counts, changes and
// problems, and optionally the results file's lines). Each case parses and plans the file exactly as an
// ingest does, without I/O.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_map>

#include "ingest/csv_reader.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/plan.hpp"
#include "ingest/profile.hpp"
#include "ingest/results.hpp"

using namespace intake::ingest;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// The stored users of before.json; owns the strings the StoredUser views point at.
struct Directory {
  nlohmann::json json;
  std::vector<std::string> groups_joined;
  std::vector<StoredUser> users;
  std::unordered_set<std::string> groups;
};

void load_directory(Directory& directory, const std::string& file_name) {
  auto& json = directory.json;
  if (json.contains("groups")) {
    for (const auto& group : json["groups"]) directory.groups.insert(group.get<std::string>());
  }
  auto& users = json["users"];
  directory.groups_joined.reserve(users.size());
  std::int64_t id = 0;
  for (auto& user : users) {
    if (!user.contains("origin")) user["origin"] = file_name;
    StoredUser stored;
    stored.id = ++id;
    stored.key = user["key"].get_ref<const std::string&>();
    for (std::size_t i = 0; i < kUserFieldCount; ++i) {
      const std::string name(field_name(static_cast<UserField>(i)));
      if (user.contains(name)) stored.fields[i] = user[name].get_ref<const std::string&>();
    }
    if (!user.contains("phones")) user["phones"] = nlohmann::json::object();
    if (!user.contains("attributes")) user["attributes"] = nlohmann::json::object();
    if (!user.contains("groups")) user["groups"] = nlohmann::json::array();
    // The keys the views point at live in the json object (items() would hand out copies).
    for (auto it = user["phones"].begin(); it != user["phones"].end(); ++it)
      stored.contacts.push_back({ContactKind::Phone, it.key(), it.value().get_ref<const std::string&>()});
    for (auto it = user["attributes"].begin(); it != user["attributes"].end(); ++it)
      stored.attributes.push_back({it.key(), it.value().get_ref<const std::string&>()});
    std::vector<std::string> groups;
    for (const auto& group : user["groups"]) groups.push_back(group.get<std::string>());
    directory.groups_joined.push_back(join_set(groups));
    stored.groups = directory.groups_joined.back();
    stored.manual = user["origin"].is_null();
    stored.origin_file =
        stored.manual ? std::string_view() : std::string_view(user["origin"].get_ref<const std::string&>());
    stored.removed = user.value("removed", false);
    directory.users.push_back(stored);
  }
}

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

std::string describe(const Change& change) {
  std::string out = change.key + " " + change.operation;
  for (const auto& [name, values] : change.fields)
    out += " " + name + " '" + values.first + "' -> '" + values.second + "'";
  return out;
}

void run_case(const fs::path& folder) {
  const auto profile_name = folder.parent_path().filename().string();
  const auto* profile = find_builtin_profile(profile_name);
  REQUIRE_MESSAGE(profile, "no built-in profile " << profile_name);
  const auto expected = nlohmann::json::parse(read_bytes(folder / "expected.json"));
  const auto file_name = expected.value("file", profile->files.front().name);
  const auto* spec = profile->file_for(file_name);
  REQUIRE(spec);

  Directory directory;
  if (fs::exists(folder / "before.json"))
    directory.json = nlohmann::json::parse(read_bytes(folder / "before.json"));
  if (!directory.json.contains("users")) directory.json["users"] = nlohmann::json::array();
  load_directory(directory, file_name);

  const auto input = read_bytes(folder / "input.csv");
  StringSource source(input);
  CsvReader reader(source, spec->delimiter);
  const auto org_id = expected.value("org_id", "ORG1");
  const auto phone_region = expected.value("phone_region", "");
  const auto parsed = parse_file(reader, *spec, {org_id, phone_region});
  if (expected.contains("rejected")) {
    REQUIRE_MESSAGE(parsed.rejection, "the file should have been rejected");
    CHECK_MESSAGE(
        parsed.rejection->message.find(expected["rejected"].get<std::string>()) != std::string::npos,
        parsed.rejection->message);
    return;
  }
  REQUIRE_MESSAGE(!parsed.rejection, (parsed.rejection ? parsed.rejection->message : ""));
  std::vector<Change> changes;
  const auto plan = plan_file(*spec, parsed, directory.users, {file_name, &directory.groups},
                              [&](const Change& change) { changes.push_back(change); });

  // Digests decide what they can and change nothing in the plan: the same writes, removals, counts
  // and changes, with a whole user read only for the users that changed, were made by hand or are
  // not in scope.
  std::vector<std::string> changes_by_summaries;
  std::size_t whole_reads = 0;
  const auto by_summaries = plan_by_summaries(
      *spec, parsed, directory.users, {file_name, &directory.groups},
      [&](const Change& change) { changes_by_summaries.push_back(describe(change)); }, whole_reads);
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
  for (const auto& change : changes) changes_whole.push_back(describe(change));
  CHECK(changes_by_summaries == changes_whole);
  CHECK(by_summaries.row_results == plan.row_results);
  CHECK(by_summaries.digests_to_confirm.empty());
  // Read whole: users made by hand, and users in the file unless in scope with the same image; every
  // user for a spec that checks login names against e-mails.
  std::unordered_map<std::string_view, const FileRow*> rows;
  for (const auto& row : parsed.rows) rows.emplace(row.key, &row);
  std::size_t must_read = 0;
  for (const auto& user : directory.users) {
    const auto row = rows.find(user.key);
    const bool in_scope = !user.manual && !user.removed && user.origin_file == file_name;
    must_read +=
        user.manual ||
        (row != rows.end() && !(in_scope && stored_image(user, *spec, parsed.managed) == row->second->image));
  }
  const bool login_checked =
      spec->email_immutable && std::find(spec->slots.begin(), spec->slots.end(),
                                         Target::of(UserField::LoginName)) != spec->slots.end();
  CHECK(whole_reads == (login_checked ? directory.users.size() : must_read));

  const nlohmann::json counts{{"records", parsed.records},
                              {"invalid", parsed.invalid + plan.invalid_count},
                              {"skipped", parsed.skipped + plan.skipped.size()},
                              {"added", plan.added},
                              {"brought_back", plan.brought_back},
                              {"updated", plan.updated},
                              {"adopted", plan.adopted},
                              {"removed", plan.removals.size()},
                              {"unchanged", plan.unchanged},
                              {"memberships_added", plan.memberships_added},
                              {"memberships_removed", plan.memberships_removed}};
  if (expected.contains("counts")) {
    for (auto it = expected["counts"].begin(); it != expected["counts"].end(); ++it) {
      CAPTURE(it.key());
      CHECK(counts[it.key()] == it.value());
    }
  }
  if (expected.contains("changes")) {
    std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
      return (a.line == 0 ? SIZE_MAX : a.line) < (b.line == 0 ? SIZE_MAX : b.line);
    });
    std::vector<std::string> described;
    for (const auto& change : changes) described.push_back(describe(change));
    CHECK(nlohmann::json(described) == expected["changes"]);
  }
  if (expected.contains("results")) {
    // The results file, line by line, as the ingest would write it once applied.
    std::string csv;
    write_results(*spec, parsed, plan, ResultsOutcome::Applied,
                  [&](std::string_view piece) { csv += piece; });
    std::vector<std::string> lines;
    for (std::size_t at = 0, end; (end = csv.find('\n', at)) != std::string::npos; at = end + 1)
      lines.push_back(csv.substr(at, end - at));
    CHECK(nlohmann::json(lines) == expected["results"]);
  }
  if (expected.contains("problems")) {
    const auto issues = all_issues(parsed, plan, SIZE_MAX);
    std::vector<std::string> actual;
    for (const auto& issue : issues)
      actual.push_back("line " + std::to_string(issue.line) + " " + issue.column + ": " + issue.message);
    CAPTURE(nlohmann::json(actual).dump(1));
    REQUIRE(actual.size() == expected["problems"].size());
    for (std::size_t i = 0; i < actual.size(); ++i) {
      // "line N COLUMN: part of the message"
      const auto want = expected["problems"][i].get<std::string>();
      const auto colon = want.find(": ");
      CHECK(actual[i].starts_with(want.substr(0, colon + 2)));
      CHECK(actual[i].find(want.substr(colon + 2)) != std::string::npos);
    }
  }
}

}  // namespace

TEST_CASE("the golden corpus of every built-in profile") {
  const fs::path root = INTAKE_PROFILE_CORPUS_DIR;
  for (const auto& profile : builtin_profiles()) {
    const auto folder = root / profile.name;
    REQUIRE_MESSAGE(fs::is_directory(folder), "no corpus for profile " << profile.name);
    std::vector<fs::path> case_folders;
    for (const auto& entry : fs::directory_iterator(folder)) {
      if (entry.is_directory()) case_folders.push_back(entry.path());
    }
    std::sort(case_folders.begin(), case_folders.end());
    CHECK_MESSAGE(case_folders.size() >= 12,
                  profile.name << " has " << case_folders.size() << " cases, wants 12");
    for (const auto& case_folder : case_folders) {
      SUBCASE((profile.name + "/" + case_folder.filename().string()).c_str()) { run_case(case_folder); }
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
  const auto loaded =
      load_profile(head + "[[files.columns]]\nheader = \"id\"\ntarget = \"key\"\n", "custom.toml");
  REQUIRE(loaded);
  CHECK(loaded->sha256.size() == 64);
  for (const auto& profile : builtin_profiles()) CHECK(profile.sha256.size() == 64);
}
