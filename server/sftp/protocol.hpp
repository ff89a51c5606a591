#pragma once
// SFTP version 3 (draft-ietf-secsh-filexfer-02) and the OpenSSH extensions Intake implements.
#include <cstdint>

namespace intake::server::sftp {

inline constexpr std::uint32_t kVersion = 3;

enum class PacketType : std::uint8_t {
  Init = 1,
  Version = 2,
  Open = 3,
  Close = 4,
  Read = 5,
  Write = 6,
  Lstat = 7,
  Fstat = 8,
  Setstat = 9,
  Fsetstat = 10,
  Opendir = 11,
  Readdir = 12,
  Remove = 13,
  Mkdir = 14,
  Rmdir = 15,
  Realpath = 16,
  Stat = 17,
  Rename = 18,
  Readlink = 19,
  Symlink = 20,
  Status = 101,
  Handle = 102,
  Data = 103,
  Name = 104,
  Attrs = 105,
  Extended = 200,
  ExtendedReply = 201,
};

enum class Status : std::uint32_t {
  Ok = 0,
  Eof = 1,
  NoSuchFile = 2,
  PermissionDenied = 3,
  Failure = 4,
  BadMessage = 5,
  NoConnection = 6,
  ConnectionLost = 7,
  OpUnsupported = 8,
};

namespace open_flags {
inline constexpr std::uint32_t kRead = 0x01;
inline constexpr std::uint32_t kWrite = 0x02;
inline constexpr std::uint32_t kAppend = 0x04;
inline constexpr std::uint32_t kCreate = 0x08;
inline constexpr std::uint32_t kTruncate = 0x10;
inline constexpr std::uint32_t kExclusive = 0x20;
}  // namespace open_flags

namespace attr_flags {
inline constexpr std::uint32_t kSize = 0x01;
inline constexpr std::uint32_t kUidGid = 0x02;
inline constexpr std::uint32_t kPermissions = 0x04;
inline constexpr std::uint32_t kAcModTime = 0x08;
inline constexpr std::uint32_t kExtended = 0x80000000;
}  // namespace attr_flags

// Bounds, advertised through limits@openssh.com. A packet is at most kMaxPacket bytes after its
// length field; a WRITE carries at most kMaxWrite bytes; a READ longer than kMaxRead is shortened.
inline constexpr std::uint32_t kMaxWrite = 256 * 1024;
// Reads stay under OpenSSH's own 256 KiB message cap with their reply header (as its sftp-server does).
inline constexpr std::uint32_t kMaxRead = 256 * 1024 - 1024;
inline constexpr std::uint32_t kMaxPacket = kMaxWrite + 1024;
inline constexpr std::uint32_t kMaxPathLength = 4096;

}  // namespace intake::server::sftp
