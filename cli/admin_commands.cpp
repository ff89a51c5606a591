// intake hostkeys | audit
#include <iostream>

#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "store/audit.hpp"

namespace intake::cli {
namespace {

void show_host_keys(Context& context, bool json) {
  const auto keys = context.host_keys();
  const auto host = context.public_host();
  const auto port = context.public_port();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& key : keys) out.push_back(host_key_json(key, host, port));
  if (json) {
    print_json(out);
    return;
  }
  for (const auto& key : out) {
    std::cout << (key["created"].get<bool>() ? "created " : "found   ") << key["path"].get<std::string>()
              << "\n  " << key["fingerprint_line"].get<std::string>() << "\n";
  }
  std::cout << "known_hosts lines:\n";
  for (const auto& key : out) std::cout << "  " << key["known_hosts"].get<std::string>() << "\n";
}

void show_audit(Context& context, const std::string& tenant, std::int64_t limit, bool json) {
  const auto events = store::AuditLog(context.db())
                          .list(tenant.empty() ? std::nullopt : std::optional<std::string>(tenant), limit);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"TIME", "ACTOR", "ACTION", "TENANT", "DETAILS"}};
  for (const auto& event : events) {
    out.push_back({{"id", event.id},
                   {"at", event.at},
                   {"actor", event.actor},
                   {"action", event.action},
                   {"tenant", event.tenant},
                   {"details", nlohmann::json::parse(event.details, nullptr, false)}});
    rows.push_back({event.at, event.actor, event.action, event.tenant, event.details});
  }
  if (json) {
    print_json(out);
  } else {
    std::cout << render_table(rows);
  }
}

}  // namespace

void add_admin_commands(CLI::App& app, Context& context) {
  auto json = std::make_shared<bool>(false);
  auto* hostkeys = app.add_subcommand(
      "hostkeys", "Create missing host keys (ed25519, RSA-3072) and print their fingerprints");
  hostkeys->add_flag("--json", *json, "Print JSON");
  hostkeys->callback([&context, json] { show_host_keys(context, *json); });

  auto tenant = std::make_shared<std::string>();
  auto limit = std::make_shared<std::int64_t>(50);
  auto* audit = app.add_subcommand("audit", "Show the audit trail, newest first");
  audit->add_option("--tenant", *tenant, "Only events of this tenant");
  audit->add_option("--limit", *limit, "At most this many events")
      ->default_val(50)
      ->check(CLI::PositiveNumber);
  audit->add_flag("--json", *json, "Print JSON");
  audit->callback([&context, tenant, limit, json] { show_audit(context, *tenant, *limit, *json); });
}

}  // namespace intake::cli
