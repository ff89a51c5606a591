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
#include "store/sqlite.hpp"

namespace intake::server {

class ServerStore {
 public:
  explicit ServerStore(store::Database db) : db_(std::move(db)) {}

  // Never throws: a database failure denies the login (and says so in the log).
  LoginDecision check_login(const std::string& user, const std::string& fingerprint, std::uint32_t client_ip);
  // Never throws: a failed audit insert is logged instead.
  void audit(const std::string& action, const std::string& tenant, const nlohmann::json& details);

  std::optional<store::BanRecord> active_ban(const std::string& ip);
  std::vector<store::BanRecord> active_bans();
  void save_ban(const store::BanRecord& ban);

 private:
  LoginDecision check_login_unguarded(const std::string& user, const std::string& fingerprint,
                                      std::uint32_t client_ip);

  std::mutex mutex_;
  store::Database db_;
};

}  // namespace intake::server
