#pragma once
// SHA-256 of a byte stream (OpenSSL underneath), fed piece by piece, as lower-case hex; HMAC-SHA256.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace intake::base {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(std::span<const std::uint8_t> bytes);
  // The digest of everything fed so far, as 64 hex characters; the object starts afresh afterwards.
  std::string finish_hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// HMAC-SHA256 of `message` under `key`: the 32 raw bytes (webhook signatures).
std::string hmac_sha256(std::string_view key, std::string_view message);

// The SHA-256 of `bytes` as 64 hex characters.
std::string sha256_hex(std::string_view bytes);

// The SHA-256 of what `fd` holds, read from offset 0 with pread (the file position is untouched);
// nullopt when it cannot be read.
std::optional<std::string> sha256_of_fd(int fd);

}  // namespace intake::base
