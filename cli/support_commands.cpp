// intake history | report | users | groups | ingest release | ingest discard
#include <iostream>

#include "base/utc_time.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "ingest/pipeline.hpp"
#include "ingest/report.hpp"
#include "store/directory.hpp"
#include "store/ingests.hpp"
#include "store/outbox.hpp"

namespace intake::cli {
namespace {

struct SupportOptions {
  std::string tenant, status, since, until, file, id, group, search;
  std::int64_t limit = 50;
  bool json = false;
};

nlohmann::json ingest_json(const store::IngestRecord& r) {
  const auto& c = r.counts;
  return {{"id", r.id},
          {"tenant", r.tenant},
          {"file", r.file_name},
          {"size", r.size},
          {"status", store::ingest_status_name(r.status)},
          {"message", r.status_message},
          {"received_at", r.received_at},
          {"finished_at", r.finished_at ? nlohmann::json(*r.finished_at) : nlohmann::json(nullptr)},
          {"counts",
           {{"rows", c.rows},
            {"added", c.added},
            {"updated", c.updated},
            {"removed", c.removed},
            {"unchanged", c.unchanged},
            {"skipped", c.skipped},
            {"invalid", c.invalid}}},
          {"sha256", r.sha256 ? nlohmann::json(*r.sha256) : nlohmann::json(nullptr)},
          {"archive_path", r.archive_path ? nlohmann::json(*r.archive_path) : nlohmann::json(nullptr)},
          {"key_fingerprint", r.key_fingerprint},
          {"client_ip", r.client_ip},
          {"session_id", r.session_id}};
}

std::optional<std::string> optional_of(const std::string& text) {
  return text.empty() ? std::nullopt : std::optional<std::string>(text);
}

std::optional<std::string> time_bound(const std::string& text, const char* option) {
  if (text.empty()) return std::nullopt;
  const auto parsed = base::parse_typed_time(text);
  if (!parsed) throw UserError(std::string(option) + ": " + parsed.error());
  return base::format_stored_time(*parsed);
}

void history(Context& context, const SupportOptions& o) {
  store::IngestFilter filter{optional_of(o.tenant),
                             time_bound(o.since, "--since"),
                             time_bound(o.until, "--until"),
                             optional_of(o.file),
                             std::nullopt,
                             o.limit};
  if (!o.status.empty()) filter.status = store::parse_ingest_status(o.status);  // checked by CLI11
  const auto records = store::IngestRepository(context.db()).list(filter);
  if (o.json) {
    store::OutboxRepository outbox(context.db());
    nlohmann::json out = nlohmann::json::array();
    for (const auto& record : records) {
      out.push_back(ingest_json(record));
      out.back()["deliveries"] = deliveries_json(outbox.of_ingest(record.id));
    }
    print_json(out);
    return;
  }
  if (records.empty()) {
    std::cout << "no uploads match\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"ID", "RECEIVED", "TENANT", "FILE", "SIZE", "STATUS", "ROWS +/~/-/=/skip/bad", "KEY", "IP"}};
  for (const auto& r : records) {
    const auto& c = r.counts;
    rows.push_back({r.id, r.received_at, r.tenant, r.file_name, std::to_string(r.size),
                    std::string(store::ingest_status_name(r.status)),
                    std::to_string(c.rows) + " " + std::to_string(c.added) + "/" + std::to_string(c.updated) +
                        "/" + std::to_string(c.removed) + "/" + std::to_string(c.unchanged) + "/" +
                        std::to_string(c.skipped) + "/" + std::to_string(c.invalid),
                    r.key_fingerprint.substr(0, 20), r.client_ip});
  }
  std::cout << render_table(rows);
}

store::IngestRecord require_ingest(Context& context, const std::string& id) {
  auto record = store::IngestRepository(context.db()).find(id);
  if (!record) throw UserError("no upload with id " + id + "; `intake history` lists them");
  return *record;
}

void report(Context& context, const SupportOptions& o) {
  const auto record = require_ingest(context, o.id);
  const auto deliveries = store::OutboxRepository(context.db()).of_ingest(record.id);
  if (!record.report && !store::is_final(record.status)) {
    if (o.json) {
      print_json(ingest_json(record));
    } else {
      std::cout << "upload " << record.id << " (" << record.file_name << ") is "
                << store::ingest_status_name(record.status)
                << (record.status_message.empty() ? "" : ": " + record.status_message)
                << "; it has no report yet\n";
    }
    return;
  }
  auto json = ingest::current_report(record);
  if (o.json) {
    json["deliveries"] = deliveries_json(deliveries);
    print_json(json);
  } else {
    std::cout << ingest::render_report_text(json) << "\nDelivered:\n" << deliveries_text(deliveries);
  }
}

void users(Context& context, const SupportOptions& o) {
  const auto tenant = require_tenant(context, o.tenant);
  if (!o.status.empty() && o.status != "active" && o.status != "removed" && o.status != "all") {
    throw UserError("--status must be active, removed or all");
  }
  const auto found = store::DirectoryRepository(context.db())
                         .find_users(tenant.id, {optional_of(o.group), optional_of(o.status),
                                                 optional_of(o.search), o.limit});
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& u : found) {
      out.push_back(user_json(u));
    }
    print_json(out);
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"USERNAME", "NAME", "EMAIL", "PHONE", "GROUP", "SOURCE", "STATUS"}};
  for (const auto& u : found) {
    const auto name = u.field(store::UserField::DisplayName).empty()
                          ? u.field(store::UserField::FirstName) + " " + u.field(store::UserField::LastName)
                          : u.field(store::UserField::DisplayName);
    std::string groups;
    for (const auto& group : u.groups) groups += (groups.empty() ? "" : ", ") + group;
    rows.push_back({u.external_id, name, u.field(store::UserField::Email), u.phone(), groups,
                    u.origin_file ? "sync" : "manual", u.removed_at ? "removed" : "active"});
  }
  std::cout << (found.empty() ? "no users match\n" : render_table(rows));
}

void groups(Context& context, const SupportOptions& o) {
  const auto tenant = require_tenant(context, o.tenant);
  const auto found = store::DirectoryRepository(context.db()).groups(tenant.id);
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& g : found)
      out.push_back(
          {{"id", g.external_id},
           {"name", g.name},
           {"members", g.members},
           {"source", g.origin_file ? "sync" : "manual"},
           {"origin_file", g.origin_file ? nlohmann::json(*g.origin_file) : nlohmann::json(nullptr)}});
    print_json(out);
    return;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "NAME", "MEMBERS", "SOURCE"}};
  for (const auto& g : found)
    rows.push_back({g.external_id, g.name, std::to_string(g.members), g.origin_file ? "sync" : "manual"});
  std::cout << (found.empty() ? "no groups yet\n" : render_table(rows));
}

void release(Context& context, const SupportOptions& o) {
  const auto record = require_ingest(context, o.id);
  if (record.status != store::IngestStatus::Held)
    throw UserError("upload " + o.id + " is " + std::string(store::ingest_status_name(record.status)) +
                    ", not held; only a held upload can be released");
  // Applied with the releasing person as the actor of its audit row (written with the directory change).
  auto settings = ingest_settings(context, 1, {});
  settings.actor = context.actor();
  auto status = ingest::process_ingest(settings, o.id, ingest::Release::Yes);
  if (!status) throw UserError(status.error());
  deliver_report_file(context, o.id);
  const auto after = require_ingest(context, o.id);
  if (o.json) {
    print_json(ingest_json(after));
  } else {
    std::cout << "released " << o.id << ": " << store::ingest_status_name(after.status) << " ("
              << after.counts.added << " added, " << after.counts.updated << " updated, "
              << after.counts.removed << " removed)\n";
  }
}

void discard(Context& context, const SupportOptions& o) {
  auto& db = context.db();
  store::Transaction transaction(db);
  const auto record = require_ingest(context, o.id);
  if (record.status != store::IngestStatus::Held)
    throw UserError("upload " + o.id + " is " + std::string(store::ingest_status_name(record.status)) +
                    ", not held; only a held upload can be discarded");
  const auto discarded = store::IngestRepository(db).change_status(
      o.id, store::IngestStatus::Discarded,
      {"discarded by " + context.actor() + "; nothing was applied", {}, {}, {}}, context.actor(),
      "ingest.discard");
  if (!discarded) throw UserError(discarded.error());
  transaction.commit();
  deliver_report_file(context, o.id);
  // A discarded file that held passwords has them blanked now that it has concluded.
  ingest::redact_concluded_archives(ingest_settings(context, 1,
                                                    [](const std::string&, const std::string& error) {
                                                      std::cerr << "warning: " << error << "\n";
                                                    }),
                                    db);
  if (o.json) {
    print_json(ingest_json(require_ingest(context, o.id)));
  } else {
    std::cout << "discarded " << o.id << "; nothing was applied\n";
  }
}

}  // namespace

void add_support_commands(CLI::App& app, Context& context) {
  auto o = std::make_shared<SupportOptions>();

  auto* history_command = app.add_subcommand("history", "Uploads and what became of them, newest first");
  history_command->add_option("--tenant", o->tenant, "Only this tenant");
  history_command->add_option("--status", o->status, store::ingest_status_names())->check(CLI::IsMember([] {
    std::vector<std::string> names;
    for (const auto status : store::kIngestStatuses) names.emplace_back(store::ingest_status_name(status));
    return names;
  }()));
  history_command->add_option("--since", o->since,
                              "Received at or after (UTC: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z)");
  history_command->add_option("--until", o->until, "Received before (UTC)");
  history_command->add_option("--file", o->file, "Only uploads of this file name");
  history_command->add_option("--limit", o->limit, "At most this many")->check(CLI::PositiveNumber);
  history_command->add_flag("--json", o->json, "Print JSON");
  history_command->callback([&context, o] { history(context, *o); });

  auto* report_command = app.add_subcommand("report", "The full report of one upload");
  report_command->add_option("ID", o->id, "Upload id (from `intake history`)")->required();
  report_command->add_flag("--json", o->json, "Print JSON");
  report_command->callback([&context, o] { report(context, *o); });

  auto* users_command = app.add_subcommand("users", "A tenant's directory users");
  users_command->add_option("TENANT", o->tenant, "Tenant name");
  users_command->add_option("--group", o->group, "Only members of this group");
  users_command->add_option("--status", o->status, "active (default), removed or all");
  users_command->add_option("--search", o->search, "Text in username, name, e-mail or phone");
  users_command->add_option("--limit", o->limit, "At most this many")
      ->default_val(1000)
      ->check(CLI::PositiveNumber);
  users_command->add_flag("--json", o->json, "Print JSON");
  auto* groups_command = app.add_subcommand("groups", "A tenant's directory groups with their member counts");
  groups_command->add_option("TENANT", o->tenant, "Tenant name");
  groups_command->add_flag("--json", o->json, "Print JSON");
  add_directory_commands(users_command, groups_command, context);
  // Listing unless a subcommand (add, set, remove) was given.
  const auto listing = [](CLI::App* command, auto list) {
    command->callback([command, list] {
      if (!command->get_subcommands().empty()) return;
      list();
    });
  };
  listing(users_command, [&context, o] {
    if (o->tenant.empty())
      throw UserError("name the tenant: intake users TENANT (or intake users add|set|remove …)");
    users(context, *o);
  });
  listing(groups_command, [&context, o] {
    if (o->tenant.empty())
      throw UserError("name the tenant: intake groups TENANT (or intake groups add|remove …)");
    groups(context, *o);
  });

  auto* ingest_command =
      app.add_subcommand("ingest", "Release or discard a held upload (mass-removal guard)");
  ingest_command->require_subcommand(1);
  auto* release_command = ingest_command->add_subcommand("release", "Apply a held upload despite the guard");
  release_command->add_option("ID", o->id, "Upload id")->required();
  release_command->add_flag("--json", o->json, "Print JSON");
  release_command->callback([&context, o] { release(context, *o); });
  auto* discard_command = ingest_command->add_subcommand("discard", "Drop a held upload: nothing is applied");
  discard_command->add_option("ID", o->id, "Upload id")->required();
  discard_command->add_flag("--json", o->json, "Print JSON");
  discard_command->callback([&context, o] { discard(context, *o); });
}

}  // namespace intake::cli
