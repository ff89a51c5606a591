#include "keys/ssh_wire.hpp"

namespace intake::keys {

std::optional<std::uint32_t> WireReader::read_u32() {
  if (rest_.size() < 4) return std::nullopt;
  const std::uint32_t value = (std::uint32_t{rest_[0]} << 24) | (std::uint32_t{rest_[1]} << 16) |
                              (std::uint32_t{rest_[2]} << 8) | std::uint32_t{rest_[3]};
  rest_ = rest_.subspan(4);
  return value;
}

std::optional<std::span<const std::uint8_t>> WireReader::read_string() {
  const auto length = read_u32();
  if (!length || *length > rest_.size()) return std::nullopt;
  auto value = rest_.first(*length);
  rest_ = rest_.subspan(*length);
  return value;
}

std::optional<std::string_view> WireReader::read_text() {
  const auto bytes = read_string();
  if (!bytes) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

}  // namespace intake::keys
