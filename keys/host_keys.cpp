#include "keys/host_keys.hpp"

#include <fcntl.h>
#include <libssh/libssh.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <random>

#include "keys/durable_file.hpp"

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

tl::expected<void, std::string> write_new_file(const fs::path& path, const std::string& content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected("cannot create " + path.string() + ": " + errno_text());
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = errno_text();
      ::close(fd);
      return tl::unexpected("cannot write " + path.string() + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return tl::unexpected("cannot fsync " + path.string() + ": " + errno_text());
  return {};
}

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
  // Write under a unique temporary name, then link(): link never replaces, so when two processes
  // race, exactly one key lands and the loser simply loads it.
  std::random_device random;
  const fs::path temporary =
      path.string() + ".tmp" + std::to_string(::getpid()) + "-" + std::to_string(random());
  if (auto written = write_new_file(temporary, pem.get()); !written) return tl::unexpected(written.error());
  const int linked = ::link(temporary.c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temporary.c_str());
  if (linked != 0 && link_errno != EEXIST) {
    return tl::unexpected("cannot create " + path.string() + ": " + std::strerror(link_errno));
  }
  fsync_directory(path.parent_path());
  return linked == 0;
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
