#pragma once
// The failed-login defence as a pure state machine: failures in, bans out. No clock, no I/O:
// callers pass `now`, and persist the bans it returns (see BanService).
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

#include "server/settings.hpp"

namespace intake::server {

using WallClock = std::chrono::system_clock;
using WallTime = WallClock::time_point;

struct Ban {
  std::uint32_t ip = 0;
  WallTime until;
  unsigned strikes = 1;  // 1 for the first ban; each repeat doubles the ban time
};

class BanPolicy {
 public:
  explicit BanPolicy(BanSettings settings) : settings_(std::move(settings)) {}
  void update_settings(BanSettings settings) { settings_ = std::move(settings); }

  // One connection from `ip` ended without logging in. Returns the ban this failure triggers.
  std::optional<Ban> record_failure(std::uint32_t ip, WallTime now);
  std::optional<Ban> active_ban(std::uint32_t ip, WallTime now) const;
  bool safelisted(std::uint32_t ip) const;
  // A successful login: the address's failures and repeat count are forgotten (not an active ban).
  void record_success(std::uint32_t ip, WallTime now);
  void lift(std::uint32_t ip);   // an operator cleared the ban: failures and repeat count go too
  void restore(const Ban& ban);  // a ban read back from the store at start

  std::size_t tracked_addresses() const { return entries_.size(); }

 private:
  struct Entry {
    std::deque<WallTime> failures;  // within the window
    WallTime banned_until{};
    WallTime last_ban_end{};
    unsigned strikes = 0;
  };
  void forget_stale(WallTime now);

  BanSettings settings_;
  std::unordered_map<std::uint32_t, Entry> entries_;
};

}  // namespace intake::server
