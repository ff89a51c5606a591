#include "server/server_store.hpp"

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
