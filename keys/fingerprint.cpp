#include "keys/fingerprint.hpp"

#include <openssl/evp.h>

#include <array>
#include <cstdio>

#include "base/hex.hpp"
#include "keys/base64.hpp"

namespace intake::keys {
using base::hex_encode;
namespace {

std::vector<std::uint8_t> digest(const EVP_MD* md, const std::vector<std::uint8_t>& bytes) {
  std::vector<std::uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), out.data(), &length, md, nullptr);
  out.resize(length);
  return out;
}

}  // namespace

std::string sha256_fingerprint(const PublicKey& key) {
  return "SHA256:" + base64_encode(digest(EVP_sha256(), key.blob), /*padded=*/false);
}

std::string md5_fingerprint(const PublicKey& key) {
  return "MD5:" + hex_encode(digest(EVP_md5(), key.blob), ':');
}

std::string fingerprint_line(const PublicKey& key) {
  return std::to_string(key.bits) + " " + sha256_fingerprint(key) + " " +
         (key.comment.empty() ? std::string("no comment") : key.comment) + " (" +
         std::string(display_name(key.algorithm)) + ")";
}

}  // namespace intake::keys
