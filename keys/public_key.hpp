#pragma once
// Parsing of public keys as people bring them: the OpenSSH one-line form (`ssh-ed25519 AAAA… comment`)
// and RFC 4716 / PuTTYgen exports, with pasted line breaks tolerated. Pure: text in, value out.
#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "keys/key_types.hpp"

namespace intake::keys {

struct PublicKey {
  KeyAlgorithm algorithm;
  std::vector<std::uint8_t> blob;  // the wire-format key, what fingerprints are computed over
  std::string comment;
  unsigned bits = 0;  // as `ssh-keygen -l` reports it

  std::string type_and_data() const;  // "ssh-ed25519 AAAA…" (what authorized_keys matching uses)
  std::string openssh_line() const;   // type_and_data() plus " comment" when there is one
};

tl::expected<PublicKey, KeyError> parse_public_key(std::string_view text);

}  // namespace intake::keys
