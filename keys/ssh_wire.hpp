#pragma once
// Reader for the SSH wire encoding (RFC 4251 section 5): uint32 and length-prefixed strings.
// Every read is bounds-checked; a short buffer yields nullopt, never a read past the end.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace intake::keys {

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> bytes) : rest_(bytes) {}

  std::optional<std::uint32_t> read_u32();
  std::optional<std::span<const std::uint8_t>> read_string();
  std::optional<std::string_view> read_text();  // a string whose bytes are text (names)
  bool at_end() const { return rest_.empty(); }
  std::size_t remaining() const { return rest_.size(); }

 private:
  std::span<const std::uint8_t> rest_;
};

}  // namespace intake::keys
