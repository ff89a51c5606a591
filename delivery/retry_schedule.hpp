#pragma once
// When a delivery that failed is tried again. Pure: the caller passes the clock's reading and a random
// number, so the schedule is tested without waiting.
#include <chrono>
#include <optional>
#include <vector>

#include "base/utc_time.hpp"

namespace intake::delivery {

struct RetrySchedule {
  // The waits after the 1st, 2nd, … failed attempt; the last repeats.
  std::vector<std::chrono::seconds> backoff{
      std::chrono::seconds(10), std::chrono::seconds(30), std::chrono::minutes(2), std::chrono::minutes(10),
      std::chrono::minutes(30), std::chrono::hours(1),    std::chrono::hours(3)};
  // Given up when the next attempt would start this long after the first (or a retry by hand).
  std::chrono::seconds window = std::chrono::hours(72);
  // Each wait is stretched or shrunk by up to this fraction, so that receivers that were down are not
  // hit by every delivery at the same instant when they come back.
  double jitter = 0.2;
};

// After `failed_attempts` (1 for the first) failures of a delivery retrying since `since`: when to try
// next, or nullopt when that is past the window. `retry_after` (a receiver's Retry-After) lengthens the
// wait, never shortens it. `random01` is uniform in [0, 1).
std::optional<base::WallTime> next_attempt(const RetrySchedule& schedule, unsigned failed_attempts,
                                           base::WallTime since, base::WallTime now,
                                           std::optional<std::chrono::seconds> retry_after, double random01);

}  // namespace intake::delivery
