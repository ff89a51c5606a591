#pragma once
// The subcommands, each area registering itself on the CLI11 app.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "base/sealed_secret.hpp"
#include "cli/context.hpp"
#include "delivery/dispatcher.hpp"
#include "ingest/pipeline.hpp"
#include "store/tenants.hpp"

namespace intake::cli {

void add_tenant_commands(CLI::App& app, Context& context);
void add_key_commands(CLI::App& app, Context& context);
void add_admin_commands(CLI::App& app, Context& context);  // hostkeys, audit, bans
void add_serve_command(CLI::App& app, Context& context);
void add_profile_commands(CLI::App& app, Context& context);  // profile list | show
void add_support_commands(CLI::App& app, Context& context);  // history, report, users, groups, ingest
void add_outbox_commands(CLI::App& app, Context& context);   // outbox [--failed], outbox retry ID
void add_hook_commands(CLI::App& app, Context& context);     // hooks add|list|remove|deliveries|replay
// users add|set|remove and groups add|remove, under the support commands' users and groups.
void add_directory_commands(CLI::App* users, CLI::App* groups, Context& context);

// Shared by the command files (command_support.cpp).
store::Tenant require_tenant(Context& context, const std::string& name);  // UserError when missing
void print_json(const nlohmann::json& value);
// Records a change in the audit trail, as the context's actor, inside the caller's transaction.
void audit(Context& context, const std::string& action, const std::string& tenant,
           const nlohmann::json& details);
std::size_t count_active_keys(Context& context, std::int64_t tenant_id);
// How ingests run under the configuration (limits, password hashing with `hash_threads` threads, 0:
// the configured number); errors go to `on_error`. The server and `intake ingest release` share it.
ingest::IngestSettings ingest_settings(Context& context, unsigned hash_threads,
                                       std::function<void(const std::string&, const std::string&)> on_error);
// The outbox's dispatcher under the configuration: report files and e-mails (SMTP, or the pickup
// folder), retried on the configured schedule. The server runs it; a command that concludes an
// ingest delivers that ingest's report file with it at once.
std::unique_ptr<delivery::Dispatcher> make_dispatcher(Context& context,
                                                      delivery::DispatcherSettings settings);
// The key that seals secrets kept in the database (webhook secrets), made on first use.
tl::expected<base::Sealer, std::string> secrets_sealer(Context& context);
// A command that concluded ingest `id` (a release, a discard) puts its report in reports/ at once, so
// that the customer sees it even while the server is stopped; the server delivers the rest.
void deliver_report_file(Context& context, const std::string& id);

// A table in fixed-width columns, header first.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace intake::cli
