#include "base/sealed_secret.hpp"

#include <sodium.h>

#include <fstream>
#include <sstream>

#include "base/base64.hpp"
#include "base/durable_file.hpp"

namespace intake::base {

namespace {
constexpr std::string_view kPrefix = "sealed:v1:";
}

tl::expected<Sealer, std::string> Sealer::open_or_create(const std::filesystem::path& key_file) {
  if (sodium_init() < 0) return tl::unexpected(std::string("libsodium cannot start"));
  std::error_code ec;
  if (!std::filesystem::exists(key_file, ec)) {
    std::string key(crypto_secretbox_KEYBYTES, '\0');
    randombytes_buf(key.data(), key.size());
    // Keep: when two processes race, both end up with whichever landed first.
    const auto written = write_file_atomically(key_file, key, Existing::Keep, Sync::Yes, 0600);
    wipe(key);
    if (!written)
      return tl::unexpected("cannot create the secrets key " + key_file.string() + ": " + written.error().message);
  }
  std::ifstream in(key_file, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string key = bytes.str();
  if (!in || key.size() != crypto_secretbox_KEYBYTES) {
    wipe(key);
    return tl::unexpected(
        "the secrets key " + key_file.string() + " is unreadable or not " +
        std::to_string(crypto_secretbox_KEYBYTES) +
        " bytes; restore it from the backup of the data dir (secrets sealed with it cannot be "
        "used without it)");
  }
  return Sealer(std::move(key));
}

Sealer::Sealer(Sealer&&) noexcept = default;
Sealer& Sealer::operator=(Sealer&&) noexcept = default;
Sealer::~Sealer() { wipe(key_); }

std::string Sealer::seal(std::string_view secret) const {
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + secret.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nonce,
                        reinterpret_cast<const unsigned char*>(key_.data()));
  return std::string(kPrefix) + base64_encode(box);
}

tl::expected<SecretString, std::string> Sealer::open(std::string_view sealed) const {
  if (!sealed.starts_with(kPrefix)) return tl::unexpected(std::string("not a sealed secret"));
  const auto box = base64_decode(sealed.substr(kPrefix.size()));
  if (!box || box->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return tl::unexpected(std::string("a sealed secret that is cut short"));
  std::string secret(box->size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  const auto* nonce = reinterpret_cast<const unsigned char*>(box->data());
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(secret.data()),
                                 nonce + crypto_secretbox_NONCEBYTES,
                                 box->size() - crypto_secretbox_NONCEBYTES, nonce,
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0)
    return tl::unexpected(std::string(
        "a sealed secret this data dir's secrets.key does not open (another data dir's, or altered)"));
  return SecretString(secret);
}

}  // namespace intake::base
