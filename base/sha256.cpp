#include "base/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include "base/hex.hpp"

namespace intake::base {

struct Sha256::Context {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), EVP_MD_CTX_free};
  Context() { EVP_DigestInit_ex(md.get(), EVP_sha256(), nullptr); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {}
Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::span<const std::uint8_t> bytes) {
  EVP_DigestUpdate(context_->md.get(), bytes.data(), bytes.size());
}

std::string Sha256::finish_hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned length = 0;
  EVP_DigestFinal_ex(context_->md.get(), digest.data(), &length);
  EVP_DigestInit_ex(context_->md.get(), EVP_sha256(), nullptr);
  return hex_encode(std::span<const std::uint8_t>(digest.data(), length));
}

std::string hmac_sha256(std::string_view key, std::string_view message) {
  std::string out(32, '\0');
  unsigned int length = 0;
  ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
         reinterpret_cast<unsigned char*>(out.data()), &length);
  out.resize(length);
  return out;
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 sha;
  sha.update({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
  return sha.finish_hex();
}

std::optional<std::string> sha256_of_fd(int fd) {
  Sha256 sha;
  std::vector<std::uint8_t> buffer(1 << 16);
  off_t offset = 0;
  while (true) {
    const ssize_t got = ::pread(fd, buffer.data(), buffer.size(), offset);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return std::nullopt;
    if (got == 0) break;
    sha.update(std::span(buffer.data(), static_cast<std::size_t>(got)));
    offset += got;
  }
  return sha.finish_hex();
}

}  // namespace intake::base
