#include "keys/host_keys.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/durable_file.hpp"

namespace intake::keys {
namespace {

namespace fs = std::filesystem;

struct SshKeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using SshKeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, SshKeyDeleter>;

struct SshCharDeleter {
  void operator()(char* text) const { ssh_string_free_char(text); }
};
using SshCharPtr = std::unique_ptr<char, SshCharDeleter>;

struct HostKeySpec {
  const char* file_name;
  enum ssh_keytypes_e type;
  int bits;
};
constexpr HostKeySpec kHostKeys[] = {
    {"ssh_host_ed25519_key", SSH_KEYTYPE_ED25519, 0},
    {"ssh_host_rsa_key", SSH_KEYTYPE_RSA, 3072},
    // For clients that know neither ed25519 nor RSA with SHA-2 (older Java integrations).
    {"ssh_host_ecdsa_key", SSH_KEYTYPE_ECDSA_P256, 256},
};

std::string errno_text() { return std::strerror(errno); }

// Returns whether this call's key landed (false: another process created the file first).
tl::expected<bool, std::string> generate(const fs::path& path, const HostKeySpec& spec) {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(spec.type, spec.bits, &raw) != SSH_OK) {
    return tl::unexpected("could not generate host key " + path.string());
  }
  SshKeyPtr key(raw);
  char* pem_raw = nullptr;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &pem_raw) != SSH_OK) {
    return tl::unexpected("could not encode host key " + path.string());
  }
  SshCharPtr pem(pem_raw);
  // Exactly one key lands when two processes race (link, never replace); the loser loads the winner's.
  const auto written =
      base::write_file_atomically(path, pem.get(), base::Existing::Keep, base::Sync::Yes, 0600);
  if (!written) return tl::unexpected(written.error().message);
  return *written;
}

tl::expected<PublicKey, std::string> load_public(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return tl::unexpected("cannot read host key " + path.string() + ": " + errno_text());
  }
  if ((info.st_mode & 077) != 0) {
    return tl::unexpected("host key " + path.string() + " is readable by other users; run `chmod 600 " +
                          path.string() + "`");
  }
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
    return tl::unexpected("host key " + path.string() +
                          " is not a readable unencrypted OpenSSH private key; move it away and "
                          "run `intake hostkeys` to create a new one");
  }
  SshKeyPtr key(raw);
  char* data_raw = nullptr;
  if (ssh_pki_export_pubkey_base64(key.get(), &data_raw) != SSH_OK) {
    return tl::unexpected("cannot export the public half of host key " + path.string());
  }
  SshCharPtr data(data_raw);
  const std::string line = std::string(ssh_key_type_to_char(ssh_key_type(key.get()))) + " " + data.get();
  auto parsed = parse_public_key(line);
  if (!parsed) {
    return tl::unexpected("host key " + path.string() + " is unusable: " + parsed.error().message);
  }
  return *parsed;
}

}  // namespace

tl::expected<std::vector<HostKey>, std::string> ensure_host_keys(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return tl::unexpected("cannot create host key directory " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, ec);

  std::vector<HostKey> keys;
  for (const auto& spec : kHostKeys) {
    const fs::path path = dir / spec.file_name;
    bool created = false;
    if (!fs::exists(path)) {
      const auto made = generate(path, spec);
      if (!made) return tl::unexpected(made.error());
      created = *made;
    }
    auto key = load_public(path);
    if (!key) return tl::unexpected(key.error());
    key->comment = "intake host key";
    keys.push_back(HostKey{path, std::move(*key), created});
  }
  return keys;
}

std::string known_hosts_line(const std::string& host, unsigned port, const PublicKey& key) {
  const std::string name = port == 22 ? host : "[" + host + "]:" + std::to_string(port);
  return name + " " + key.type_and_data();
}

}  // namespace intake::keys
