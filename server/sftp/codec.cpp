#include "server/sftp/codec.hpp"

#include "base/ssh_wire.hpp"
#include "base/text.hpp"

namespace intake::server::sftp {
namespace {

// base::WireReader's short reads poison it, so that a decode fails as a whole (checked below).
using Reader = base::WireReader;

Attributes read_attributes(Reader& reader) {
  Attributes attrs;
  const auto flags = reader.u32();
  if (flags & attr_flags::kSize) attrs.size = reader.u64();
  if (flags & attr_flags::kUidGid) {
    attrs.uid = reader.u32();
    attrs.gid = reader.u32();
  }
  if (flags & attr_flags::kPermissions) attrs.permissions = reader.u32();
  if (flags & attr_flags::kAcModTime) {
    attrs.atime = reader.u32();
    attrs.mtime = reader.u32();
  }
  if (flags & attr_flags::kExtended) {
    // Read and ignore; the count is bounded by the packet since each pair takes at least 8 bytes.
    const auto count = reader.u32();
    for (std::uint32_t i = 0; i < count && reader.ok(); ++i) {
      reader.text();
      reader.text();
    }
  }
  return attrs;
}

class Writer {
 public:
  explicit Writer(PacketType type) {
    out_.resize(4);
    u8(static_cast<std::uint8_t>(type));
  }
  Writer& u8(std::uint8_t value) {
    out_.push_back(value);
    return *this;
  }
  Writer& u32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) out_.push_back(static_cast<std::uint8_t>(value >> shift));
    return *this;
  }
  Writer& u64(std::uint64_t value) {
    u32(static_cast<std::uint32_t>(value >> 32));
    return u32(static_cast<std::uint32_t>(value));
  }
  Writer& text(std::string_view value) {
    u32(static_cast<std::uint32_t>(value.size()));
    out_.insert(out_.end(), value.begin(), value.end());
    return *this;
  }
  Writer& attributes(const Attributes& attrs) {
    std::uint32_t flags = 0;
    if (attrs.size) flags |= attr_flags::kSize;
    if (attrs.uid && attrs.gid) flags |= attr_flags::kUidGid;
    if (attrs.permissions) flags |= attr_flags::kPermissions;
    if (attrs.atime && attrs.mtime) flags |= attr_flags::kAcModTime;
    u32(flags);
    if (attrs.size) u64(*attrs.size);
    if (attrs.uid && attrs.gid) u32(*attrs.uid).u32(*attrs.gid);
    if (attrs.permissions) u32(*attrs.permissions);
    if (attrs.atime && attrs.mtime) u32(*attrs.atime).u32(*attrs.mtime);
    return *this;
  }
  // Finishes the packet; `payload_after` counts bytes the caller sends right behind it (DATA).
  std::vector<std::uint8_t> finish(std::size_t payload_after = 0) {
    const auto length = static_cast<std::uint32_t>(out_.size() - 4 + payload_after);
    for (int i = 0; i < 4; ++i)
      out_[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(length >> (24 - 8 * i));
    return std::move(out_);
  }

 private:
  std::vector<std::uint8_t> out_;
};

template <typename T>
tl::expected<Request, std::string> checked(Reader& reader, T request, std::string_view what) {
  if (!reader.ok())
    return tl::unexpected("malformed " + std::string(what) + " packet (a field runs past its end)");
  return Request{std::move(request)};
}

tl::expected<Request, std::string> decode_extended(Reader& reader, std::uint32_t id) {
  const auto name = reader.text();
  if (!reader.ok()) return tl::unexpected(std::string("malformed EXTENDED packet"));
  if (name == "posix-rename@openssh.com") {
    Rename rename{id, reader.text(), {}, true};
    rename.to = reader.text();
    return checked(reader, rename, "posix-rename");
  }
  if (name == "fsync@openssh.com") return checked(reader, Fsync{id, reader.text()}, "fsync");
  if (name == "limits@openssh.com") return Request{Limits{id}};
  if (name == "expand-path@openssh.com") return checked(reader, ExpandPath{id, reader.text()}, "expand-path");
  if (name == "statvfs@openssh.com") return checked(reader, Statvfs{id, reader.text()}, "statvfs");
  return Request{Unsupported{id, "extension " + base::printable_excerpt(name, 64)}};
}

}  // namespace

tl::expected<std::size_t, FrameProblem> frame_length(Bytes buffer) {
  if (buffer.size() < 4) return tl::unexpected(FrameProblem::Incomplete);
  const std::uint32_t length = base::load_u32(buffer);
  if (length == 0) return tl::unexpected(FrameProblem::Empty);
  if (length > kMaxPacket) return tl::unexpected(FrameProblem::TooLarge);
  if (buffer.size() - 4 < length) return tl::unexpected(FrameProblem::Incomplete);
  return std::size_t{length} + 4;
}

std::optional<std::uint32_t> request_id(Bytes packet) {
  if (packet.size() < 5 || packet[0] == static_cast<std::uint8_t>(PacketType::Init)) return std::nullopt;
  Reader reader(packet.subspan(1));
  return reader.u32();
}

tl::expected<Request, std::string> decode_request(Bytes packet) {
  Reader reader(packet);
  const auto type = static_cast<PacketType>(reader.u8());
  if (!reader.ok()) return tl::unexpected(std::string("empty packet"));
  if (type == PacketType::Init) return checked(reader, Init{reader.u32()}, "INIT");
  const auto id = reader.u32();
  if (!reader.ok()) return tl::unexpected(std::string("packet too short for a request id"));
  switch (type) {
    case PacketType::Open: {
      Open open{id, reader.text(), 0, {}};
      open.flags = reader.u32();
      open.attrs = read_attributes(reader);
      return checked(reader, open, "OPEN");
    }
    case PacketType::Close: return checked(reader, Close{id, reader.text()}, "CLOSE");
    case PacketType::Read: {
      Read read{id, reader.text(), 0, 0};
      read.offset = reader.u64();
      read.length = reader.u32();
      return checked(reader, read, "READ");
    }
    case PacketType::Write: {
      Write write{id, reader.text(), 0, {}};
      write.offset = reader.u64();
      write.data = reader.bytes();
      return checked(reader, write, "WRITE");
    }
    case PacketType::Lstat: return checked(reader, Lstat{id, reader.text()}, "LSTAT");
    case PacketType::Stat: return checked(reader, Stat{id, reader.text()}, "STAT");
    case PacketType::Fstat: return checked(reader, Fstat{id, reader.text()}, "FSTAT");
    case PacketType::Setstat: {
      Setstat setstat{id, reader.text(), {}};
      setstat.attrs = read_attributes(reader);
      return checked(reader, setstat, "SETSTAT");
    }
    case PacketType::Fsetstat: {
      Fsetstat fsetstat{id, reader.text(), {}};
      fsetstat.attrs = read_attributes(reader);
      return checked(reader, fsetstat, "FSETSTAT");
    }
    case PacketType::Opendir: return checked(reader, Opendir{id, reader.text()}, "OPENDIR");
    case PacketType::Readdir: return checked(reader, Readdir{id, reader.text()}, "READDIR");
    case PacketType::Remove: return checked(reader, Remove{id, reader.text()}, "REMOVE");
    case PacketType::Mkdir: {
      Mkdir mkdir{id, reader.text(), {}};
      mkdir.attrs = read_attributes(reader);
      return checked(reader, mkdir, "MKDIR");
    }
    case PacketType::Rmdir: return checked(reader, Rmdir{id, reader.text()}, "RMDIR");
    case PacketType::Realpath: return checked(reader, Realpath{id, reader.text()}, "REALPATH");
    case PacketType::Rename: {
      Rename rename{id, reader.text(), {}, false};
      rename.to = reader.text();
      return checked(reader, rename, "RENAME");
    }
    case PacketType::Readlink: return checked(reader, Readlink{id, reader.text()}, "READLINK");
    case PacketType::Symlink: {
      Symlink symlink{id, reader.text(), {}};
      symlink.target = reader.text();
      return checked(reader, symlink, "SYMLINK");
    }
    case PacketType::Extended: return decode_extended(reader, id);
    default: return Request{Unsupported{id, "packet type " + std::to_string(static_cast<int>(type))}};
  }
}

std::vector<std::uint8_t> encode_version(const std::vector<std::pair<std::string, std::string>>& extensions) {
  Writer writer(PacketType::Version);
  writer.u32(kVersion);
  for (const auto& [name, data] : extensions) writer.text(name).text(data);
  return writer.finish();
}

std::vector<std::uint8_t> encode_status(std::uint32_t id, Status status, std::string_view message) {
  return Writer(PacketType::Status)
      .u32(id)
      .u32(static_cast<std::uint32_t>(status))
      .text(message)
      .text("en")
      .finish();
}

std::vector<std::uint8_t> encode_handle(std::uint32_t id, std::string_view handle) {
  return Writer(PacketType::Handle).u32(id).text(handle).finish();
}

std::vector<std::uint8_t> encode_data_header(std::uint32_t id, std::uint32_t length) {
  return Writer(PacketType::Data).u32(id).u32(length).finish(length);
}

std::vector<std::uint8_t> encode_name(std::uint32_t id, const std::vector<NameEntry>& entries) {
  Writer writer(PacketType::Name);
  writer.u32(id).u32(static_cast<std::uint32_t>(entries.size()));
  for (const auto& entry : entries) writer.text(entry.name).text(entry.long_name).attributes(entry.attrs);
  return writer.finish();
}

std::vector<std::uint8_t> encode_attrs(std::uint32_t id, const Attributes& attrs) {
  return Writer(PacketType::Attrs).u32(id).attributes(attrs).finish();
}

std::vector<std::uint8_t> encode_limits_reply(std::uint32_t id, std::uint64_t max_packet,
                                              std::uint64_t max_read, std::uint64_t max_write,
                                              std::uint64_t max_open_handles) {
  return Writer(PacketType::ExtendedReply)
      .u32(id)
      .u64(max_packet)
      .u64(max_read)
      .u64(max_write)
      .u64(max_open_handles)
      .finish();
}

std::vector<std::uint8_t> encode_statvfs_reply(std::uint32_t id, const StatvfsInfo& info) {
  Writer writer(PacketType::ExtendedReply);
  writer.u32(id);
  for (const auto value :
       {info.block_size, info.fragment_size, info.blocks, info.blocks_free, info.blocks_available, info.files,
        info.files_free, info.files_available, info.fsid, info.flags, info.max_name_length}) {
    writer.u64(value);
  }
  return writer.finish();
}

}  // namespace intake::server::sftp
