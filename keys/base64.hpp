#pragma once
// Base64 as used in SSH public keys and fingerprints, on top of OpenSSL's codec.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace intake::keys {

// Strict RFC 4648 decoding: only the standard alphabet, length a multiple of 4, '=' only at the end.
// Returns nullopt for anything else.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

// Standard alphabet; `padded == false` drops trailing '=' (the form ssh-keygen uses in fingerprints).
std::string base64_encode(std::span<const std::uint8_t> bytes, bool padded = true);

bool is_base64_text(std::string_view text);

}  // namespace intake::keys
