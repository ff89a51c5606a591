#include "store/audit.hpp"

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {

void AuditLog::record(const std::string& actor, const std::string& action, const std::string& tenant,
                      const std::string& details_json) {
  db_.prepare(std::string("INSERT INTO audit_events (at, actor, action, tenant, details) VALUES (") +
              kSqlNow + ", ?1, ?2, ?3, ?4)")
      .bind(1, actor)
      .bind(2, action)
      .bind(3, tenant)
      .bind(4, details_json)
      .run();
}

std::vector<AuditEvent> AuditLog::list(const std::optional<std::string>& tenant, std::int64_t limit) {
  auto select = db_.prepare(
      "SELECT id, at, actor, action, tenant, details FROM audit_events "
      "WHERE (?1 IS NULL OR tenant = ?1) ORDER BY id DESC LIMIT ?2");
  select.bind_optional(1, tenant).bind(2, limit);
  std::vector<AuditEvent> events;
  while (select.step()) {
    events.push_back(
        {select.integer(0), select.text(1), select.text(2), select.text(3), select.text(4), select.text(5)});
  }
  return events;
}

}  // namespace intake::store
