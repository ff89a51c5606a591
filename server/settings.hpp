#pragma once
// The server's settings, filled by the composition root from the config file and the command line.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/ipv4.hpp"

namespace intake::server {

using Seconds = std::chrono::seconds;

// Failed-login defence, after OpenSSH's PerSourcePenalties and SFTPGo's defender: a connection that
// ends without logging in counts as one failure for its address; `max_failures` within `window`
// bans the address for `ban_time`, doubled on every repeat up to `max_ban_time`.
struct BanSettings {
  unsigned max_failures = 10;
  Seconds window{600};
  Seconds ban_time{900};
  Seconds max_ban_time{86400};
  std::vector<base::Ipv4Network> safelist;  // never banned
};

struct AlgorithmSettings {
  std::string kex =
      "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
      "ecdh-sha2-nistp521";
  std::string ciphers =
      "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,"
      "aes256-ctr,aes192-ctr,aes128-ctr";
  // EtM first; plain SHA-2 HMACs stay for libssh2 1.10 (curl, PHP, many scripts), which has no EtM.
  std::string macs =
      "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,hmac-sha2-512";
  bool allow_ssh_rsa_sha1 = false;  // SHA-1 "ssh-rsa" signatures, for very old clients only
  bool compression = false;         // zlib costs far more CPU than it saves on CSV uploads
};

// The SFTP subsystem (CLIENTS.md: temporary names, ghosts, partial uploads).
struct SftpSettings {
  bool durable_close = true;  // fsync a completed upload before CLOSE (or RENAME) is answered
  Seconds ghost_ttl{300};
  Seconds partial_ttl{86400};  // dropped uploads are kept this long for resume, then swept
  std::uint64_t max_file_size = 2ULL << 30;
  std::uint64_t disk_reserve = 1ULL << 30;    // uploads are refused before free space falls below this
  std::uint64_t disk_reserve_inodes = 10000;  // new files are refused before free inodes fall below this
  // What one tenant may keep in upload/ at once (unfinished uploads included); per tenant with
  // `intake tenant set --upload-quota/--upload-quota-files`.
  std::uint64_t upload_quota_bytes = 4ULL << 30;
  std::uint64_t upload_quota_files = 200;
  Seconds temp_ttl{3600};  // a file under a temporary name untouched this long is swept
  bool allow_read_uploads = false;
  std::vector<std::string> temp_name_patterns{"*.filepart", "*.partial", "*.part", "*.tmp", ".*"};
  unsigned max_open_handles = 64;
};

struct ServerSettings {
  std::string listen = "0.0.0.0:2222";
  unsigned max_connections = 1000;
  unsigned max_connections_per_ip = 20;
  // Connections not yet logged in (OpenSSH's MaxStartups): over the total, the one waiting longest is
  // cut so that a new customer still gets in; over the per-address bound, the new one is refused.
  // The rest of max_connections stays free for logged-in sessions.
  unsigned max_unauthenticated = 64;
  unsigned max_unauthenticated_per_ip = 8;
  Seconds login_grace{30};  // the whole handshake and login
  unsigned max_auth_tries = 6;
  Seconds idle_timeout{900};
  // The most upload data a session may have in flight (its SSH channel window while it uploads): the
  // lever for uploads over long round trips, and the bound on a session's buffered input.
  std::uint64_t channel_window = 4ULL << 20;
  Seconds shutdown_grace{30};
  BanSettings bans;
  AlgorithmSettings algorithms;
  SftpSettings sftp;
  std::string log_format = "text";  // "text" | "json"
  std::string log_level = "info";   // trace, debug, info, warn, error
};

}  // namespace intake::server
