#include "base/email.hpp"

#include <algorithm>

#include "base/text.hpp"

namespace intake::base {

tl::expected<void, std::string> check_email(std::string_view email, EmailCharset charset) {
  const auto allowed = [charset](char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x80) return charset == EmailCharset::Utf8;
    return byte > 0x20 && byte < 0x7f && std::string_view(",;<>\"()[]\\").find(c) == std::string_view::npos;
  };
  const auto at = email.rfind('@');
  const bool ok = email.size() <= 254 && std::all_of(email.begin(), email.end(), allowed) &&
                  at != std::string_view::npos && at > 0 && at < 65 &&
                  email.substr(0, at).find('@') == std::string_view::npos && at + 1 < email.size() &&
                  email[at + 1] != '.' && email.substr(at + 1).find('.') != std::string_view::npos &&
                  email.back() != '.';
  if (!ok) {
    return tl::unexpected(quoted_excerpt(email) +
                          " is not an e-mail address (expected name@example.com; international domains in "
                          "their xn-- form)");
  }
  return {};
}

}  // namespace intake::base
