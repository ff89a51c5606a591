#pragma once
// The failed-login defence at work: BanPolicy in memory, bans persisted through ServerStore so that
// `intake bans` sees them and can lift them. Thread-safe.
#include <cstdint>
#include <mutex>
#include <string>

#include "server/ban_policy.hpp"
#include "server/server_store.hpp"

namespace intake::server {

class BanService {
 public:
  // Restores the bans still active in the store.
  BanService(BanSettings settings, ServerStore& store);
  void update_settings(BanSettings settings);

  // Whether a new connection from `ip` is refused; `until` says how long for.
  bool refuses(std::uint32_t ip, std::string& until);
  // A connection from `ip` ended without logging in.
  void record_failure(std::uint32_t ip, const std::string& session, const std::string& why);
  // A key login from `ip` succeeded: its strikes are forgotten (customers behind one NAT).
  void record_success(std::uint32_t ip);

 private:
  std::mutex mutex_;
  BanPolicy policy_;
  ServerStore& store_;
};

}  // namespace intake::server
