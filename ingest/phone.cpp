#include "ingest/phone.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <set>

#include "base/text.hpp"

namespace intake::ingest {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

bool valid_e164(std::string_view phone) {
  if (phone.size() < 3 || phone.size() > 16 || phone[0] != '+' || phone[1] < '1' || phone[1] > '9')
    return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

tl::expected<std::string, std::string> normalise_phone(std::string_view value, std::string_view region) {
  if (region.empty()) {
    if (valid_e164(value)) return std::string(value);
    return tl::unexpected(base::quoted_excerpt(value) +
                          " is not a phone number in international format (E.164, e.g. +15713124645)");
  }
  const auto& util = *PhoneNumberUtil::GetInstance();
  PhoneNumber number;
  // Possible (the right length for its country), not "valid": customers test with reserved ranges
  // such as 555-01xx, and a number's allocation changes faster than the library's metadata.
  if (value.size() <= 64 &&
      util.Parse(std::string(value), std::string(region), &number) == PhoneNumberUtil::NO_PARSING_ERROR &&
      util.IsPossibleNumber(number)) {
    std::string e164;
    util.Format(number, PhoneNumberUtil::E164, &e164);
    if (valid_e164(e164)) return e164;
  }
  return tl::unexpected(base::quoted_excerpt(value) + " is not a phone number (a national number of region " +
                        std::string(region) + ", or international with its + and country code, e.g. " +
                        "+15713124645)");
}

tl::expected<std::string, std::string> checked_phone_region(std::string_view region) {
  std::set<std::string> regions;
  PhoneNumberUtil::GetInstance()->GetSupportedRegions(&regions);
  const auto found = std::find_if(regions.begin(), regions.end(), [&](const std::string& known) {
    return base::equals_ignoring_ascii_case(known, region);
  });
  if (found != regions.end()) return *found;  // as the library spells it: "us" -> "US"
  return tl::unexpected("'" + base::terminal_safe(region) +
                        "' is not a phone region; give a two-letter ISO 3166 country code such as US, GB, DE "
                        "or SE (the customer's country), or \"none\" for international numbers only");
}

}  // namespace intake::ingest
