#pragma once
// The SFTP v3 codec: bytes to typed requests, replies to bytes. Pure: no I/O, no allocation sized by
// a length the client declares beyond the packet bounds (kMaxPacket).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>
#include <variant>
#include <vector>

#include "server/sftp/protocol.hpp"

namespace intake::server::sftp {

using Bytes = std::span<const std::uint8_t>;

struct Attributes {
  std::optional<std::uint64_t> size;
  std::optional<std::uint32_t> uid, gid;
  std::optional<std::uint32_t> permissions;
  std::optional<std::uint32_t> atime, mtime;
};

// Requests. Strings are views into the packet: valid while the packet's bytes are.
struct Init {
  std::uint32_t version;
};
struct Open {
  std::uint32_t id;
  std::string_view path;
  std::uint32_t flags;
  Attributes attrs;
};
struct Close {
  std::uint32_t id;
  std::string_view handle;
};
struct Read {
  std::uint32_t id;
  std::string_view handle;
  std::uint64_t offset;
  std::uint32_t length;
};
struct Write {
  std::uint32_t id;
  std::string_view handle;
  std::uint64_t offset;
  Bytes data;
};
struct Lstat {
  std::uint32_t id;
  std::string_view path;
};
struct Stat {
  std::uint32_t id;
  std::string_view path;
};
struct Fstat {
  std::uint32_t id;
  std::string_view handle;
};
struct Setstat {
  std::uint32_t id;
  std::string_view path;
  Attributes attrs;
};
struct Fsetstat {
  std::uint32_t id;
  std::string_view handle;
  Attributes attrs;
};
struct Opendir {
  std::uint32_t id;
  std::string_view path;
};
struct Readdir {
  std::uint32_t id;
  std::string_view handle;
};
struct Remove {
  std::uint32_t id;
  std::string_view path;
};
struct Mkdir {
  std::uint32_t id;
  std::string_view path;
  Attributes attrs;
};
struct Rmdir {
  std::uint32_t id;
  std::string_view path;
};
struct Realpath {
  std::uint32_t id;
  std::string_view path;
};
struct Rename {
  std::uint32_t id;
  std::string_view from;
  std::string_view to;
  bool posix;
};  // posix-rename@openssh.com
struct Readlink {
  std::uint32_t id;
  std::string_view path;
};
struct Symlink {
  std::uint32_t id;
  std::string_view link;
  std::string_view target;
};
struct Fsync {
  std::uint32_t id;
  std::string_view handle;
};  // fsync@openssh.com
struct Limits {
  std::uint32_t id;
};  // limits@openssh.com
struct ExpandPath {
  std::uint32_t id;
  std::string_view path;
};  // expand-path@openssh.com
struct Statvfs {
  std::uint32_t id;
  std::string_view path;
};  // statvfs@openssh.com
// An EXTENDED request or packet type we do not implement: answered OP_UNSUPPORTED.
struct Unsupported {
  std::uint32_t id;
  std::string what;
};

using Request = std::variant<Init, Open, Close, Read, Write, Lstat, Stat, Fstat, Setstat, Fsetstat, Opendir,
                             Readdir, Remove, Mkdir, Rmdir, Realpath, Rename, Readlink, Symlink, Fsync,
                             Limits, ExpandPath, Statvfs, Unsupported>;

enum class FrameProblem { Incomplete, TooLarge, Empty };

// The length of the first whole packet in `buffer` (its 4-byte length prefix included), or why there is
// none yet. A declared length over kMaxPacket is TooLarge: the session ends.
tl::expected<std::size_t, FrameProblem> frame_length(Bytes buffer);

// Decodes one packet (without its length prefix). The error says what is malformed.
tl::expected<Request, std::string> decode_request(Bytes packet);

// --- Replies ---
struct NameEntry {
  std::string name;
  std::string long_name;  // `ls -l` style line, for clients that show it
  Attributes attrs;
};

struct StatvfsInfo {
  std::uint64_t block_size, fragment_size, blocks, blocks_free, blocks_available, files, files_free,
      files_available, fsid, flags, max_name_length;
};

std::vector<std::uint8_t> encode_version(const std::vector<std::pair<std::string, std::string>>& extensions);
std::vector<std::uint8_t> encode_status(std::uint32_t id, Status status, std::string_view message);
std::vector<std::uint8_t> encode_handle(std::uint32_t id, std::string_view handle);
// The DATA header for `length` bytes; the payload follows it on the wire without being copied here.
std::vector<std::uint8_t> encode_data_header(std::uint32_t id, std::uint32_t length);
inline constexpr std::size_t kDataHeaderSize = 13;  // length, type, id, data length
std::vector<std::uint8_t> encode_name(std::uint32_t id, const std::vector<NameEntry>& entries);
std::vector<std::uint8_t> encode_attrs(std::uint32_t id, const Attributes& attrs);
std::vector<std::uint8_t> encode_limits_reply(std::uint32_t id, std::uint64_t max_packet,
                                              std::uint64_t max_read, std::uint64_t max_write,
                                              std::uint64_t max_open_handles);
std::vector<std::uint8_t> encode_statvfs_reply(std::uint32_t id, const StatvfsInfo& info);

// The request id of a packet (for OP_UNSUPPORTED / BAD_MESSAGE replies), when it has one.
std::optional<std::uint32_t> request_id(Bytes packet);

}  // namespace intake::server::sftp
