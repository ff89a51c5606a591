#include "store/time_format.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace intake::store {

std::string format_stored_time(std::chrono::system_clock::time_point time) {
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  std::array<char, 80> out{};
  std::snprintf(out.data(), out.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis % 1000));
  return out.data();
}

std::optional<std::chrono::system_clock::time_point> parse_stored_time(std::string_view text) {
  // Exactly the stored format; anything else is not ours.
  if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':' || text[19] != '.' || text[23] != 'Z')
    return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t width) -> std::optional<int> {
    int value = 0;
    const auto* begin = text.data() + at;
    const auto [end, ec] = std::from_chars(begin, begin + width, value);
    if (ec != std::errc{} || end != begin + width || value < 0) return std::nullopt;
    return value;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2), hour = number(11, 2),
             minute = number(14, 2), second = number(17, 2), millis = number(20, 3);
  if (!year || !month || !day || !hour || !minute || !second || !millis) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{*year},
                                         std::chrono::month{static_cast<unsigned>(*month)},
                                         std::chrono::day{static_cast<unsigned>(*day)}};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{*hour} + std::chrono::minutes{*minute} +
         std::chrono::seconds{*second} + std::chrono::milliseconds{*millis};
}

}  // namespace intake::store
