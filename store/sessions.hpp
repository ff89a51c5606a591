#pragma once
// Live SSH sessions past login, one row each, written by the server that holds them, so that
// `intake sessions` (another process) can list them and ask for one or a tenant's to end. A row's
// server_pid tells a live server's sessions from those left behind by one that died.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intake::store {

class Database;

struct SessionRecord {
  std::string id;
  std::int64_t server_pid = 0;
  std::string tenant;
  std::string key_fingerprint;
  std::string client_ip;
  std::string client_version;                   // the client's SSH banner, cleaned
  std::string started_at;                       // stored UTC format
  std::optional<std::string> end_requested_by;  // who asked for it to end; null while nobody has
};

class SessionRepository {
 public:
  explicit SessionRepository(Database& db) : db_(db) {}

  void add(const SessionRecord& session);  // started_at is set by the database
  void remove(std::string_view id);
  std::vector<SessionRecord> list();  // oldest first
  std::vector<SessionRecord> list_of_server(std::int64_t server_pid);
  // Forgets the rows of every server `still_running` says is gone (killed, crashed); returns how many.
  std::int64_t remove_servers_unless(const std::function<bool(std::int64_t server_pid)>& still_running);
  // Marks the session with this id, or else every session of the tenant of that name, to be ended by
  // its server. Returns how many were marked.
  std::int64_t request_end(std::string_view id_or_tenant, std::string_view requested_by);
  std::int64_t count_matching(std::string_view id_or_tenant);

 private:
  Database& db_;
};

}  // namespace intake::store
