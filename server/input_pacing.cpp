#include "server/input_pacing.hpp"

#include <algorithm>

namespace intake::server {

namespace {
// libssh 0.10 refills a window to WINDOWBASE (1,280,000 bytes) on its own once window and buffered
// bytes together fall below half of it, whatever the session asked for.
constexpr std::size_t kLibsshMostGranted = 1280000 + 640000;
}  // namespace

// Twice what can legitimately be in flight: a flood is far beyond it, a careful client never near.
std::size_t InputPacing::most_buffered() const { return 2 * std::max(window_, kLibsshMostGranted); }

}  // namespace intake::server
