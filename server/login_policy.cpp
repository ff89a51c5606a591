#include "server/login_policy.hpp"

#include <algorithm>

#include "base/ipv4.hpp"

namespace intake::server {
namespace {

LoginDecision deny(std::string reason) { return {false, std::move(reason)}; }

bool address_allowed(const store::Tenant& tenant, std::uint32_t ip) {
  if (tenant.allowed_networks.empty()) return true;
  return std::any_of(tenant.allowed_networks.begin(), tenant.allowed_networks.end(),
                     [ip](const std::string& cidr) {
                       const auto network = base::parse_ipv4_network(cidr);
                       return network && network->contains(ip);
                     });
}

}  // namespace

LoginDecision decide_login(const std::string& user, const std::string& fingerprint, const LoginFacts& facts) {
  if (!facts.tenant) return deny("no tenant named '" + user + "'");
  const auto& tenant = *facts.tenant;
  if (!tenant.enabled) return deny("tenant '" + tenant.name + "' is disabled");
  if (!address_allowed(tenant, facts.client_ip)) {
    return deny("address " + base::ipv4_to_string(facts.client_ip) + " is not in the allow-list of tenant '" +
                tenant.name + "'");
  }
  std::optional<store::SshKeyRecord> latest_own;
  for (const auto& record : facts.key_records) {
    if (record.tenant_id != tenant.id) continue;
    const auto state = store::key_state(record, facts.now);
    if (state == store::KeyState::Active) return {true, {}};
    if (!latest_own) latest_own = record;  // records come newest first
  }
  if (latest_own) {
    if (latest_own->revoked_at) {
      return deny("key " + fingerprint + " was revoked at " + *latest_own->revoked_at + " by " +
                  latest_own->revoked_by.value_or("?"));
    }
    return deny("key " + fingerprint + " expired at " + latest_own->expires_at.value_or("?"));
  }
  for (const auto& record : facts.key_records) {
    if (store::key_state(record, facts.now) == store::KeyState::Active) {
      return deny("key " + fingerprint + " belongs to tenant '" + record.tenant_name + "', not '" +
                  tenant.name + "'");
    }
  }
  return deny("key " + fingerprint + " is not registered for tenant '" + tenant.name + "'");
}

}  // namespace intake::server
