#include "server/sftp/name_claims.hpp"

#include <algorithm>

namespace intake::server::sftp {

NameClaims::Claim::Claim(Claim&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)),
      tenant_(std::move(other.tenant_)),
      names_(std::move(other.names_)) {}

NameClaims::Claim& NameClaims::Claim::operator=(Claim&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    tenant_ = std::move(other.tenant_);
    names_ = std::move(other.names_);
  }
  return *this;
}

NameClaims::Claim::~Claim() { release(); }

void NameClaims::Claim::release() {
  if (!owner_) return;
  std::lock_guard lock(owner_->mutex_);
  for (const auto& name : names_) owner_->held_.erase({tenant_, name});
  owner_ = nullptr;
}

std::optional<NameClaims::Claim> NameClaims::try_claim(const std::string& tenant,
                                                       std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::lock_guard lock(mutex_);
  for (const auto& name : names) {
    if (held_.count({tenant, name})) return std::nullopt;
  }
  for (const auto& name : names) held_.emplace(tenant, name);
  return Claim(this, tenant, std::move(names));
}

bool NameClaims::held(const std::string& tenant, const std::string& name) {
  std::lock_guard lock(mutex_);
  return held_.count({tenant, name}) != 0;
}

}  // namespace intake::server::sftp
