#pragma once
// The public-key algorithms Intake accepts, and the error values every key operation returns.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace intake::keys {

enum class KeyAlgorithm { Ed25519, EcdsaP256, EcdsaP384, EcdsaP521, Rsa, SkEd25519, SkEcdsaP256 };

// The name on the wire and at the start of an OpenSSH line, e.g. "ssh-ed25519".
std::string_view wire_name(KeyAlgorithm algorithm);
// The short name `ssh-keygen -l` prints in parentheses, e.g. "ED25519", "ECDSA-SK".
std::string_view display_name(KeyAlgorithm algorithm);
std::optional<KeyAlgorithm> algorithm_from_wire_name(std::string_view name);
std::span<const KeyAlgorithm> all_algorithms();
// "ssh-ed25519, ecdsa-sha2-nistp256, …" for messages.
std::string accepted_type_list();

enum class KeyProblem {
  Empty,
  Encoding,
  PrivateKey,
  Fingerprint,
  PemPublicKey,
  GluedType,
  MissingType,
  AuthorizedKeysOptions,
  UnknownType,
  Dsa,
  Certificate,
  BadBase64,
  Truncated,
  Malformed,
  TypeMismatch,
  WeakRsa,
  BadCurvePoint,
};

struct KeyError {
  KeyProblem problem;
  std::string message;  // says what is wrong and what to send instead
};

}  // namespace intake::keys
