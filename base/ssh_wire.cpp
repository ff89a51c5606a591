#include "base/ssh_wire.hpp"

namespace intake::base {

bool WireReader::take(std::size_t count) {
  if (!ok_ || count > rest_.size()) {
    ok_ = false;
    last_ = {};
    return false;
  }
  last_ = rest_.first(count);
  rest_ = rest_.subspan(count);
  return true;
}

std::uint8_t WireReader::u8() { return take(1) ? last_[0] : 0; }

std::uint32_t WireReader::u32() { return take(4) ? load_u32(last_) : 0; }

std::uint64_t WireReader::u64() {
  const std::uint64_t high = u32();
  return (high << 32) | u32();
}

std::span<const std::uint8_t> WireReader::bytes() {
  const auto length = u32();
  return take(length) ? last_ : std::span<const std::uint8_t>{};
}

std::string_view WireReader::text() {
  const auto value = bytes();
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

std::optional<std::uint32_t> WireReader::read_u32() {
  const auto value = u32();
  return ok_ ? std::optional(value) : std::nullopt;
}

std::optional<std::span<const std::uint8_t>> WireReader::read_string() {
  const auto value = bytes();
  return ok_ ? std::optional(value) : std::nullopt;
}

std::optional<std::string_view> WireReader::read_text() {
  const auto value = text();
  return ok_ ? std::optional(value) : std::nullopt;
}

}  // namespace intake::base
