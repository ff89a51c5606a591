// Fuzzes the public-key parser with arbitrary text, and the blob validator with arbitrary bytes.
// Beyond "no crash": a key that parses must survive a round trip through its normalised line.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "keys/fingerprint.hpp"
#include "keys/key_blob.hpp"
#include "keys/public_key.hpp"

using namespace intake::keys;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto key = parse_public_key(text)) {
    const auto again = parse_public_key(key->openssh_line());
    if (!again || again->blob != key->blob || sha256_fingerprint(*again) != sha256_fingerprint(*key)) {
      std::abort();
    }
  }
  for (const auto algorithm : {KeyAlgorithm::Ed25519, KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP521,
                               KeyAlgorithm::Rsa, KeyAlgorithm::SkEcdsaP256}) {
    (void)validate_key_blob(algorithm, std::span(data, size));
  }
  return 0;
}
