#include "store/bans.hpp"

#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

BanRecord row_to_ban(const Statement& row) {
  return {row.text(0), row.text(1), row.text(2), row.integer(3), row.text(4)};
}

const std::string kSelect = "SELECT ip, banned_at, until, strikes, reason FROM bans ";

}  // namespace

void BanRepository::put(const BanRecord& ban) {
  db_.prepare(
         "INSERT OR REPLACE INTO bans (ip, banned_at, until, strikes, reason) VALUES (?1, ?2, ?3, ?4, ?5)")
      .bind(1, ban.ip)
      .bind(2, ban.banned_at)
      .bind(3, ban.until)
      .bind(4, ban.strikes)
      .bind(5, ban.reason)
      .run();
}

std::optional<BanRecord> BanRepository::find_active(std::string_view ip) {
  auto select = db_.prepare(kSelect + "WHERE ip = ?1 AND until > " + kSqlNow);
  select.bind(1, ip);
  if (!select.step()) return std::nullopt;
  return row_to_ban(select);
}

std::vector<BanRecord> BanRepository::list_active() {
  auto select = db_.prepare(kSelect + "WHERE until > " + kSqlNow + " ORDER BY until DESC");
  std::vector<BanRecord> bans;
  while (select.step()) bans.push_back(row_to_ban(select));
  return bans;
}

bool BanRepository::clear(std::string_view ip) {
  db_.prepare("DELETE FROM bans WHERE ip = ?1").bind(1, ip).run();
  return db_.changes() > 0;
}

std::int64_t BanRepository::clear_all() {
  db_.prepare("DELETE FROM bans").run();
  return db_.changes();
}

}  // namespace intake::store
