#include "base/host_port.hpp"

#include <charconv>

namespace intake::base {

std::optional<std::uint16_t> parse_port(std::string_view digits) {
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 ||
      port > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(port);
}

std::optional<HostPort> split_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto port = parse_port(text.substr(colon + 1));
  if (!port) return std::nullopt;
  return HostPort{text.substr(0, colon), *port};
}

}  // namespace intake::base
