#pragma once
// Lower-case hex, and random hex identifiers (organisation ids, session ids) from OpenSSL's CSPRNG.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace intake::base {

std::string hex_encode(std::span<const std::uint8_t> bytes, char separator = '\0');
// `bytes` random bytes as 2 * bytes hex characters; nullopt if the CSPRNG failed.
std::optional<std::string> random_hex(std::size_t bytes);

}  // namespace intake::base
