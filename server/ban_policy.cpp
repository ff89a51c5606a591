#include "server/ban_policy.hpp"

#include <algorithm>

namespace intake::server {
namespace {
constexpr std::size_t kMaxTrackedAddresses = 100000;  // bounds memory under a distributed attack
}

bool BanPolicy::safelisted(std::uint32_t ip) const {
  return std::any_of(settings_.safelist.begin(), settings_.safelist.end(),
                     [ip](const base::Ipv4Network& network) { return network.contains(ip); });
}

std::optional<Ban> BanPolicy::record_failure(std::uint32_t ip, WallTime now) {
  if (safelisted(ip) || settings_.max_failures == 0) return std::nullopt;
  if (entries_.size() >= kMaxTrackedAddresses) forget_stale(now);
  auto& entry = entries_[ip];
  if (entry.banned_until > now) return std::nullopt;  // already banned
  while (!entry.failures.empty() && entry.failures.front() <= now - settings_.window) {
    entry.failures.pop_front();
  }
  entry.failures.push_back(now);
  if (entry.failures.size() < settings_.max_failures) return std::nullopt;

  // Repeat offenders get longer bans; a clean spell as long as the longest ban resets the count.
  if (entry.strikes > 0 && now - entry.last_ban_end > settings_.max_ban_time) entry.strikes = 0;
  entry.strikes += 1;
  auto duration = settings_.ban_time;
  for (unsigned i = 1; i < entry.strikes && duration < settings_.max_ban_time; ++i) duration *= 2;
  duration = std::min(duration, settings_.max_ban_time);
  entry.banned_until = now + duration;
  entry.last_ban_end = entry.banned_until;
  entry.failures.clear();
  return Ban{ip, entry.banned_until, entry.strikes};
}

std::optional<Ban> BanPolicy::active_ban(std::uint32_t ip, WallTime now) const {
  const auto found = entries_.find(ip);
  if (found == entries_.end() || found->second.banned_until <= now) return std::nullopt;
  return Ban{ip, found->second.banned_until, found->second.strikes};
}

void BanPolicy::record_success(std::uint32_t ip, WallTime now) {
  if (auto found = entries_.find(ip); found != entries_.end() && found->second.banned_until <= now) {
    entries_.erase(found);
  }
}

void BanPolicy::lift(std::uint32_t ip) { entries_.erase(ip); }

void BanPolicy::restore(const Ban& ban) {
  auto& entry = entries_[ban.ip];
  entry.banned_until = ban.until;
  entry.last_ban_end = ban.until;
  entry.strikes = ban.strikes;
}

void BanPolicy::forget_stale(WallTime now) {
  std::erase_if(entries_, [&](const auto& item) {
    const auto& entry = item.second;
    const bool in_window = !entry.failures.empty() && entry.failures.back() > now - settings_.window;
    const bool remembered = entry.strikes > 0 && now - entry.last_ban_end <= settings_.max_ban_time;
    return !in_window && !remembered && entry.banned_until <= now;
  });
}

}  // namespace intake::server
