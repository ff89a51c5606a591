#pragma once
// Reader for the SSH wire encoding (RFC 4251 section 5): bytes, uint32, uint64 and length-prefixed
// strings, as in SSH public-key blobs and SFTP packets. Every read is bounds-checked and a short read
// poisons the reader: later reads return zero or empty and ok() stays false, so a decoder may read a
// whole record and check once. The read_* forms answer nullopt instead, for code that checks each field.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace intake::base {

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> bytes) : rest_(bytes) {}

  bool ok() const { return ok_; }
  bool at_end() const { return rest_.empty(); }
  std::size_t remaining() const { return rest_.size(); }

  std::uint8_t u8();
  std::uint32_t u32();
  std::uint64_t u64();
  std::span<const std::uint8_t> bytes();  // a length-prefixed string
  std::string_view text();                // a string whose bytes are text (names, paths)

  std::optional<std::uint32_t> read_u32();
  std::optional<std::span<const std::uint8_t>> read_string();
  std::optional<std::string_view> read_text();

 private:
  bool take(std::size_t count);
  std::span<const std::uint8_t> rest_;
  std::span<const std::uint8_t> last_;
  bool ok_ = true;
};

// The big-endian uint32 at the start of `bytes` (which holds at least 4).
inline std::uint32_t load_u32(std::span<const std::uint8_t> bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) |
         std::uint32_t{bytes[3]};
}

}  // namespace intake::base
