// intake hostkeys | audit
#include <iostream>

#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "store/audit.hpp"
#include "store/bans.hpp"
#include "store/ipv4_network.hpp"

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

void list_bans(Context& context, bool json) {
  const auto bans = store::BanRepository(context.db()).list_active();
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"IP", "BANNED AT", "UNTIL", "STRIKES", "REASON"}};
  for (const auto& ban : bans) {
    out.push_back({{"ip", ban.ip},
                   {"banned_at", ban.banned_at},
                   {"until", ban.until},
                   {"strikes", ban.strikes},
                   {"reason", ban.reason}});
    rows.push_back({ban.ip, ban.banned_at, ban.until, std::to_string(ban.strikes), ban.reason});
  }
  if (json) {
    print_json(out);
  } else if (bans.empty()) {
    std::cout << "no address is banned\n";
  } else {
    std::cout << render_table(rows);
  }
}

void clear_bans(Context& context, const std::string& ip, bool all, bool json) {
  if (all == !ip.empty()) throw CLI::ValidationError("bans clear", "give either an IP address or --all");
  auto& db = context.db();
  store::Transaction transaction(db);
  store::BanRepository bans(db);
  std::int64_t cleared = 0;
  if (all) {
    cleared = bans.clear_all();
  } else {
    const auto address = store::parse_ipv4_address(ip);
    if (!address) throw UserError(address.error());
    if (!bans.clear(store::ipv4_to_string(*address))) {
      throw UserError(ip + " is not banned; `intake bans` lists the bans");
    }
    cleared = 1;
  }
  if (cleared > 0) audit(context, "ban.clear", "", {{"ip", all ? "all" : ip}, {"cleared", cleared}});
  transaction.commit();
  if (json) {
    print_json({{"cleared", cleared}});
  } else {
    std::cout << "cleared " << cleared << " ban(s); the server accepts these addresses again at once\n";
  }
}

}  // namespace

void add_admin_commands(CLI::App& app, Context& context) {
  auto json = std::make_shared<bool>(false);
  auto* hostkeys = app.add_subcommand(
      "hostkeys", "Create missing host keys (ed25519, RSA-3072, ECDSA P-256) and print their fingerprints");
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

  auto* bans = app.add_subcommand("bans", "List addresses banned by the failed-login defence, or clear bans");
  bans->add_flag("--json", *json, "Print JSON");
  auto ip = std::make_shared<std::string>();
  auto all = std::make_shared<bool>(false);
  auto* clear = bans->add_subcommand("clear", "Lift a ban (takes effect at once, also in a running server)");
  clear->add_option("IP", *ip, "The banned IPv4 address");
  clear->add_flag("--all", *all, "Lift every ban");
  clear->add_flag("--json", *json, "Print JSON");
  clear->callback([&context, ip, all, json] { clear_bans(context, *ip, *all, *json); });
  bans->callback([&context, bans, json] {
    if (bans->get_subcommands().empty()) list_bans(context, *json);
  });
}

}  // namespace intake::cli
