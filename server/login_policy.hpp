#pragma once
// Who may log in: a pure decision over what the store knows. The reason is for the log and the
// audit trail only; the client learns nothing beyond "denied".
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/ssh_keys.hpp"
#include "store/tenants.hpp"

namespace intake::server {

struct LoginFacts {
  std::optional<store::Tenant> tenant;           // the tenant named by the SSH user name
  std::vector<store::SshKeyRecord> key_records;  // every record of the offered key
  std::uint32_t client_ip = 0;
  std::string now;  // stored UTC format
};

struct LoginDecision {
  bool allowed = false;
  std::string reason;  // why it was refused; empty when allowed
};

LoginDecision decide_login(const std::string& user, const std::string& fingerprint, const LoginFacts& facts);

}  // namespace intake::server
