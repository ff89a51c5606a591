#pragma once
// Bans imposed by the server's failed-login defence. The server writes them; `intake bans` lists
// and clears them; the server re-checks a ban here before refusing, so clearing takes effect at once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intake::store {

class Database;

struct BanRecord {
  std::string ip;
  std::string banned_at;
  std::string until;  // stored UTC format
  std::int64_t strikes = 1;
  std::string reason;
};

class BanRepository {
 public:
  explicit BanRepository(Database& db) : db_(db) {}

  void put(const BanRecord& ban);                             // insert or replace
  std::optional<BanRecord> find_active(std::string_view ip);  // until in the future
  std::vector<BanRecord> list_active();
  bool clear(std::string_view ip);  // false when there was no ban
  std::int64_t clear_all();

 private:
  Database& db_;
};

}  // namespace intake::store
