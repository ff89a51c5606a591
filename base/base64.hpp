#pragma once
// Standard base64 (RFC 4648, with padding), by libsodium: MIME attachments, webhook signatures.
#include <optional>
#include <string>
#include <string_view>

namespace intake::base {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);  // nullopt: not base64

}  // namespace intake::base
