// intake profile list | show | add | remove | check: the built-in profiles and the operator's own
// (docs/PROFILES.md), as onboarding staff choose, add and try them.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/text.hpp"
#include "cli/commands.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/directory_plan.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/golden_cases.hpp"
#include "ingest/profile_catalog.hpp"
#include "ingest/report.hpp"
#include "store/directory.hpp"
#include "store/profiles.hpp"
#include "store/sqlite.hpp"

namespace intake::cli {
namespace {

std::string_view header_text(ingest::HeaderMode mode) {
  switch (mode) {
    case ingest::HeaderMode::Required: return "required";
    case ingest::HeaderMode::Optional: return "optional (detected)";
    case ingest::HeaderMode::None: return "none (columns by position)";
  }
  return "";
}

nlohmann::json profile_json(const ingest::Profile& profile) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& spec : profile.files) {
    nlohmann::json columns = nlohmann::json::array();
    for (const auto& column : spec.columns) {
      columns.push_back({{"header", column.header},
                         {"target", ingest::target_text(column.target)},
                         {"required", column.required},
                         {"header_required", column.header_required}});
    }
    files.push_back({{"name", spec.name},
                     {"description", spec.description},
                     {"semantics", ingest::semantics_description(spec.semantics)},
                     {"header", header_text(spec.header)},
                     {"delimiter", std::string(1, spec.delimiter)},
                     {"key", spec.key().header},
                     {"columns", columns},
                     {"sample", {ingest::sample_header(spec), ingest::sample_row(spec, "ORG-ID")}}});
  }
  return {{"name", profile.name},
          {"title", profile.title},
          {"source", profile.source},
          {"sha256", profile.sha256},
          {"files", files}};
}

std::shared_ptr<const ingest::Profile> require_profile(Context& context, const std::string& name) {
  auto profile = ingest::find_profile(context.db(), name);
  if (!profile) throw UserError(profile.error());
  return *profile;
}

std::string read_text_file(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UserError("cannot read " + std::string(what) + " " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void add_profile(Context& context, const std::string& path) {
  const auto text = read_text_file(path, "the profile");
  const auto profile = ingest::check_new_profile(text, std::filesystem::path(path).filename().string());
  if (!profile) throw UserError(profile.error());
  store::ProfileRepository profiles(context.db());
  store::Transaction transaction(context.db());
  if (!profiles.add(profile->name, profile->sha256, profile->definition, context.actor())) {
    std::cout << "profile " << profile->name << " is already this definition (version "
              << profile->sha256.substr(0, 12) << "); nothing changed\n";
    return;
  }
  const auto tenants = profiles.tenants_using(profile->name);
  audit(context, "profile.add", "",
        {{"profile", profile->name}, {"sha256", profile->sha256}, {"tenants", tenants}});
  transaction.commit();
  std::cout << "profile " << profile->name << " version " << profile->sha256.substr(0, 12) << " added ("
            << profile->files.size() << (profile->files.size() == 1 ? " file" : " files") << ", version "
            << profiles.version_count(profile->name) << ")";
  if (!tenants.empty()) {
    std::cout << "; the next upload of " << base::join(tenants) << " uses it";
  }
  std::cout << "\n";
}

void remove_profile(Context& context, const std::string& name) {
  if (ingest::find_builtin_profile(name))
    throw UserError("'" + name + "' is a built-in profile; it cannot be removed");
  store::ProfileRepository profiles(context.db());
  store::Transaction transaction(context.db());
  if (const auto tenants = profiles.tenants_using(name); !tenants.empty()) {
    throw UserError("profile " + name + " is used by " + base::join(tenants) +
                    "; give them another profile first (`intake tenant set TENANT --profile NAME`)");
  }
  if (!profiles.remove(name))
    throw UserError("no profile '" + name + "' of your own; `intake profile list` shows them");
  audit(context, "profile.remove", "", {{"profile", name}});
  transaction.commit();
  std::cout << "removed profile " << name
            << " (its versions stay on record for the ingests that used them)\n";
}

struct CheckOptions {
  std::string file, profile, tenant, file_name, org_id;
};

// Parses and plans a file as an upload would be, applying nothing: against the tenant's directory with
// --tenant, else against an empty one. Prints the report; exits 1 when the file has problems.
void check_file(Context& context, const CheckOptions& o) {
  std::optional<store::Tenant> tenant;
  if (!o.tenant.empty()) tenant = require_tenant(context, o.tenant);
  if (o.profile.empty() && !tenant)
    throw UserError("give --profile NAME, or --tenant TENANT to use its profile");
  const auto profile = require_profile(context, o.profile.empty() ? tenant->profile : o.profile);
  const auto file_name =
      o.file_name.empty() ? std::filesystem::path(o.file).filename().string() : o.file_name;
  const auto* spec = profile->file_for(file_name);
  if (!spec) {
    throw UserError(profile->no_rules_for(file_name) + " (name the one to check with --file-name)");
  }
  const std::string org_id = !o.org_id.empty() ? o.org_id : tenant ? tenant->org_id : "";
  const bool has_org_column = std::any_of(spec->columns.begin(), spec->columns.end(), [](const auto& column) {
    return column.target.kind == ingest::TargetKind::OrgId;
  });
  if (has_org_column && org_id.empty())
    throw UserError("files of " + profile->name +
                    " carry the organisation id in every row; give --org-id or --tenant");

  const auto content = read_text_file(o.file, "the file");
  ingest::StringSource source(content);
  ingest::CsvReader reader(source, spec->delimiter);
  ingest::ParseContext parse_context{org_id, tenant ? std::string_view(tenant->phone_region) : ""};
  if (tenant) parse_context.roles = tenant->roles;
  const auto parsed = ingest::parse_file(reader, *spec, parse_context);

  ingest::ReportInputs report;
  report.tenant = tenant ? tenant->name : "";
  report.file_name = file_name;
  report.profile = profile->name;
  report.profile_sha256 = profile->sha256;
  report.file_kind = ingest::file_kind(*spec);
  report.rows = parsed.records;
  report.invalid = parsed.invalid;
  report.skipped = parsed.skipped;
  report.ignored_columns = parsed.ignored_columns;
  bool problems = parsed.rejection.has_value() || parsed.invalid > 0;
  if (parsed.rejection) {
    report.status = "rejected";
    report.message = "the file would not be applied: " + parsed.rejection->message;
    report.errors.push_back({parsed.rejection->line, parsed.rejection->column, parsed.rejection->message});
  } else {
    const auto record_change = [&](const ingest::Change& change) {
      if (report.changes.size() < 1000) report.changes.push_back(change);
    };
    ingest::Plan plan;
    if (tenant) {
      // A snapshot of the directory, read in a transaction of its own and never written.
      store::DirectoryRepository directory(context.db());
      store::Transaction reading(context.db(), store::Transaction::Mode::Reading);
      plan = ingest::plan_against_directory(directory, tenant->id, file_name, profile->sha256, *spec, parsed,
                                            tenant->auto_create_users, record_change);
    } else {
      plan = ingest::plan_file(*spec, parsed, {}, {file_name}, record_change);
    }
    ingest::add_plan_counts(report, parsed, plan);
    for (const auto& issue : ingest::all_issues(parsed, plan))
      report.errors.push_back({issue.line, issue.column, issue.message});
    const unsigned max_invalid =
        spec->max_invalid_percent.value_or(context.config().ingest.max_invalid_rows_percent);
    problems = report.invalid > 0;
    if (const auto too_many = ingest::too_many_invalid(report.invalid, parsed.records, max_invalid)) {
      report.status = "rejected";
      report.message = *too_many + "; the file would not be applied";
    } else {
      report.status = "checked";
      report.message = std::string("checked locally: nothing was applied; ") +
                       (tenant ? "the changes are what it would make to " + tenant->name + "'s directory now"
                               : "planned against an empty directory (give --tenant to compare with one)");
    }
  }
  std::cout << ingest::render_report_text(ingest::report_json(report));
  if (problems) throw UserError("the file has problems (listed above); fix them before it is uploaded");
}

// Runs the golden cases in DIR (one folder per case, docs/PROFILES.md "The golden corpus") against a
// profile: a vendor keeps its cases next to its profile and runs them before each `profile add`.
void test_profile(Context& context, const std::string& folder, const std::string& name,
                  const std::string& file) {
  std::shared_ptr<const ingest::Profile> profile;
  if (!file.empty()) {
    auto loaded = ingest::load_profile(read_text_file(file, "the profile"),
                                       std::filesystem::path(file).filename().string());
    if (!loaded) throw UserError(loaded.error());
    profile = std::make_shared<const ingest::Profile>(std::move(*loaded));
  } else {
    profile =
        require_profile(context, name.empty() ? std::filesystem::path(folder).filename().string() : name);
  }
  const auto cases = ingest::golden_case_folders(folder);
  if (cases.empty())
    throw UserError("no cases in " + folder + ": each case is a folder with input.csv and expected.json");
  std::size_t failed = 0;
  for (const auto& case_folder : cases) {
    const auto golden = ingest::run_golden_case(*profile, case_folder);
    const auto mismatches =
        golden ? ingest::golden_case_mismatches(**golden) : std::vector<std::string>{golden.error()};
    std::cout << (mismatches.empty() ? "ok    " : "FAIL  ") << case_folder.filename().string() << "\n";
    for (const auto& mismatch : mismatches) std::cout << "      " << mismatch << "\n";
    failed += !mismatches.empty();
  }
  std::cout << cases.size() << " cases against " << profile->name << " (definition "
            << profile->sha256.substr(0, 12) << "): " << cases.size() - failed << " passed, " << failed
            << " failed\n";
  if (failed)
    throw UserError(std::to_string(failed) + " of " + std::to_string(cases.size()) + " cases failed");
}

}  // namespace

void add_profile_commands(CLI::App& app, Context& context) {
  auto* profile =
      app.add_subcommand("profile", "Ingest profiles: the built-in ones and your own (docs/PROFILES.md)");
  profile->require_subcommand(1);
  struct Options {
    std::string name;
    bool json = false, definition = false;
  };
  auto options = std::make_shared<Options>();
  auto* list = profile->add_subcommand("list", "Name, origin, title and files of every profile");
  list->add_flag("--json", options->json, "Print JSON");
  list->callback([options, &context] {
    // The built-ins, then the operator's own (newest versions), each with where it comes from; one
    // that no longer loads is listed with the loader's error.
    struct Listed {
      std::shared_ptr<const ingest::Profile> profile;
      std::string name, origin, error;
    };
    std::vector<Listed> all;
    for (const auto& p : ingest::builtin_profiles())
      all.push_back({require_profile(context, p.name), p.name, "built-in", ""});
    for (const auto& stored : store::ProfileRepository(context.db()).list()) {
      const auto loaded = ingest::load_stored_profile(stored);
      all.push_back({loaded.value_or(nullptr), stored.name,
                     "added " + stored.added_at + " by " + stored.added_by, loaded ? "" : loaded.error()});
    }
    if (options->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& listed : all) {
        auto json = listed.profile ? profile_json(*listed.profile) : nlohmann::json{{"name", listed.name}};
        json["origin"] = listed.origin;
        if (!listed.error.empty()) json["error"] = listed.error;
        out.push_back(json);
      }
      print_json(out);
      return;
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "ORIGIN", "FILES", "TITLE"}};
    for (const auto& listed : all) {
      rows.push_back({listed.name, listed.origin,
                      listed.profile ? base::join(listed.profile->file_names()) : "",
                      listed.profile ? listed.profile->title : "DOES NOT LOAD: " + listed.error});
    }
    std::cout << render_table(rows);
  });
  auto* show = profile->add_subcommand("show", "One profile: its files, columns and rules");
  show->add_option("NAME", options->name, "Profile name")->required();
  show->add_flag("--json", options->json, "Print JSON");
  show->add_flag("--definition", options->definition, "Print the profile's TOML definition");
  show->callback([options, &context] {
    const auto& p = *require_profile(context, options->name);
    if (options->definition) {
      std::cout << p.definition;
      return;
    }
    const auto json = profile_json(p);
    if (options->json) {
      print_json(json);
      return;
    }
    std::cout << p.name << ": " << p.title << "\n  source: " << p.source << "\n  sha256: " << p.sha256
              << "\n";
    for (const auto& file : json["files"]) {
      std::cout << "\nFile " << file["name"].get<std::string>() << " — "
                << file["semantics"].get<std::string>()
                << "\n  header row: " << file["header"].get<std::string>() << "; delimiter '"
                << file["delimiter"].get<std::string>() << "'; key: " << file["key"].get<std::string>()
                << "\n";
      std::vector<std::vector<std::string>> rows{{"COLUMN", "FEEDS", "REQUIRED"}};
      for (const auto& column : file["columns"]) {
        rows.push_back({column["header"].get<std::string>(), column["target"].get<std::string>(),
                        column["required"].get<bool>()          ? "value"
                        : column["header_required"].get<bool>() ? "column"
                                                                : ""});
      }
      std::cout << render_table(rows) << "  sample:\n";
      for (const auto& line : file["sample"]) std::cout << "    " << line.get<std::string>() << "\n";
    }
  });

  auto* add =
      profile->add_subcommand("add", "Add a profile of your own from its TOML file, or a new version of it");
  add->add_option("FILE", options->name, "The profile's TOML file")->required();
  add->callback([options, &context] { add_profile(context, options->name); });
  auto* remove = profile->add_subcommand("remove", "Remove a profile of your own that no tenant uses");
  remove->add_option("NAME", options->name, "Profile name")->required();
  remove->callback([options, &context] { remove_profile(context, options->name); });

  struct TestOptions {
    std::string folder, profile, file;
  };
  auto test_options = std::make_shared<TestOptions>();
  auto* test = profile->add_subcommand("test", "Run golden cases (a folder per case) against a profile");
  test->add_option("DIR", test_options->folder, "The folder of cases")->required();
  test->add_option("--profile", test_options->profile, "A profile by name (default: DIR's name)");
  test->add_option("--file", test_options->file, "A profile file not added yet");
  test->callback([test_options, &context] {
    test_profile(context, test_options->folder, test_options->profile, test_options->file);
  });

  auto check_options = std::make_shared<CheckOptions>();
  auto* check = profile->add_subcommand(
      "check", "Parse and plan a CSV file as an upload would be, applying nothing, and print the report");
  check->add_option("FILE", check_options->file, "The CSV file")->required();
  check->add_option("--profile", check_options->profile, "The profile to check it against");
  check->add_option("--tenant", check_options->tenant,
                    "Use this tenant's profile, org id and phone region, and compare with its directory");
  check->add_option("--file-name", check_options->file_name,
                    "The name it would be uploaded as (default: the file's own name)");
  check->add_option("--org-id", check_options->org_id,
                    "The organisation id rows must carry (profiles with one)");
  check->callback([check_options, &context] { check_file(context, *check_options); });
}

}  // namespace intake::cli
