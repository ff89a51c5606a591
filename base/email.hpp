#pragma once
// One e-mail address check for the whole product: report addresses typed by staff, addresses in
// customers' files. Pure.
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::base {

// Ascii: what an SMTP server without SMTPUTF8 accepts (report addresses). Utf8: also non-ASCII bytes,
// since customers' directories hold internationalised addresses (RFC 6531).
enum class EmailCharset { Ascii, Utf8 };

// name@domain.tld: one '@' after a local part of 1 to 64 bytes; a domain with a dot, neither first nor
// last; at most 254 bytes; no white space, control characters or , ; < > " ( ) [ ] \ . The error says
// what to send instead.
tl::expected<void, std::string> check_email(std::string_view email,
                                            EmailCharset charset = EmailCharset::Ascii);

}  // namespace intake::base
