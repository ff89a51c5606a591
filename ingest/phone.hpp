#pragma once
// Phone numbers as the directory stores them: E.164 (+15713124600). A tenant with a default region
// may send national numbers ("571-312-4600" from a US customer); libphonenumber parses them with
// that region and formats them as E.164. Without a region only E.164 as typed is accepted. Pure.
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::ingest {

bool valid_e164(std::string_view phone);

// The number in E.164, or why it is not a phone number (the message quotes it and gives an example).
tl::expected<std::string, std::string> normalise_phone(std::string_view value, std::string_view region);

// A region libphonenumber knows, upper-cased ("us" -> "US"), or an error listing what to give.
tl::expected<std::string, std::string> checked_phone_region(std::string_view region);

}  // namespace intake::ingest
