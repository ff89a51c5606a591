#include "base/password_hash.hpp"

#include <sodium.h>

#include <array>
#include <mutex>

namespace intake::base {
namespace {

bool sodium_ready() {
  static const bool ready = ::sodium_init() >= 0;
  return ready;
}

}  // namespace

std::optional<std::string> check_password_hash_cost(const PasswordHashCost& cost) {
  if (cost.memory_kib < PasswordHashCost::kMinMemoryKib)
    return "the password hash memory is " + std::to_string(cost.memory_kib) + " KiB; it must be at least " +
           std::to_string(PasswordHashCost::kMinMemoryKib) + " KiB (OWASP's minimum for Argon2id)";
  if (cost.memory_kib > std::size_t{4} * 1024 * 1024)
    return "the password hash memory is " + std::to_string(cost.memory_kib) +
           " KiB; at most 4 GiB (4194304 KiB) is accepted";
  if (cost.passes < PasswordHashCost::kMinPasses || cost.passes > 100)
    return "the password hash passes are " + std::to_string(cost.passes) + "; they must be from " +
           std::to_string(PasswordHashCost::kMinPasses) + " to 100";
  return std::nullopt;
}

tl::expected<std::string, std::string> hash_password(std::string_view password,
                                                     const PasswordHashCost& cost) {
  if (!sodium_ready()) return tl::unexpected(std::string("libsodium could not be initialised"));
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (::crypto_pwhash_str_alg(out.data(), password.data(), password.size(), cost.passes,
                              cost.memory_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return tl::unexpected("hashing a password needs " + std::to_string(cost.memory_kib / 1024) +
                          " MiB of memory, which could not be had");
  }
  return std::string(out.data());
}

bool verify_password(std::string_view phc, std::string_view password) {
  if (!sodium_ready() || phc.size() >= crypto_pwhash_STRBYTES) return false;
  std::array<char, crypto_pwhash_STRBYTES> text{};
  std::copy(phc.begin(), phc.end(), text.begin());
  return ::crypto_pwhash_str_verify(text.data(), password.data(), password.size()) == 0;
}

}  // namespace intake::base
