#pragma once
// The audit trail: who changed what, when. Written in the same transaction as the change.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace intake::store {

class Database;

struct AuditEvent {
  std::int64_t id = 0;
  std::string at;
  std::string actor;
  std::string action;  // e.g. "tenant.add", "key.revoke"
  std::string tenant;
  std::string details;  // JSON object: what changed
};

class AuditLog {
 public:
  explicit AuditLog(Database& db) : db_(db) {}

  void record(const std::string& actor, const std::string& action, const std::string& tenant,
              const std::string& details_json);
  // Newest first.
  std::vector<AuditEvent> list(const std::optional<std::string>& tenant, std::int64_t limit);

 private:
  Database& db_;
};

}  // namespace intake::store
