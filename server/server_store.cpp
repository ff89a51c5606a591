#include "server/server_store.hpp"

#include <map>
#include <tuple>

#include "base/ipv4.hpp"
#include "base/process.hpp"
#include "server/event_log.hpp"
#include "store/audit.hpp"
#include "store/ssh_keys.hpp"
#include "store/tenants.hpp"

namespace intake::server {

LoginDecision ServerStore::check_login(const std::string& user, const std::string& fingerprint,
                                       std::uint32_t client_ip) {
  try {
    return check_login_unguarded(user, fingerprint, client_ip);
  } catch (const std::exception& error) {
    log_event(spdlog::level::err, "", "store.error", {{"operation", "login"}, {"error", error.what()}});
    return {false, std::string("the database is unavailable: ") + error.what()};
  }
}

LoginDecision ServerStore::check_login_unguarded(const std::string& user, const std::string& fingerprint,
                                                 std::uint32_t client_ip) {
  std::lock_guard lock(mutex_);
  return login_decision_locked(user, fingerprint, client_ip);
}

LoginDecision ServerStore::login_decision_locked(const std::string& user, const std::string& fingerprint,
                                                 std::uint32_t client_ip) {
  store::KeyRepository keys(db_);
  LoginFacts facts;
  facts.tenant = store::TenantRepository(db_).find(user);
  facts.key_records = keys.find_by_fingerprint(fingerprint);
  facts.client_ip = client_ip;
  facts.now = keys.now();
  return decide_login(user, fingerprint, facts);
}

void ServerStore::audit(const std::string& action, const std::string& tenant, const nlohmann::json& details) {
  try {
    std::lock_guard lock(mutex_);
    store::AuditLog(db_).record("server", action, tenant,
                                details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  } catch (const std::exception& error) {
    // The event is still in the log; a full disk must not take logins down with it.
    log_event(spdlog::level::err, "", "store.error",
              {{"operation", "audit " + action}, {"error", error.what()}});
  }
}

void ServerStore::session_started(const store::SessionRecord& session) {
  try {
    std::lock_guard lock(mutex_);
    store::SessionRepository(db_).add(session);
  } catch (const std::exception& error) {
    log_event(spdlog::level::err, session.id, "store.error",
              {{"operation", "session.add"}, {"error", error.what()}});
  }
}

void ServerStore::session_ended(const std::string& id) {
  try {
    std::lock_guard lock(mutex_);
    store::SessionRepository(db_).remove(id);
  } catch (const std::exception& error) {
    log_event(spdlog::level::err, id, "store.error",
              {{"operation", "session.remove"}, {"error", error.what()}});
  }
}

std::int64_t ServerStore::forget_dead_servers(std::int64_t own_pid) {
  try {
    std::lock_guard lock(mutex_);
    // A row with our own pid was left by an earlier server the kernel gave the same pid.
    return store::SessionRepository(db_).remove_servers_unless([own_pid](std::int64_t pid) {
      return pid != own_pid && base::intake_process_running(static_cast<pid_t>(pid));
    });
  } catch (const std::exception& error) {
    log_event(spdlog::level::err, "", "store.error",
              {{"operation", "sessions.forget"}, {"error", error.what()}});
    return 0;
  }
}

std::vector<ServerStore::SessionToEnd> ServerStore::sessions_to_end(std::int64_t own_pid,
                                                                    bool recheck_logins) {
  std::vector<SessionToEnd> ending;
  try {
    std::lock_guard lock(mutex_);
    // Sessions of one tenant, key and address share one decision.
    std::map<std::tuple<std::string, std::string, std::string>, LoginDecision> decisions;
    for (const auto& session : store::SessionRepository(db_).list_of_server(own_pid)) {
      if (session.end_requested_by) {
        ending.push_back({session.id, session.tenant,
                          "ended by " + *session.end_requested_by + " (intake sessions kill)"});
        continue;
      }
      if (!recheck_logins) continue;
      const auto ip = base::parse_ipv4_address(session.client_ip);
      if (!ip) continue;
      auto [found, fresh] =
          decisions.try_emplace({session.tenant, session.key_fingerprint, session.client_ip});
      if (fresh) found->second = login_decision_locked(session.tenant, session.key_fingerprint, *ip);
      if (!found->second.allowed) {
        ending.push_back(
            {session.id, session.tenant, "the login is no longer allowed: " + found->second.reason});
      }
    }
  } catch (const std::exception& error) {
    log_event(spdlog::level::err, "", "store.error",
              {{"operation", "sessions.check"}, {"error", error.what()}});
  }
  return ending;
}

bool ServerStore::database_changed() {
  try {
    std::lock_guard lock(mutex_);
    auto pragma = db_.prepare("PRAGMA data_version");
    pragma.step();
    const auto version = pragma.integer(0);
    pragma.reset();
    const bool changed = version != data_version_;
    data_version_ = version;
    return changed;
  } catch (const std::exception& error) {
    log_event(spdlog::level::err, "", "store.error",
              {{"operation", "data_version"}, {"error", error.what()}});
    return true;
  }
}

std::optional<store::BanRecord> ServerStore::active_ban(const std::string& ip) {
  std::lock_guard lock(mutex_);
  return store::BanRepository(db_).find_active(ip);
}

std::vector<store::BanRecord> ServerStore::active_bans() {
  std::lock_guard lock(mutex_);
  return store::BanRepository(db_).list_active();
}

void ServerStore::save_ban(const store::BanRecord& ban) {
  std::lock_guard lock(mutex_);
  store::Transaction transaction(db_);
  store::BanRepository(db_).put(ban);
  store::AuditLog(db_).record(
      "server", "ban.add", "",
      nlohmann::json{{"ip", ban.ip}, {"until", ban.until}, {"strikes", ban.strikes}, {"reason", ban.reason}}
          .dump());
  transaction.commit();
}

}  // namespace intake::server
