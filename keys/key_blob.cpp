#include "keys/key_blob.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <memory>
#include <string>

#include "base/ssh_wire.hpp"
#include "base/text.hpp"

namespace intake::keys {
using base::printable_excerpt;
using base::WireReader;
namespace {

struct AlgorithmInfo {
  KeyAlgorithm algorithm;
  std::string_view wire;
  std::string_view display;
};

constexpr std::array kAlgorithms{
    AlgorithmInfo{KeyAlgorithm::Ed25519, "ssh-ed25519", "ED25519"},
    AlgorithmInfo{KeyAlgorithm::EcdsaP256, "ecdsa-sha2-nistp256", "ECDSA"},
    AlgorithmInfo{KeyAlgorithm::EcdsaP384, "ecdsa-sha2-nistp384", "ECDSA"},
    AlgorithmInfo{KeyAlgorithm::EcdsaP521, "ecdsa-sha2-nistp521", "ECDSA"},
    AlgorithmInfo{KeyAlgorithm::Rsa, "ssh-rsa", "RSA"},
    AlgorithmInfo{KeyAlgorithm::SkEd25519, "sk-ssh-ed25519@openssh.com", "ED25519-SK"},
    AlgorithmInfo{KeyAlgorithm::SkEcdsaP256, "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK"},
};

const AlgorithmInfo& info(KeyAlgorithm algorithm) {
  for (const auto& entry : kAlgorithms) {
    if (entry.algorithm == algorithm) return entry;
  }
  return kAlgorithms.front();  // unreachable: every enumerator is listed
}

struct Curve {
  std::string_view ssh_name;  // the curve identifier inside the blob
  const char* openssl_name;   // OpenSSL group name
  std::size_t point_length;   // uncompressed point: 0x04 || X || Y
  unsigned bits;
};

Curve curve_of(KeyAlgorithm algorithm) {
  switch (algorithm) {
    case KeyAlgorithm::EcdsaP384: return {"nistp384", "secp384r1", 97, 384};
    case KeyAlgorithm::EcdsaP521: return {"nistp521", "secp521r1", 133, 521};
    default: return {"nistp256", "prime256v1", 65, 256};
  }
}

KeyError truncated() {
  return {KeyProblem::Truncated,
          "the key data is truncated or corrupted (the lengths inside it do not add up); "
          "send the .pub file exactly as it was generated"};
}

tl::expected<void, KeyError> check_curve_point(const Curve& curve, std::span<const std::uint8_t> point) {
  const KeyError bad{KeyProblem::BadCurvePoint,
                     "the key's EC point is not on curve " + std::string(curve.ssh_name) +
                         "; the key is corrupted — send the .pub file exactly as it was generated"};
  if (point.size() != curve.point_length || point[0] != 0x04) return tl::unexpected(bad);

  // OpenSSL 3 checks the point on import (EC_POINT_oct2point) and again in EVP_PKEY_public_check.
  std::array params{
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, const_cast<char*>(curve.openssl_name), 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, const_cast<std::uint8_t*>(point.data()),
                                        point.size()),
      OSSL_PARAM_construct_end()};
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.data()) <= 0) {
    return tl::unexpected(bad);
  }
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(raw, EVP_PKEY_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return tl::unexpected(bad);
  return {};
}

// Bits of an unsigned SSH mpint (big-endian, no leading zero byte unless the top bit is set).
unsigned mpint_bits(std::span<const std::uint8_t> value) {
  std::size_t first = 0;
  while (first < value.size() && value[first] == 0) ++first;
  if (first == value.size()) return 0;
  unsigned top_bits = 0;
  for (unsigned byte = value[first]; byte != 0; byte >>= 1) ++top_bits;
  return static_cast<unsigned>((value.size() - first - 1) * 8) + top_bits;
}

bool mpint_negative(std::span<const std::uint8_t> value) { return !value.empty() && (value[0] & 0x80) != 0; }

// RFC 4251: no unnecessary leading zero bytes. A padded number would give the key a fingerprint
// that differs from ssh-keygen's and from what the client presents at login.
bool mpint_minimal(std::span<const std::uint8_t> value) {
  return value.empty() || value[0] != 0 || (value.size() > 1 && (value[1] & 0x80) != 0);
}

}  // namespace

std::string_view wire_name(KeyAlgorithm algorithm) { return info(algorithm).wire; }
std::string_view display_name(KeyAlgorithm algorithm) { return info(algorithm).display; }

std::optional<KeyAlgorithm> algorithm_from_wire_name(std::string_view name) {
  for (const auto& entry : kAlgorithms) {
    if (entry.wire == name) return entry.algorithm;
  }
  return std::nullopt;
}

std::span<const KeyAlgorithm> all_algorithms() {
  static constexpr std::array kAll{KeyAlgorithm::Ed25519,    KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384,
                                   KeyAlgorithm::EcdsaP521,  KeyAlgorithm::Rsa,       KeyAlgorithm::SkEd25519,
                                   KeyAlgorithm::SkEcdsaP256};
  return kAll;
}

std::string accepted_type_list() {
  std::string out;
  for (const auto& entry : kAlgorithms) out += (out.empty() ? "" : ", ") + std::string(entry.wire);
  return out;
}

std::string name_inside(std::span<const std::uint8_t> blob) {
  WireReader reader(blob);
  const auto name = reader.read_text();
  return name ? std::string(*name) : std::string();
}

std::optional<KeyError> refusal_for_type(std::string_view name) {
  if (name == "ssh-dss") {
    return KeyError{KeyProblem::Dsa,
                    "DSA keys (ssh-dss) are not accepted: they are too weak and OpenSSH has dropped them; "
                    "generate a new key with `ssh-keygen -t ed25519`"};
  }
  if (name.ends_with("-cert-v01@openssh.com")) {
    return KeyError{
        KeyProblem::Certificate,
        "this is an SSH certificate, not a plain public key; send the .pub file of the key itself "
        "(without -cert in its name)"};
  }
  return std::nullopt;
}

tl::expected<unsigned, KeyError> validate_key_blob(KeyAlgorithm algorithm,
                                                   std::span<const std::uint8_t> blob) {
  WireReader reader(blob);
  const auto inner = reader.read_text();
  if (!inner) return tl::unexpected(truncated());
  if (*inner != wire_name(algorithm)) {
    return tl::unexpected(
        KeyError{KeyProblem::TypeMismatch,
                 "the line says '" + std::string(wire_name(algorithm)) + "' but the key data inside is '" +
                     printable_excerpt(*inner, 64) +
                     "'; the line was edited or assembled from two keys — send the .pub file unchanged"});
  }

  unsigned bits = 0;
  switch (algorithm) {
    case KeyAlgorithm::Ed25519:
    case KeyAlgorithm::SkEd25519: {
      const auto point = reader.read_string();
      if (!point) return tl::unexpected(truncated());
      if (point->size() != 32) {
        return tl::unexpected(
            KeyError{KeyProblem::Malformed, "an ed25519 public key is 32 bytes, this one has " +
                                                std::to_string(point->size()) + "; the key is corrupted"});
      }
      bits = 256;
      break;
    }
    case KeyAlgorithm::EcdsaP256:
    case KeyAlgorithm::EcdsaP384:
    case KeyAlgorithm::EcdsaP521:
    case KeyAlgorithm::SkEcdsaP256: {
      const Curve curve = curve_of(algorithm);
      const auto curve_name = reader.read_text();
      const auto point = reader.read_string();
      if (!curve_name || !point) return tl::unexpected(truncated());
      if (*curve_name != curve.ssh_name) {
        return tl::unexpected(KeyError{KeyProblem::TypeMismatch,
                                       "the key names curve " + std::string(curve.ssh_name) +
                                           " but its data is for another curve; the key is corrupted"});
      }
      if (auto checked = check_curve_point(curve, *point); !checked) {
        return tl::unexpected(checked.error());
      }
      bits = curve.bits;
      break;
    }
    case KeyAlgorithm::Rsa: {
      const auto exponent = reader.read_string();
      const auto modulus = reader.read_string();
      if (!exponent || !modulus) return tl::unexpected(truncated());
      const bool sane = !mpint_negative(*exponent) && !mpint_negative(*modulus) && mpint_minimal(*exponent) &&
                        mpint_minimal(*modulus) && !exponent->empty() && (exponent->back() & 1) == 1 &&
                        mpint_bits(*exponent) >= 2 && !modulus->empty() && (modulus->back() & 1) == 1;
      if (!sane) {
        return tl::unexpected(KeyError{KeyProblem::Malformed,
                                       "the RSA key's numbers are invalid (exponent or modulus); "
                                       "the key is corrupted — send the .pub file unchanged"});
      }
      bits = mpint_bits(*modulus);
      if (bits > kMaxRsaBits) {
        return tl::unexpected(KeyError{KeyProblem::Malformed,
                                       "this RSA key has " + std::to_string(bits) +
                                           " bits; OpenSSH accepts at most " + std::to_string(kMaxRsaBits) +
                                           " — send an ed25519 or a 3072-bit RSA key"});
      }
      if (bits < kMinRsaBits) {
        return tl::unexpected(KeyError{
            KeyProblem::WeakRsa,
            "this RSA key has " + std::to_string(bits) + " bits; at least " + std::to_string(kMinRsaBits) +
                " are required — generate a new key with `ssh-keygen -t ed25519` (or `-t rsa -b 3072`)"});
      }
      break;
    }
  }
  if (algorithm == KeyAlgorithm::SkEd25519 || algorithm == KeyAlgorithm::SkEcdsaP256) {
    if (!reader.read_string()) return tl::unexpected(truncated());  // the FIDO application
  }
  if (!reader.at_end()) {
    return tl::unexpected(
        KeyError{KeyProblem::Malformed, "the key data has " + std::to_string(reader.remaining()) +
                                            " unexpected bytes after the key; send the .pub file unchanged"});
  }
  return bits;
}

}  // namespace intake::keys
