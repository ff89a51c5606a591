#include <doctest/doctest.h>
#include <sys/stat.h>

#include "keys/base64.hpp"
#include "keys/fingerprint.hpp"
#include "keys/host_keys.hpp"
#include "keys/key_blob.hpp"
#include "keys/public_key.hpp"
#include "test_support.hpp"

using namespace intake::keys;
using intake::test::read_fixture;

namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string second_token(const std::string& line) {
  const auto start = line.find(' ') + 1;
  return line.substr(start, line.find(' ', start) - start);
}

KeyProblem problem_of(std::string_view text) {
  const auto parsed = parse_public_key(text);
  REQUIRE_MESSAGE(!parsed, "expected a refusal for: " << text);
  return parsed.error().problem;
}

std::string message_of(std::string_view text) {
  const auto parsed = parse_public_key(text);
  REQUIRE(!parsed);
  return parsed.error().message;
}

// Wraps `data` at `width` columns, the way mail clients and PuTTYgen break long lines.
std::string wrap(const std::string& data, std::size_t width, const std::string& eol = "\n") {
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += width) out += data.substr(i, width) + eol;
  return out;
}

const char* const kGoodFixtures[] = {"ed25519", "ecdsa256", "ecdsa384",   "ecdsa521", "rsa2048",
                                     "rsa3072", "rsa4096",  "sk-ed25519", "sk-ecdsa"};

}  // namespace

TEST_CASE("every accepted key type made by ssh-keygen parses with ssh-keygen's fingerprints") {
  for (const std::string name : kGoodFixtures) {
    CAPTURE(name);
    const auto key = parse_public_key(read_fixture("keys/" + name + ".pub"));
    REQUIRE_MESSAGE(key, (key ? "" : key.error().message));
    CHECK(fingerprint_line(*key) == trimmed(read_fixture("keys/" + name + ".fp")));
    CHECK(md5_fingerprint(*key) == second_token(read_fixture("keys/" + name + ".md5")));
    CHECK(key->openssh_line() == trimmed(read_fixture("keys/" + name + ".pub")));
  }
}

TEST_CASE("RFC 4716 exports (ssh-keygen -e) give the same key as the .pub file") {
  for (const std::string name : kGoodFixtures) {  // every type, sk keys included
    CAPTURE(name);
    const auto from_pub = parse_public_key(read_fixture("keys/" + name + ".pub"));
    const auto from_rfc = parse_public_key(read_fixture("keys/" + name + ".rfc4716"));
    REQUIRE(from_pub);
    REQUIRE_MESSAGE(from_rfc, (from_rfc ? "" : from_rfc.error().message));
    CHECK(from_rfc->blob == from_pub->blob);
    CHECK(sha256_fingerprint(*from_rfc) == sha256_fingerprint(*from_pub));
    CHECK(from_rfc->comment.find("converted by") != std::string::npos);
  }
}

TEST_CASE("PuTTYgen-style export: quoted comment, extra and continued headers, CRLF, 64 columns") {
  const auto original = parse_public_key(read_fixture("keys/rsa3072.pub"));
  REQUIRE(original);
  const std::string data = base64_encode(original->blob);
  const std::string text =
      "---- BEGIN SSH2 PUBLIC KEY ----\r\n"
      "Comment: \"rsa-key-20261121\"\r\n"
      "x-Private-Note: a header that goes on \\\r\n"
      "over two lines\r\n" +
      wrap(data, 64, "\r\n") + "---- END SSH2 PUBLIC KEY ----\r\n";
  const auto key = parse_public_key(text);
  REQUIRE_MESSAGE(key, (key ? "" : key.error().message));
  CHECK(key->blob == original->blob);
  CHECK(key->comment == "rsa-key-20261121");
  CHECK(key->openssh_line() == original->type_and_data() + " rsa-key-20261121");
}

TEST_CASE("pasted line breaks and surrounding white space are tolerated") {
  const auto original = parse_public_key(read_fixture("keys/rsa4096.pub"));
  REQUIRE(original);
  const std::string data = base64_encode(original->blob);
  SUBCASE("base64 broken over lines, comment after") {
    const auto key = parse_public_key("\n  ssh-rsa " + wrap(data, 76) + "  alice@example.org \n\n");
    REQUIRE_MESSAGE(key, (key ? "" : key.error().message));
    CHECK(key->blob == original->blob);
    CHECK(key->comment == "alice@example.org");
  }
  SUBCASE("CRLF and tabs, no comment") {
    const auto key = parse_public_key("\tssh-rsa\t" + wrap(data, 60, "\r\n"));
    REQUIRE(key);
    CHECK(key->comment.empty());
    CHECK(key->openssh_line() == original->type_and_data());
  }
  SUBCASE("a UTF-8 byte-order mark and no-break spaces from a mail client") {
    const auto key = parse_public_key("\xEF\xBB\xBFssh-rsa\xC2\xA0" + data +
                                      "\xC2\xA0"
                                      "alice");
    REQUIRE_MESSAGE(key, (key ? "" : key.error().message));
    CHECK(key->comment == "alice");
  }
  SUBCASE("control characters and invalid UTF-8 in the comment are neutralised") {
    const auto key = parse_public_key("ssh-rsa " + data + " caf\xE9 \x1b[31mred \xC3\xA9t\xC3\xA9");
    REQUIRE(key);
    CHECK(key->comment == "caf? ?[31mred \xC3\xA9t\xC3\xA9");
  }
  SUBCASE("a comment that looks like a fingerprint is still a comment") {
    const auto key = parse_public_key("ssh-rsa " + data + " SHA256:old-laptop");
    REQUIRE(key);
    CHECK(key->comment == "SHA256:old-laptop");
  }
  SUBCASE("a comment with several words keeps them") {
    const auto key = parse_public_key("ssh-rsa " + data + " Alice Example (laptop)");
    REQUIRE(key);
    CHECK(key->comment == "Alice Example (laptop)");
  }
}

TEST_CASE("refusals name the problem") {
  SUBCASE("empty") { CHECK(problem_of("  \n ") == KeyProblem::Empty); }
  SUBCASE("private key") {
    CHECK(problem_of(read_fixture("keys/ed25519_private")) == KeyProblem::PrivateKey);
    CHECK(
        message_of(read_fixture("keys/ed25519_private")).find("this is a private key — send the .pub file") ==
        0);
    CHECK(problem_of("PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n") == KeyProblem::PrivateKey);
    CHECK(problem_of("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----") ==
          KeyProblem::PrivateKey);
  }
  SUBCASE("bare fingerprints") {
    const auto fp = trimmed(read_fixture("keys/ed25519.fp"));
    CHECK(problem_of(fp) == KeyProblem::Fingerprint);
    CHECK(problem_of(second_token(fp)) == KeyProblem::Fingerprint);
    CHECK(problem_of(second_token(read_fixture("keys/ed25519.md5"))) == KeyProblem::Fingerprint);
    CHECK(problem_of("75:62:28:c6:ff:46:2c:a0:f9:de:90:c4:f2:53:b3:79") == KeyProblem::Fingerprint);
    CHECK(message_of(fp).find("a fingerprint is not enough: send the whole public key") == 0);
  }
  SUBCASE("the LiveSafe seed's sample key: type glued to the data") {
    const std::string seed =
        "ssh-rsa-AAAB3NzaC1yc2EAAAAABGIZTABAQC9OEfhaZC/O+yp0l/Fqssi/HAVMjQbzJnK\n"
        "PggHJCBHqkxYwSBet926hulYDGL6jbDoEHfMRNIzAAg5adyuVsa2BDc3iPN/7U8oMzL+8\n"
        "yRpBTZNWFvDZ8bj0L+kJZNhDxi2kT0oj1qCsxY7JRH6FF/TH4/GmMBOd4XRwJ+3Wm6\n"
        "IgVCGZackugQU+KIlLYQCvxNxL+ZxZ7orPSONoJyp0+SKvEIIDu3UseSop5om2gBXc2f\n"
        "Cu+AH8Y+zrykJ+Rham/qbDOdXx7RGDRdc8kjf+C9UOeHUhKKcXAP8vlGD+QAZGBoe\n"
        "T8wrhP8JDLz8tsx+GpE71YNdpgzJgQUDataL0Hdh\n";
    CHECK(problem_of(seed) == KeyProblem::GluedType);
    CHECK(message_of(seed).find("glued together ('ssh-rsa-AAAB3") != std::string::npos);
    // Even with the glue fixed, that sample is not a key: its base64 is the wrong length.
    std::string unglued = seed;
    unglued[7] = ' ';
    CHECK(problem_of(unglued) == KeyProblem::BadBase64);
  }
  SUBCASE("DSA, in both formats") {
    CHECK(problem_of(read_fixture("keys/dsa.pub")) == KeyProblem::Dsa);
    CHECK(problem_of(read_fixture("keys/dsa.rfc4716")) == KeyProblem::Dsa);
    CHECK(message_of(read_fixture("keys/dsa.pub")).find("DSA") != std::string::npos);
  }
  SUBCASE("RSA under 2048 bits") {
    CHECK(problem_of(read_fixture("keys/rsa1024.pub")) == KeyProblem::WeakRsa);
    CHECK(message_of(read_fixture("keys/rsa1024.pub")).find("1024 bits") != std::string::npos);
  }
  SUBCASE("outer type does not match the blob") {
    const auto ed = parse_public_key(read_fixture("keys/ed25519.pub"));
    REQUIRE(ed);
    const std::string forged = "ssh-rsa " + base64_encode(ed->blob);
    CHECK(problem_of(forged) == KeyProblem::TypeMismatch);
    CHECK(message_of(forged).find("'ssh-ed25519'") != std::string::npos);
    CHECK(problem_of("ecdsa-sha2-nistp384 " + read_fixture("keys/ecdsa256.pub").substr(20)) ==
          KeyProblem::TypeMismatch);
  }
  SUBCASE("EC point not on the curve") {
    auto key = parse_public_key(read_fixture("keys/ecdsa256.pub"));
    REQUIRE(key);
    key->blob.back() ^= 0x01;  // the last byte of Y
    CHECK(problem_of(key->type_and_data()) == KeyProblem::BadCurvePoint);
    key = parse_public_key(read_fixture("keys/sk-ecdsa.pub"));
    REQUIRE(key);
    key->blob[key->blob.size() - 12] ^= 0x40;  // inside Y, before the application string
    CHECK(problem_of(key->type_and_data()) == KeyProblem::BadCurvePoint);
  }
  SUBCASE("a certificate exported as RFC 4716") {
    std::vector<std::uint8_t> blob{0, 0, 0, 32};
    const std::string name = "ssh-ed25519-cert-v01@openssh.com";
    blob.insert(blob.end(), name.begin(), name.end());
    const auto text =
        "---- BEGIN SSH2 PUBLIC KEY ----\n" + base64_encode(blob) + "\n---- END SSH2 PUBLIC KEY ----\n";
    CHECK(problem_of(text) == KeyProblem::Certificate);
  }
  SUBCASE("RSA numbers must be minimally encoded and at most 16384 bits") {
    // A padded modulus would fingerprint differently from what ssh-keygen and the client compute.
    const auto rsa = parse_public_key(read_fixture("keys/rsa2048.pub"));
    REQUIRE(rsa);
    const std::size_t header = 4 + 7 + 4 + 3;  // "ssh-rsa", e = 65537
    std::vector<std::uint8_t> padded(rsa->blob.begin(), rsa->blob.begin() + header);
    const std::vector<std::uint8_t> modulus(rsa->blob.begin() + header + 4, rsa->blob.end());
    const auto length = static_cast<std::uint32_t>(modulus.size() + 1);
    padded.insert(padded.end(),
                  {static_cast<std::uint8_t>(length >> 24), static_cast<std::uint8_t>(length >> 16),
                   static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), 0});
    padded.insert(padded.end(), modulus.begin(), modulus.end());
    CHECK(problem_of("ssh-rsa " + base64_encode(padded)) == KeyProblem::Malformed);

    std::vector<std::uint8_t> huge(rsa->blob.begin(), rsa->blob.begin() + header);
    const std::uint32_t huge_length = 2049;  // 16392 bits with the top bit clear; odd
    huge.insert(huge.end(), {0, 0, static_cast<std::uint8_t>(huge_length >> 8),
                             static_cast<std::uint8_t>(huge_length), 0x7f});
    huge.insert(huge.end(), huge_length - 1, 0xff);
    CHECK(message_of("ssh-rsa " + base64_encode(huge)).find("at most 16384") != std::string::npos);
  }
  SUBCASE("UTF-16 files") {
    const std::string utf16("\xFF\xFEs\0s\0h\0", 8);
    CHECK(problem_of(utf16) == KeyProblem::Encoding);
    CHECK(message_of(utf16).find("plain text") != std::string::npos);
  }
  SUBCASE("truncated or padded blobs") {
    auto key = parse_public_key(read_fixture("keys/ed25519.pub"));
    REQUIRE(key);
    auto shorter = key->blob;
    shorter.resize(shorter.size() - 3);
    CHECK(problem_of("ssh-ed25519 " + base64_encode(shorter)) == KeyProblem::Truncated);
    auto longer = key->blob;
    longer.insert(longer.end(), {0, 0, 0});
    CHECK(problem_of("ssh-ed25519 " + base64_encode(longer)) == KeyProblem::Malformed);
  }
  SUBCASE("other garbage") {
    CHECK(problem_of("ssh-ed25519") == KeyProblem::Truncated);
    CHECK(problem_of("ssh-ed25519 not*base64 x") == KeyProblem::BadBase64);
    CHECK(problem_of("ssh-ed25519 AAAAC3Nz") == KeyProblem::Truncated);
    CHECK(problem_of("hello world") == KeyProblem::UnknownType);
    CHECK(problem_of("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----") ==
          KeyProblem::PemPublicKey);
    CHECK(problem_of("ssh-ed25519-cert-v01@openssh.com AAAA") == KeyProblem::Certificate);
    const auto ed = trimmed(read_fixture("keys/ed25519.pub"));
    CHECK(problem_of("from=\"10.0.0.1\" " + ed) == KeyProblem::AuthorizedKeysOptions);
    CHECK(problem_of(ed.substr(12)) == KeyProblem::MissingType);
    CHECK(problem_of("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n") == KeyProblem::Truncated);
    CHECK(problem_of(read_fixture("keys/ed25519.rfc4716") + "ssh-rsa AAAA\n") == KeyProblem::Malformed);
  }
}

TEST_CASE("validate_key_blob rejects hostile lengths without reading past the end") {
  const std::vector<std::uint8_t> huge_length{0xff, 0xff, 0xff, 0xff, 's', 's', 'h'};
  CHECK(!validate_key_blob(KeyAlgorithm::Ed25519, huge_length));
  CHECK(!validate_key_blob(KeyAlgorithm::Rsa, {}));
  CHECK(name_inside(huge_length).empty());
}

TEST_CASE("base64 is strict") {
  CHECK(base64_decode("AAAA"));
  CHECK(base64_decode("QQ==")->size() == 1);
  CHECK(!base64_decode("QQ=A"));
  CHECK(!base64_decode("QQ="));
  CHECK(!base64_decode("Q==="));
  CHECK(!base64_decode("QQ!!"));
  const std::vector<std::uint8_t> bytes{1, 2, 3, 4, 5};
  CHECK(*base64_decode(base64_encode(bytes)) == bytes);
  CHECK(base64_encode(bytes, false) == "AQIDBAU");
}

TEST_CASE("host keys are created once, mode 0600, and loaded again") {
  intake::test::TempDir dir;
  const auto first = ensure_host_keys(dir.path() / "hostkeys");
  REQUIRE_MESSAGE(first, (first ? "" : first.error()));
  REQUIRE(first->size() == 3);
  CHECK(first->at(0).public_key.algorithm == KeyAlgorithm::Ed25519);
  CHECK(first->at(1).public_key.algorithm == KeyAlgorithm::Rsa);
  CHECK(first->at(1).public_key.bits == 3072);
  CHECK(first->at(2).public_key.algorithm == KeyAlgorithm::EcdsaP256);
  for (const auto& key : *first) {
    CHECK(key.created);
    struct stat info {};
    REQUIRE(::stat(key.path.c_str(), &info) == 0);
    CHECK((info.st_mode & 0777) == 0600);
  }
  const auto second = ensure_host_keys(dir.path() / "hostkeys");
  REQUIRE(second);
  CHECK(!second->at(0).created);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(!second->at(i).created);
    CHECK(second->at(i).public_key.blob == first->at(i).public_key.blob);
  }

  ::chmod(first->at(0).path.c_str(), 0644);
  const auto exposed = ensure_host_keys(dir.path() / "hostkeys");
  REQUIRE(!exposed);
  CHECK(exposed.error().find("chmod 600") != std::string::npos);
}

TEST_CASE("known_hosts lines use brackets for a non-standard port") {
  const auto key = parse_public_key(read_fixture("keys/ed25519.pub"));
  REQUIRE(key);
  CHECK(known_hosts_line("sftp.example.com", 2222, *key) ==
        "[sftp.example.com]:2222 " + key->type_and_data());
  CHECK(known_hosts_line("sftp.example.com", 22, *key) == "sftp.example.com " + key->type_and_data());
}
