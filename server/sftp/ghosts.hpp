#pragma once
// After a file is taken for ingest its name lingers as a "ghost" for ghost_ttl, per tenant and shared
// by all of the tenant's connections: STAT answers the uploaded size and mtime, SETSTAT and REMOVE
// answer OK, listings don't show it (CLIENTS.md). Thread-safe.
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace intake::server::sftp {

struct Ghost {
  std::uint64_t size = 0;
  std::uint32_t mtime = 0;
};

class GhostRegistry {
 public:
  using Clock = std::chrono::steady_clock;
  explicit GhostRegistry(std::chrono::seconds ttl) : ttl_(ttl) {}

  void remember(const std::string& tenant, const std::string& name, Ghost ghost);
  std::optional<Ghost> find(const std::string& tenant, const std::string& name);
  bool set_mtime(const std::string& tenant, const std::string& name, std::uint32_t mtime);
  bool forget(const std::string& tenant, const std::string& name);

 private:
  struct Entry {
    Ghost ghost;
    Clock::time_point expires;
  };
  void expire(Clock::time_point now);

  std::chrono::seconds ttl_;
  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace intake::server::sftp
