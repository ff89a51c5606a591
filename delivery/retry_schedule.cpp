#include "delivery/retry_schedule.hpp"

#include <algorithm>

namespace intake::delivery {

std::optional<base::WallTime> next_attempt(const RetrySchedule& schedule, unsigned failed_attempts,
                                           base::WallTime since, base::WallTime now,
                                           std::optional<std::chrono::seconds> retry_after, double random01) {
  using std::chrono::milliseconds;
  milliseconds wait{0};
  if (!schedule.backoff.empty()) {
    const auto index = std::min<std::size_t>(std::max(failed_attempts, 1u), schedule.backoff.size()) - 1;
    const double stretch = 1.0 + schedule.jitter * (2.0 * std::clamp(random01, 0.0, 1.0) - 1.0);
    wait = milliseconds(static_cast<std::int64_t>(
        static_cast<double>(std::chrono::duration_cast<milliseconds>(schedule.backoff[index]).count()) *
        stretch));
  }
  if (retry_after) wait = std::max<milliseconds>(wait, *retry_after);
  const auto next = now + wait;
  if (next - since > schedule.window) return std::nullopt;
  return next;
}

}  // namespace intake::delivery
