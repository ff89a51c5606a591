#include "server/ban_service.hpp"

#include "base/ipv4.hpp"
#include "base/utc_time.hpp"
#include "server/event_log.hpp"

namespace intake::server {

BanService::BanService(BanSettings settings, ServerStore& store)
    : policy_(std::move(settings)), store_(store) {
  for (const auto& record : store_.active_bans()) {
    const auto ip = base::parse_ipv4_address(record.ip);
    const auto until = base::parse_stored_time(record.until);
    if (ip && until) policy_.restore(Ban{*ip, *until, static_cast<unsigned>(record.strikes)});
  }
}

void BanService::update_settings(BanSettings settings) {
  std::lock_guard lock(mutex_);
  policy_.update_settings(std::move(settings));
}

bool BanService::refuses(std::uint32_t ip, std::string& until) {
  std::lock_guard lock(mutex_);
  const auto ban = policy_.active_ban(ip, WallClock::now());
  if (!ban) return false;
  if (policy_.safelisted(ip)) return false;
  // The store has the last word: `intake bans clear` deletes the row, and that must take effect now.
  const auto stored = store_.active_ban(base::ipv4_to_string(ip));
  if (!stored) {
    policy_.lift(ip);
    return false;
  }
  until = stored->until;
  return true;
}

void BanService::record_success(std::uint32_t ip) {
  std::lock_guard lock(mutex_);
  policy_.record_success(ip, WallClock::now());
}

void BanService::record_failure(std::uint32_t ip, const std::string& session, const std::string& why) {
  std::lock_guard lock(mutex_);
  const auto now = WallClock::now();
  const auto ban = policy_.record_failure(ip, now);
  if (!ban) return;
  const store::BanRecord record{base::ipv4_to_string(ip), base::format_stored_time(now),
                                base::format_stored_time(ban->until), ban->strikes,
                                "too many failed logins or aborted handshakes (last: " + why + ")"};
  store_.save_ban(record);
  log_event(spdlog::level::warn, session, "ban.added",
            {{"ip", record.ip}, {"until", record.until}, {"strikes", std::to_string(record.strikes)}});
}

}  // namespace intake::server
