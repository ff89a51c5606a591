#include "cli/time_text.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace intake::cli {
namespace {

bool read_number(std::string_view text, std::size_t at, std::size_t width, int& out) {
  if (at + width > text.size()) return false;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  const auto* begin = text.data() + at;
  const auto [end, ec] = std::from_chars(begin, begin + width, out);
  return ec == std::errc{} && end == begin + width;
}

bool leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in(int year, int month) {
  constexpr std::array<int, 12> kDays{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

}  // namespace

tl::expected<std::string, std::string> parse_utc_time(std::string_view text) {
  const auto bad = [&] {
    return tl::unexpected("'" + std::string(text) +
                          "' is not a date: use YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM[:SS]Z");
  };
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_number(text, 0, 4, year) || text.size() < 10 || text[4] != '-' ||
      !read_number(text, 5, 2, month) || text[7] != '-' || !read_number(text, 8, 2, day))
    return bad();
  std::string_view rest = text.substr(10);
  if (!rest.empty()) {
    if (rest.front() != 'T' && rest.front() != ' ') return bad();
    if (rest.back() == 'Z') rest.remove_suffix(1);
    if (!read_number(rest, 1, 2, hour) || rest.size() < 6 || rest[3] != ':' ||
        !read_number(rest, 4, 2, minute))
      return bad();
    if (rest.size() == 9) {
      if (rest[6] != ':' || !read_number(rest, 7, 2, second)) return bad();
    } else if (rest.size() != 6) {
      return bad();
    }
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > days_in(year, month) || hour > 23 ||
      minute > 59 || second > 59)
    return bad();
  std::array<char, 80> out{};
  std::snprintf(out.data(), out.size(), "%04d-%02d-%02dT%02d:%02d:%02d.000Z", year, month, day, hour, minute,
                second);
  return std::string(out.data());
}

}  // namespace intake::cli
