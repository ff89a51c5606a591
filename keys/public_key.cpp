#include "keys/public_key.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "base/text.hpp"
#include "keys/base64.hpp"
#include "keys/key_blob.hpp"

namespace intake::keys {
using base::clean_comment;
using base::printable_excerpt;
namespace {

constexpr std::string_view kRfc4716Begin = "---- BEGIN SSH2 PUBLIC KEY ----";
constexpr std::string_view kRfc4716End = "---- END SSH2 PUBLIC KEY ----";

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> split_whitespace(std::string_view text) {
  std::vector<std::string_view> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_space(text[i])) ++i;
    const std::size_t start = i;
    while (i < text.size() && !is_space(text[i])) ++i;
    if (i > start) tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

KeyError error(KeyProblem problem, std::string message) { return {problem, std::move(message)}; }

bool is_hex_pair_list(std::string_view text) {
  // "aa:bb:…" with 16 pairs: an MD5 fingerprint
  if (text.size() != 47) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i % 3 == 2) {
      if (text[i] != ':') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

bool looks_like_fingerprint(const std::vector<std::string_view>& tokens) {
  for (auto token : tokens) {
    if (starts_with_ci(token, "SHA256:") || starts_with_ci(token, "SHA1:") || starts_with_ci(token, "MD5:") ||
        is_hex_pair_list(token))
      return true;
  }
  return false;
}

tl::expected<PublicKey, KeyError> key_from_blob(KeyAlgorithm algorithm, std::vector<std::uint8_t> blob,
                                                std::string comment) {
  auto bits = validate_key_blob(algorithm, blob);
  if (!bits) return tl::unexpected(bits.error());
  return PublicKey{algorithm, std::move(blob), clean_comment(comment), *bits};
}

std::string join(const std::vector<std::string_view>& tokens, std::size_t from, std::string_view sep) {
  std::string out;
  for (std::size_t i = from; i < tokens.size(); ++i) {
    if (i > from) out += sep;
    out += tokens[i];
  }
  return out;
}

// The one-line form, with the base64 possibly broken over several lines by a mail client.
tl::expected<PublicKey, KeyError> parse_openssh_line(KeyAlgorithm algorithm,
                                                     const std::vector<std::string_view>& tokens) {
  if (tokens.size() < 2) {
    return tl::unexpected(
        error(KeyProblem::Truncated, "only the key type '" + std::string(tokens[0]) +
                                         "' was given, the key data is missing; send the whole .pub file"));
  }
  if (!is_base64_text(tokens[1])) {
    return tl::unexpected(error(KeyProblem::BadBase64, "the key data after '" + std::string(tokens[0]) +
                                                           "' is not base64 (it starts '" +
                                                           printable_excerpt(tokens[1]) +
                                                           "'); send the .pub file unchanged"));
  }
  // Join data tokens until the blob parses completely; the blob is self-delimiting, so the first
  // complete parse is the key and whatever follows is the comment.
  std::string data;
  KeyError last = error(KeyProblem::BadBase64,
                        "the key data is not valid base64 (wrong length or stray characters); "
                        "send the .pub file unchanged");
  for (std::size_t end = 1; end < tokens.size() && is_base64_text(tokens[end]); ++end) {
    data += tokens[end];
    const auto blob = base64_decode(data);
    if (!blob) continue;
    auto key = key_from_blob(algorithm, *blob, join(tokens, end + 1, " "));
    if (key) return key;
    last = key.error();
    if (last.problem != KeyProblem::Truncated && last.problem != KeyProblem::Malformed) break;
  }
  return tl::unexpected(last);
}

tl::expected<PublicKey, KeyError> parse_rfc4716(std::string_view text) {
  std::vector<std::string_view> lines;
  for (std::size_t start = 0; start <= text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    lines.push_back(trim(text.substr(start, end - start)));
    start = end + 1;
  }
  std::string comment;
  std::string data;
  bool ended = false;
  std::size_t i = 1;  // lines[0] is the BEGIN line
  for (; i < lines.size(); ++i) {
    const auto line = lines[i];
    if (line.empty()) continue;
    if (line == kRfc4716End) {
      ended = true;
      break;
    }
    if (const auto colon = line.find(':'); colon != std::string_view::npos) {
      // Header "Tag: value", continued on the next line when it ends with a backslash.
      const auto tag = trim(line.substr(0, colon));
      std::string value(trim(line.substr(colon + 1)));
      while (!value.empty() && value.back() == '\\' && i + 1 < lines.size()) {
        value.pop_back();
        value += lines[++i];
      }
      if (starts_with_ci(tag, "Comment") && tag.size() == 7) {
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        comment = value;
      }
      continue;
    }
    if (!is_base64_text(line)) {
      return tl::unexpected(error(
          KeyProblem::BadBase64,
          "line " + std::to_string(i + 1) + " of the SSH2 public key block is not base64 ('" +
              printable_excerpt(line) + "'); send the file exactly as PuTTYgen or ssh-keygen -e wrote it"));
    }
    data += line;
  }
  if (!ended) {
    return tl::unexpected(error(KeyProblem::Truncated, "the SSH2 public key block has no '" +
                                                           std::string(kRfc4716End) +
                                                           "' line; paste the whole block, BEGIN to END"));
  }
  const bool trailing_text = std::any_of(lines.begin() + static_cast<std::ptrdiff_t>(i) + 1, lines.end(),
                                         [](std::string_view line) { return !line.empty(); });
  if (trailing_text) {
    return tl::unexpected(
        error(KeyProblem::Malformed, "there is text after the END line; send one key at a time"));
  }
  const auto blob = base64_decode(data);
  if (!blob) {
    return tl::unexpected(error(KeyProblem::BadBase64,
                                "the key data in the SSH2 public key block is not valid base64; "
                                "send the file exactly as PuTTYgen or ssh-keygen -e wrote it"));
  }
  const auto inner = name_inside(*blob);
  const auto algorithm = algorithm_from_wire_name(inner);
  if (!algorithm) {
    if (auto refusal = refusal_for_type(inner)) return tl::unexpected(*refusal);
    return tl::unexpected(
        error(KeyProblem::UnknownType,
              "the SSH2 public key block holds a '" + printable_excerpt(inner, 40) +
                  "' key, which Intake does not accept; accepted types: " + accepted_type_list()));
  }
  return key_from_blob(*algorithm, *blob, comment);
}

// The key type name glued to the data in `token` ("ssh-rsa-AAAB3…"), if any.
std::optional<std::string> glued_type(std::string_view token) {
  std::vector<std::string> names{"ssh-dss"};
  for (const auto algorithm : all_algorithms()) names.emplace_back(wire_name(algorithm));
  for (const auto& name : names) {
    if (!token.starts_with(name)) continue;
    auto rest = token.substr(name.size());
    for (int glue = 0;
         glue < 2 && !rest.empty() && std::string_view("-_:,.").find(rest.front()) != std::string_view::npos;
         ++glue) {
      rest.remove_prefix(1);
    }
    if (rest.size() >= 4 && is_base64_text(rest)) return name;
  }
  return std::nullopt;
}

// What mail clients and Windows editors do to pasted text: a UTF-8 byte-order mark, no-break
// spaces. UTF-16 is refused by the caller.
std::string normalised_input(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\xC2' && i + 1 < text.size() && text[i + 1] == '\xA0') {
      out += ' ';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

bool looks_like_utf16(std::string_view text) {
  return text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
         text.find('\0') != std::string_view::npos;
}

}  // namespace

std::string PublicKey::type_and_data() const {
  return std::string(wire_name(algorithm)) + " " + base64_encode(blob);
}

std::string PublicKey::openssh_line() const {
  return comment.empty() ? type_and_data() : type_and_data() + " " + comment;
}

tl::expected<PublicKey, KeyError> parse_public_key(std::string_view raw) {
  if (looks_like_utf16(raw)) {
    return tl::unexpected(error(KeyProblem::Encoding,
                                "the key file is UTF-16 text (as Windows Notepad may save it); save it as "
                                "plain text (ANSI or UTF-8) and send it again"));
  }
  const std::string normalised = normalised_input(raw);
  std::string_view text = trim(normalised);
  if (text.empty()) {
    return tl::unexpected(error(KeyProblem::Empty,
                                "no key given: send the contents of the .pub file (one line starting "
                                "with ssh-ed25519, ecdsa-sha2-… or ssh-rsa)"));
  }
  if (text.find("PRIVATE KEY") != std::string_view::npos || text.starts_with("PuTTY-User-Key-File-")) {
    return tl::unexpected(
        error(KeyProblem::PrivateKey,
              "this is a private key — send the .pub file (the public half) instead; a private key that "
              "has been sent around should be replaced with a new key pair"));
  }
  if (text.starts_with("-----BEGIN") && text.find("PUBLIC KEY") != std::string_view::npos) {
    return tl::unexpected(error(KeyProblem::PemPublicKey,
                                "this is a PEM public key, not an OpenSSH one; convert it with "
                                "`ssh-keygen -i -m PKCS8 -f key.pem` and send the line it prints"));
  }
  if (text.starts_with(kRfc4716Begin)) return parse_rfc4716(text);

  const auto tokens = split_whitespace(text);
  const auto first = tokens.front();
  if (const auto algorithm = algorithm_from_wire_name(first)) {
    return parse_openssh_line(*algorithm, tokens);
  }
  if (looks_like_fingerprint(tokens)) {
    return tl::unexpected(error(KeyProblem::Fingerprint,
                                "a fingerprint is not enough: send the whole public key (the contents "
                                "of the .pub file, one line starting with ssh-ed25519, ecdsa-sha2-… or "
                                "ssh-rsa)"));
  }
  if (auto refusal = refusal_for_type(first)) return tl::unexpected(*refusal);
  if (const auto name = glued_type(first)) {
    return tl::unexpected(
        error(KeyProblem::GluedType,
              "the key type and the key data are glued together ('" + printable_excerpt(first, 16) +
                  "'): a public key line reads '" + std::string(*name) +
                  "', a space, then the base64 data; send the .pub file exactly as ssh-keygen or PuTTYgen "
                  "wrote it"));
  }
  if (is_base64_text(first)) {
    if (const auto blob = base64_decode(first)) {
      if (const auto inner = algorithm_from_wire_name(name_inside(*blob))) {
        return tl::unexpected(
            error(KeyProblem::MissingType, "the key type is missing: the line must start with '" +
                                               std::string(wire_name(*inner)) +
                                               "' before the data; send the whole .pub file"));
      }
    }
  }
  for (std::size_t i = 1; i < tokens.size(); ++i) {
    if (algorithm_from_wire_name(tokens[i])) {
      return tl::unexpected(error(KeyProblem::AuthorizedKeysOptions,
                                  "the line starts with '" + printable_excerpt(first) +
                                      "' before the key type; authorized_keys options are not "
                                      "accepted — send only the public key line"));
    }
  }
  return tl::unexpected(error(KeyProblem::UnknownType, "not an SSH public key ('" + printable_excerpt(first) +
                                                           "'): expected a line starting with " +
                                                           accepted_type_list() + ", or an RFC 4716 block (" +
                                                           std::string(kRfc4716Begin) + ")"));
}

}  // namespace intake::keys
