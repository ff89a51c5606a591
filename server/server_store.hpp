#pragma once
// The server's one connection to the store, shared by all session threads behind a mutex: login
// lookups, the audit trail of logins and bans, and the bans table.
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "server/login_policy.hpp"
#include "store/bans.hpp"
#include "store/sessions.hpp"
#include "store/sqlite.hpp"

namespace intake::server {

class ServerStore {
 public:
  explicit ServerStore(store::Database db) : db_(std::move(db)) {}

  // Never throws: a database failure denies the login (and says so in the log).
  LoginDecision check_login(const std::string& user, const std::string& fingerprint, std::uint32_t client_ip);
  // Never throws: a failed audit insert is logged instead.
  void audit(const std::string& action, const std::string& tenant, const nlohmann::json& details);

  // Live sessions (`intake sessions`). Never throw: a failure is logged, the session goes on.
  void session_started(const store::SessionRecord& session);
  void session_ended(const std::string& id);
  // At start: forgets the rows of servers that are no longer running (and of an earlier server that
  // had this pid). Returns how many rows went.
  std::int64_t forget_dead_servers(std::int64_t own_pid);
  struct SessionToEnd {
    std::string id, tenant, reason;
  };
  // The sessions of this server that must end: those `intake sessions kill` marked, and, when
  // `recheck_logins`, those whose login would now be refused (tenant disabled, key revoked or
  // expired, address no longer allowed).
  std::vector<SessionToEnd> sessions_to_end(std::int64_t own_pid, bool recheck_logins);
  // True when another connection (the CLI, an ingest worker) committed since the last call.
  bool database_changed();

  std::optional<store::BanRecord> active_ban(const std::string& ip);
  std::vector<store::BanRecord> active_bans();
  void save_ban(const store::BanRecord& ban);

 private:
  LoginDecision check_login_unguarded(const std::string& user, const std::string& fingerprint,
                                      std::uint32_t client_ip);
  LoginDecision login_decision_locked(const std::string& user, const std::string& fingerprint,
                                      std::uint32_t client_ip);  // the caller holds mutex_

  std::mutex mutex_;
  store::Database db_;
  std::int64_t data_version_ = -1;
};

}  // namespace intake::server
