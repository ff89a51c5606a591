#pragma once
// Validation of the binary key blob (RFC 4253 / 5656 / 8709, OpenSSH PROTOCOL.u2f).
#include <cstdint>
#include <span>
#include <tl/expected.hpp>

#include "keys/key_types.hpp"

namespace intake::keys {

inline constexpr unsigned kMinRsaBits = 2048;
inline constexpr unsigned kMaxRsaBits = 16384;  // OpenSSH's own limit

// Checks that `blob` is a complete, consistent key of `algorithm`: the inner name matches, every
// length adds up with no trailing bytes, RSA has at least kMinRsaBits, an EC point lies on its curve.
// Returns the key size in bits as ssh-keygen reports it.
tl::expected<unsigned, KeyError> validate_key_blob(KeyAlgorithm algorithm,
                                                   std::span<const std::uint8_t> blob);

// The name inside a blob (empty when there is none).
std::string name_inside(std::span<const std::uint8_t> blob);

// The refusal for a key type name that is not accepted but known to people (DSA, certificates),
// or nullopt when the name is simply unknown.
std::optional<KeyError> refusal_for_type(std::string_view name);

}  // namespace intake::keys
