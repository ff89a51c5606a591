#pragma once
// UTC wall-clock time as Intake stores and shows it ("YYYY-MM-DDTHH:MM:SS.sssZ", the text SQLite's
// kSqlNow writes, so that every process agrees and text order is time order), and as staff type it.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::base {

using WallTime = std::chrono::system_clock::time_point;

std::string format_stored_time(WallTime time);
// Exactly the stored format; anything else is not ours.
std::optional<WallTime> parse_stored_time(std::string_view text);

// What staff type on the command line: "YYYY-MM-DD" (00:00 UTC that day, like OpenSSH's
// expiry-time) or "YYYY-MM-DDTHH:MM[:SS][Z]", also with a space instead of 'T' (UTC). The error
// says which forms are accepted.
tl::expected<WallTime, std::string> parse_typed_time(std::string_view text);

}  // namespace intake::base
