#pragma once
// Conversions between std::chrono wall-clock time and the stored UTC text format
// ("YYYY-MM-DDTHH:MM:SS.sssZ", see kSqlNow).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace intake::store {

std::string format_stored_time(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parse_stored_time(std::string_view text);

}  // namespace intake::store
