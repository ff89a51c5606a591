// intake hostkeys | audit | bans | sessions
#include <iostream>
#include <thread>

#include "base/ipv4.hpp"
#include "base/process.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "store/audit.hpp"
#include "store/bans.hpp"
#include "store/sessions.hpp"

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
    const auto address = base::parse_ipv4_address(ip);
    if (!address) throw UserError(address.error());
    if (!bans.clear(base::ipv4_to_string(*address))) {
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

// Rows whose server is gone (killed, crashed) are forgotten here as the next server start would.
std::vector<store::SessionRecord> live_sessions(Context& context) {
  store::SessionRepository sessions(context.db());
  sessions.remove_servers_unless(
      [](std::int64_t pid) { return base::intake_process_running(static_cast<pid_t>(pid)); });
  return sessions.list();
}

void list_sessions(Context& context, bool json) {
  const auto sessions = live_sessions(context);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"ID", "TENANT", "IP", "STARTED", "KEY", "CLIENT"}};
  for (const auto& session : sessions) {
    out.push_back({{"id", session.id},
                   {"tenant", session.tenant},
                   {"ip", session.client_ip},
                   {"started_at", session.started_at},
                   {"key", session.key_fingerprint},
                   {"client", session.client_version},
                   {"server_pid", session.server_pid},
                   {"ending", session.end_requested_by.has_value()}});
    rows.push_back({session.id, session.tenant, session.client_ip, session.started_at,
                    session.key_fingerprint,
                    session.client_version + (session.end_requested_by ? " (ending)" : "")});
  }
  if (json) {
    print_json(out);
  } else if (sessions.empty()) {
    std::cout << "no session is logged in\n";
  } else {
    std::cout << render_table(rows);
  }
}

// Marks the sessions; their server ends them within about 2 s. Waits to say whether they did.
void kill_sessions(Context& context, const std::string& target, bool json) {
  live_sessions(context);
  auto& db = context.db();
  std::int64_t marked = 0;
  {
    store::Transaction transaction(db);
    marked = store::SessionRepository(db).request_end(target, context.actor());
    if (marked == 0) {
      throw UserError("no live session has the id '" + target + "' and no tenant of that name has one; " +
                      "`intake sessions` lists them");
    }
    audit(context, "session.kill", "", {{"target", target}, {"sessions", marked}});
    transaction.commit();
  }
  std::int64_t left = marked;
  for (int waited = 0; waited < 100 && left > 0; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    left = store::SessionRepository(db).count_matching(target);
  }
  if (json) {
    print_json({{"marked", marked}, {"ended", marked - left}, {"still_open", left}});
  } else {
    std::cout << "ended " << (marked - left) << " of " << marked << " session(s)\n";
  }
  if (left > 0) {
    throw UserError(std::to_string(left) + " session(s) did not end within 10 s; is `intake serve` " +
                    "running and reading this data dir? They end as soon as it checks again");
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

  auto* sessions = app.add_subcommand("sessions", "List the logged-in SFTP sessions, or end them");
  sessions->add_flag("--json", *json, "Print JSON");
  auto target = std::make_shared<std::string>();
  auto* kill = sessions->add_subcommand(
      "kill", "End a session, or every session of a tenant, now (an upload in flight is kept as partial)");
  kill->add_option("ID|TENANT", *target, "A session id from `intake sessions`, or a tenant name")->required();
  kill->add_flag("--json", *json, "Print JSON");
  kill->callback([&context, target, json] { kill_sessions(context, *target, *json); });
  sessions->callback([&context, sessions, json] {
    if (sessions->get_subcommands().empty()) list_sessions(context, *json);
  });
}

}  // namespace intake::cli
