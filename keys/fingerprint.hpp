#pragma once
// Fingerprints exactly as `ssh-keygen -l` prints them.
#include <string>

#include "keys/public_key.hpp"

namespace intake::keys {

std::string sha256_fingerprint(const PublicKey& key);  // "SHA256:" + unpadded base64
std::string md5_fingerprint(const PublicKey& key);     // "MD5:" + colon-separated hex pairs

// One `ssh-keygen -l` line: "256 SHA256:… comment (ED25519)"; comment "no comment" when empty.
std::string fingerprint_line(const PublicKey& key);

}  // namespace intake::keys
