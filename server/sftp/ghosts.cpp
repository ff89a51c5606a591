#include "server/sftp/ghosts.hpp"

namespace intake::server::sftp {

void GhostRegistry::expire(Clock::time_point now) {
  std::erase_if(entries_, [now](const auto& item) { return item.second.expires <= now; });
}

void GhostRegistry::remember(const std::string& tenant, const std::string& name, Ghost ghost) {
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  expire(now);
  entries_[{tenant, name}] = Entry{ghost, now + ttl_};
}

std::optional<Ghost> GhostRegistry::find(const std::string& tenant, const std::string& name) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find({tenant, name});
  if (found == entries_.end() || found->second.expires <= Clock::now()) return std::nullopt;
  return found->second.ghost;
}

bool GhostRegistry::set_mtime(const std::string& tenant, const std::string& name, std::uint32_t mtime) {
  std::lock_guard lock(mutex_);
  const auto found = entries_.find({tenant, name});
  if (found == entries_.end() || found->second.expires <= Clock::now()) return false;
  found->second.ghost.mtime = mtime;
  return true;
}

bool GhostRegistry::forget(const std::string& tenant, const std::string& name) {
  std::lock_guard lock(mutex_);
  return entries_.erase({tenant, name}) > 0;
}

}  // namespace intake::server::sftp
