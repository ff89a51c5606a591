#include "base/hex.hpp"

#include <openssl/rand.h>

#include <vector>

namespace intake::base {

std::string hex_encode(std::span<const std::uint8_t> bytes, char separator) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const auto byte : bytes) {
    if (separator != '\0' && !out.empty()) out += separator;
    out += kDigits[byte >> 4];
    out += kDigits[byte & 0x0f];
  }
  return out;
}

std::optional<std::string> random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return std::nullopt;
  return hex_encode(random);
}

}  // namespace intake::base
