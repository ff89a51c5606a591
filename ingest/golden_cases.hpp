#pragma once
// Golden cases of a profile (docs/PROFILES.md, "The golden corpus"): a folder per case with the
// directory before (before.json, optional), the uploaded bytes (input.csv) and what must come of it
// (expected.json). Read by the unit suite for the built-ins and by `intake profile test DIR` for a
// profile of your own. Each case is parsed and planned exactly as an ingest does, without a database.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "ingest/plan.hpp"

namespace intake::ingest {

struct GoldenCase {
  std::string name;  // the folder's name
  nlohmann::json expected;
  std::string file_name;  // the name it is uploaded as (expected "file", else the profile's first)
  const FileSpec* spec = nullptr;
  // The directory before: the json owns the strings the users' views point at.
  nlohmann::json before;
  std::vector<std::string> groups_joined;
  std::vector<StoredUser> users;
  StoredGroups groups;
  std::vector<std::string> roles;  // the tenant's (expected "roles")
  std::string input;
  std::unique_ptr<ParsedFile> parsed;  // stable address: the plan points into it
  Planner::Options options;            // as the case plans (its groups, stub users)
  std::optional<Plan> plan;            // none when the file was rejected
  std::vector<Change> changes;         // as the plan decided them
};

// Loads, parses and plans one case; an error when its files are missing or malformed.
tl::expected<std::unique_ptr<GoldenCase>, std::string> run_golden_case(const Profile& profile,
                                                                       const std::filesystem::path& folder);
// What differs from expected.json, one line each; empty when the case passes.
std::vector<std::string> golden_case_mismatches(const GoldenCase& golden);
// Every case folder under `folder`, in name order.
std::vector<std::filesystem::path> golden_case_folders(const std::filesystem::path& folder);

// "E1001 updated first_name 'Ann' -> 'Anne'": how expected.json lists changes (a group's or a
// membership change starts "group " or "membership ").
std::string change_line(const Change& change);

}  // namespace intake::ingest
