#pragma once
// Password hashing with Argon2id (libsodium's crypto_pwhash_str; OpenSSL 3.0 has no Argon2), stored
// as the PHC string ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash") that carries its own parameters, so
// hashes made under older settings still verify.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::base {

struct PasswordHashCost {
  // OWASP's minimum for Argon2id: 19 MiB of memory, 2 passes, 1 lane (libsodium always uses 1).
  static constexpr std::size_t kMinMemoryKib = 19 * 1024;
  static constexpr unsigned kMinPasses = 2;
  std::size_t memory_kib = kMinMemoryKib;
  unsigned passes = kMinPasses;
};

// nullopt when the cost is acceptable, else what is wrong with it ("… at least 19456 KiB").
std::optional<std::string> check_password_hash_cost(const PasswordHashCost& cost);

// The PHC string of `password`, salted at random. Fails only when memory cannot be had.
tl::expected<std::string, std::string> hash_password(std::string_view password, const PasswordHashCost& cost);

// Whether `password` matches a PHC string made by hash_password.
bool verify_password(std::string_view phc, std::string_view password);

}  // namespace intake::base
