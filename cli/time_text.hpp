#pragma once
// Dates and times as staff type them on the command line, turned into the stored UTC format.
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::cli {

// Accepts "YYYY-MM-DD" (00:00 UTC that day, like OpenSSH's expiry-time) and
// "YYYY-MM-DDTHH:MM[:SS][Z]" or with a space instead of 'T' (UTC). Returns
// "YYYY-MM-DDTHH:MM:SS.000Z".
tl::expected<std::string, std::string> parse_utc_time(std::string_view text);

}  // namespace intake::cli
