#include "ingest/golden_cases.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "ingest/csv_reader.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/results.hpp"

namespace intake::ingest {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

tl::expected<nlohmann::json, std::string> read_json(const fs::path& path) {
  const auto text = read_bytes(path);
  if (!text) return tl::unexpected("cannot read " + path.string());
  auto json = nlohmann::json::parse(*text, nullptr, false);
  if (json.is_discarded()) return tl::unexpected(path.string() + " is not valid JSON");
  return json;
}

// The stored users of before.json: {"users": [{"key", field names, "phones": {type: value},
// "attributes": {name: value}, "groups": [...], "origin": file name or null (by hand), "removed"}],
// "groups": [ids that exist, or {"id", "name", "origin": null for by hand, "members": [user keys the
// uploaded file's name brought]}]}.
void load_directory(GoldenCase& golden) {
  auto& json = golden.before;
  if (!json.contains("users")) json["users"] = nlohmann::json::array();
  std::vector<std::pair<std::string, std::string>> members;  // group, user key
  if (json.contains("groups")) {
    for (const auto& group : json["groups"]) {
      if (group.is_string()) {
        golden.groups[group.get<std::string>()].name = group.get<std::string>();
        continue;
      }
      const auto id = group.at("id").get<std::string>();
      auto& stored = golden.groups[id];
      stored.name = group.value("name", id);
      stored.manual = group.contains("origin") && group["origin"].is_null();
      for (const auto& key : group.value("members", nlohmann::json::array()))
        members.emplace_back(id, key.get<std::string>());
    }
  }
  auto& users = json["users"];
  golden.groups_joined.reserve(users.size());
  std::int64_t id = 0;
  for (auto& user : users) {
    if (!user.contains("origin")) user["origin"] = golden.file_name;
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
    golden.groups_joined.push_back(join_set(groups));
    stored.groups = golden.groups_joined.back();
    stored.manual = user["origin"].is_null();
    stored.origin_file =
        stored.manual ? std::string_view() : std::string_view(user["origin"].get_ref<const std::string&>());
    stored.removed = user.value("removed", false);
    golden.users.push_back(stored);
  }
  for (const auto& [group, key] : members) {
    const auto user = std::find_if(golden.users.begin(), golden.users.end(),
                                   [&](const StoredUser& stored) { return stored.key == key; });
    if (user == golden.users.end())
      throw std::invalid_argument("group " + group + " lists member " + key + ", who is not in users");
    golden.groups[group].members.emplace_back(key, user->id);
  }
}

}  // namespace

std::string change_line(const Change& change) {
  std::string out =
      (change.entity == "user" ? "" : std::string(change.entity) + " ") + change.key + " " + change.operation;
  for (const auto& [name, values] : change.fields)
    out += " " + name + " '" + values.first + "' -> '" + values.second + "'";
  return out;
}

std::vector<fs::path> golden_case_folders(const fs::path& folder) {
  std::vector<fs::path> folders;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(folder, error)) {
    if (entry.is_directory() && fs::exists(entry.path() / "expected.json")) folders.push_back(entry.path());
  }
  std::sort(folders.begin(), folders.end());
  return folders;
}

tl::expected<std::unique_ptr<GoldenCase>, std::string> run_golden_case(const Profile& profile,
                                                                       const fs::path& folder) {
  auto golden = std::make_unique<GoldenCase>();
  golden->name = folder.filename().string();
  auto expected = read_json(folder / "expected.json");
  if (!expected) return tl::unexpected(expected.error());
  golden->expected = std::move(*expected);
  golden->file_name = golden->expected.value("file", profile.files.front().name);
  golden->spec = profile.file_for(golden->file_name);
  if (!golden->spec)
    return tl::unexpected("profile " + profile.name + " has no file named " + golden->file_name);
  if (fs::exists(folder / "before.json")) {
    auto before = read_json(folder / "before.json");
    if (!before) return tl::unexpected(before.error());
    golden->before = std::move(*before);
  }
  try {
    load_directory(*golden);
  } catch (const std::exception& error) {
    return tl::unexpected((folder / "before.json").string() + ": " + error.what());
  }
  auto input = read_bytes(folder / "input.csv");
  if (!input) return tl::unexpected("cannot read " + (folder / "input.csv").string());
  golden->input = std::move(*input);

  StringSource source(golden->input);
  CsvReader reader(source, golden->spec->delimiter);
  const auto org_id = golden->expected.value("org_id", "ORG1");
  const auto phone_region = golden->expected.value("phone_region", "");
  golden->roles = golden->expected.value("roles", std::vector<std::string>{});
  ParseContext context{org_id, phone_region};
  context.roles = golden->roles;
  golden->parsed = std::make_unique<ParsedFile>(parse_file(reader, *golden->spec, context));
  if (!golden->parsed->rejection) {
    golden->options = {golden->file_name, &golden->groups};
    golden->options.create_missing_users = golden->expected.value("auto_create_users", false);
    golden->plan = plan_file(*golden->spec, *golden->parsed, golden->users, golden->options,
                             [&](const Change& change) { golden->changes.push_back(change); });
  }
  return golden;
}

std::vector<std::string> golden_case_mismatches(const GoldenCase& golden) {
  std::vector<std::string> mismatches;
  const auto& expected = golden.expected;
  const auto& parsed = *golden.parsed;
  if (expected.contains("rejected")) {
    const auto want = expected["rejected"].get<std::string>();
    if (!parsed.rejection)
      mismatches.push_back("the file should have been rejected (" + want + ")");
    else if (parsed.rejection->message.find(want) == std::string::npos)
      mismatches.push_back("rejected with '" + parsed.rejection->message + "', expected '" + want + "'");
    return mismatches;
  }
  if (parsed.rejection) return {"the file was rejected: " + parsed.rejection->message};
  const auto& plan = *golden.plan;
  // A password is in nothing the ingest keeps or tells: images, keys, problems, changes, results.
  std::string told;
  for (const auto& row : parsed.rows) told += row.key + '\n' + row.image + '\n';
  for (const auto& issue : all_issues(parsed, plan, SIZE_MAX)) told += issue.message + '\n';
  for (const auto& change : golden.changes) told += change_line(change) + '\n';
  write_results(*golden.spec, parsed, plan, ResultsOutcome::Applied,
                [&](std::string_view piece) { told += piece; });
  for (const auto& secret : parsed.secrets) {
    if (told.find(secret.plain.view()) != std::string::npos)
      mismatches.push_back("the password of line " + std::to_string(secret.line) + " shows in the output");
  }
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
                              {"memberships_removed", plan.memberships_removed},
                              {"groups_added", plan.groups_added},
                              {"groups_renamed", plan.groups_renamed},
                              {"groups_removed", plan.groups_removed}};
  if (expected.contains("counts")) {
    for (auto it = expected["counts"].begin(); it != expected["counts"].end(); ++it) {
      if (!counts.contains(it.key()))
        mismatches.push_back("counts: '" + it.key() + "' is not a count (" + counts.dump() + ")");
      else if (counts[it.key()] != it.value())
        mismatches.push_back("counts: " + it.key() + " is " + counts[it.key()].dump() + ", expected " +
                             it.value().dump());
    }
  }
  if (expected.contains("changes")) {
    auto changes = golden.changes;
    std::stable_sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) {
      return (a.line == 0 ? SIZE_MAX : a.line) < (b.line == 0 ? SIZE_MAX : b.line);
    });
    std::vector<std::string> described;
    for (const auto& change : changes) described.push_back(change_line(change));
    if (nlohmann::json(described) != expected["changes"])
      mismatches.push_back("changes are " + nlohmann::json(described).dump(1) + ", expected " +
                           expected["changes"].dump(1));
  }
  if (expected.contains("results")) {
    // The results file, line by line, as the ingest would write it once applied.
    std::string csv;
    write_results(*golden.spec, parsed, plan, ResultsOutcome::Applied,
                  [&](std::string_view piece) { csv += piece; });
    std::vector<std::string> lines;
    for (std::size_t at = 0, end; (end = csv.find('\n', at)) != std::string::npos; at = end + 1)
      lines.push_back(csv.substr(at, end - at));
    if (nlohmann::json(lines) != expected["results"])
      mismatches.push_back("results file is " + nlohmann::json(lines).dump(1) + ", expected " +
                           expected["results"].dump(1));
  }
  if (expected.contains("problems")) {
    std::vector<std::string> actual;
    for (const auto& issue : all_issues(parsed, plan, SIZE_MAX))
      actual.push_back("line " + std::to_string(issue.line) + " " + issue.column + ": " + issue.message);
    // Each expected problem is "line N COLUMN: part of the message".
    bool same = actual.size() == expected["problems"].size();
    for (std::size_t i = 0; same && i < actual.size(); ++i) {
      const auto want = expected["problems"][i].get<std::string>();
      const auto colon = want.find(": ");
      same = actual[i].starts_with(want.substr(0, colon + 2)) &&
             actual[i].find(want.substr(colon + 2)) != std::string::npos;
    }
    if (!same)
      mismatches.push_back("problems are " + nlohmann::json(actual).dump(1) + ", expected " +
                           expected["problems"].dump(1));
  }
  return mismatches;
}

}  // namespace intake::ingest
