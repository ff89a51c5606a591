#include "base/utc_time.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <ctime>

namespace intake::base {
namespace {

// `width` ASCII digits at `at`, or nullopt (no sign, no space, no short read).
std::optional<int> digits_at(std::string_view text, std::size_t at, std::size_t width) {
  if (at + width > text.size()) return std::nullopt;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  int value = 0;
  const auto* begin = text.data() + at;
  const auto [end, ec] = std::from_chars(begin, begin + width, value);
  if (ec != std::errc{} || end != begin + width) return std::nullopt;
  return value;
}

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
};

// The one place a calendar date and a time of day are checked and combined.
std::optional<WallTime> to_time(const Fields& f, int max_second) {
  const std::chrono::year_month_day date{std::chrono::year{f.year},
                                         std::chrono::month{static_cast<unsigned>(f.month)},
                                         std::chrono::day{static_cast<unsigned>(f.day)}};
  if (!date.ok() || f.hour > 23 || f.minute > 59 || f.second > max_second) return std::nullopt;
  return WallTime{std::chrono::sys_days{date} + std::chrono::hours{f.hour} + std::chrono::minutes{f.minute} +
                  std::chrono::seconds{f.second} + std::chrono::milliseconds{f.millis}};
}

// "YYYY-MM-DD" at the start of `text`.
bool read_date(std::string_view text, Fields& f) {
  const auto year = digits_at(text, 0, 4), month = digits_at(text, 5, 2), day = digits_at(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return false;
  f.year = *year;
  f.month = *month;
  f.day = *day;
  return true;
}

}  // namespace

std::string format_stored_time(WallTime time) {
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

std::optional<WallTime> parse_stored_time(std::string_view text) {
  Fields f;
  if (text.size() != 24 || !read_date(text, f) || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != '.' || text[23] != 'Z')
    return std::nullopt;
  const auto hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2), second = digits_at(text, 17, 2),
             millis = digits_at(text, 20, 3);
  if (!hour || !minute || !second || !millis) return std::nullopt;
  f.hour = *hour;
  f.minute = *minute;
  f.second = *second;
  f.millis = *millis;
  return to_time(f, 60);
}

tl::expected<WallTime, std::string> parse_typed_time(std::string_view text) {
  const auto bad = [&] {
    return tl::unexpected("'" + std::string(text) +
                          "' is not a date: use YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS]Z");
  };
  Fields f;
  if (text.size() < 10 || !read_date(text, f)) return bad();
  std::string_view rest = text.substr(10);
  if (!rest.empty()) {
    if (rest.front() != 'T' && rest.front() != ' ') return bad();
    if (rest.back() == 'Z') rest.remove_suffix(1);
    const auto hour = digits_at(rest, 1, 2), minute = digits_at(rest, 4, 2);
    if (!hour || !minute || rest[3] != ':') return bad();
    f.hour = *hour;
    f.minute = *minute;
    if (rest.size() == 9) {
      const auto second = digits_at(rest, 7, 2);
      if (!second || rest[6] != ':') return bad();
      f.second = *second;
    } else if (rest.size() != 6) {
      return bad();
    }
  }
  const auto time = f.year >= 1970 ? to_time(f, 59) : std::nullopt;
  if (!time) return bad();
  return *time;
}

}  // namespace intake::base
