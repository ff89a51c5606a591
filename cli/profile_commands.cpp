// intake profile list | show NAME [--definition]: the built-in profiles, as onboarding staff choose one.
#include <iostream>

#include "cli/commands.hpp"
#include "ingest/profile.hpp"

namespace intake::cli {
namespace {

std::string_view semantics_text(ingest::Semantics semantics) {
  return semantics == ingest::Semantics::Snapshot
             ? "snapshot (users missing from the file are removed)"
             : "upsert (insert or update; users missing from the file stay)";
}

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
                     {"semantics", semantics_text(spec.semantics)},
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

const ingest::Profile& require_profile(const std::string& name) {
  const auto* profile = ingest::find_builtin_profile(name);
  if (!profile)
    throw UserError("no profile '" + name + "'; built-in profiles: " + ingest::builtin_profile_names());
  return *profile;
}

}  // namespace

void add_profile_commands(CLI::App& app, Context&) {
  auto* profile = app.add_subcommand("profile", "The built-in ingest profiles (docs/PROFILES.md)");
  profile->require_subcommand(1);
  struct Options {
    std::string name;
    bool json = false, definition = false;
  };
  auto options = std::make_shared<Options>();
  auto* list = profile->add_subcommand("list", "Name, title and files of every built-in profile");
  list->add_flag("--json", options->json, "Print JSON");
  list->callback([options] {
    if (options->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& p : ingest::builtin_profiles()) out.push_back(profile_json(p));
      print_json(out);
      return;
    }
    std::vector<std::vector<std::string>> rows{{"NAME", "FILES", "TITLE"}};
    for (const auto& p : ingest::builtin_profiles()) {
      std::string files;
      for (const auto& name : p.file_names()) files += (files.empty() ? "" : ", ") + name;
      rows.push_back({p.name, files, p.title});
    }
    std::cout << render_table(rows);
  });
  auto* show = profile->add_subcommand("show", "One profile: its files, columns and rules");
  show->add_option("NAME", options->name, "Profile name")->required();
  show->add_flag("--json", options->json, "Print JSON");
  show->add_flag("--definition", options->definition, "Print the profile's TOML definition");
  show->callback([options] {
    const auto& p = require_profile(options->name);
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
}

}  // namespace intake::cli
