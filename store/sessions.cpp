#include "store/sessions.hpp"

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

const std::string kSelect =
    "SELECT id, server_pid, tenant, key_fingerprint, client_ip, client_version, started_at, "
    "end_requested_by FROM sessions ";
const std::string kMatching =
    "(id = ?1 OR (tenant = ?1 AND NOT EXISTS (SELECT 1 FROM sessions WHERE id = ?1)))";

std::vector<SessionRecord> rows_of(Statement& select) {
  std::vector<SessionRecord> sessions;
  while (select.step()) {
    sessions.push_back({select.text(0), select.integer(1), select.text(2), select.text(3), select.text(4),
                        select.text(5), select.text(6), select.optional_text(7)});
  }
  return sessions;
}

}  // namespace

void SessionRepository::add(const SessionRecord& session) {
  db_.prepare(
         std::string("INSERT OR REPLACE INTO sessions (id, server_pid, tenant, key_fingerprint, client_ip, "
                     "client_version, started_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ") +
         kSqlNow + ")")
      .bind(1, session.id)
      .bind(2, session.server_pid)
      .bind(3, session.tenant)
      .bind(4, session.key_fingerprint)
      .bind(5, session.client_ip)
      .bind(6, session.client_version)
      .run();
}

void SessionRepository::remove(std::string_view id) {
  db_.prepare("DELETE FROM sessions WHERE id = ?1").bind(1, id).run();
}

std::vector<SessionRecord> SessionRepository::list() {
  auto select = db_.prepare(kSelect + "ORDER BY started_at, id");
  return rows_of(select);
}

std::vector<SessionRecord> SessionRepository::list_of_server(std::int64_t server_pid) {
  auto select = db_.prepare(kSelect + "WHERE server_pid = ?1 ORDER BY started_at, id");
  select.bind(1, server_pid);
  return rows_of(select);
}

std::int64_t SessionRepository::remove_servers_unless(
    const std::function<bool(std::int64_t server_pid)>& still_running) {
  std::vector<std::int64_t> gone;
  auto select = db_.prepare("SELECT DISTINCT server_pid FROM sessions");
  while (select.step()) {
    if (const auto pid = select.integer(0); !still_running(pid)) gone.push_back(pid);
  }
  std::int64_t removed = 0;
  for (const auto pid : gone) {
    db_.prepare("DELETE FROM sessions WHERE server_pid = ?1").bind(1, pid).run();
    removed += db_.changes();
  }
  return removed;
}

std::int64_t SessionRepository::request_end(std::string_view id_or_tenant, std::string_view requested_by) {
  db_.prepare("UPDATE sessions SET end_requested_by = ?2 WHERE " + kMatching)
      .bind(1, id_or_tenant)
      .bind(2, requested_by)
      .run();
  return db_.changes();
}

std::int64_t SessionRepository::count_matching(std::string_view id_or_tenant) {
  auto select = db_.prepare("SELECT count(*) FROM sessions WHERE " + kMatching);
  select.bind(1, id_or_tenant);
  select.step();
  return select.integer(0);
}

}  // namespace intake::store
