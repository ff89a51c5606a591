#pragma once
// Secrets the server must be able to use again later (webhook signing secrets) are kept in the
// database sealed — encrypted and authenticated with libsodium's secretbox (XSalsa20-Poly1305) under a
// key that lives in its own file beside the database (DATA_DIR/secrets.key, 0600) — so that a copy of
// the database, an export or a backup of it alone never shows them in clear.
#include <filesystem>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "base/secret.hpp"

namespace intake::base {

class Sealer {
 public:
  // Reads the key file, or creates it (random, durable, 0600) when there is none.
  static tl::expected<Sealer, std::string> open_or_create(const std::filesystem::path& key_file);

  // "sealed:v1:<base64 of nonce and ciphertext>"
  std::string seal(std::string_view secret) const;
  // The secret, or why not (not sealed by this key: a different data dir's, or altered).
  tl::expected<SecretString, std::string> open(std::string_view sealed) const;

  Sealer(Sealer&&) noexcept;
  Sealer& operator=(Sealer&&) noexcept;
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;
  ~Sealer();

 private:
  explicit Sealer(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace intake::base
