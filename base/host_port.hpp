#pragma once
// "HOST:PORT" as given in settings and on the command line. Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace intake::base {

std::optional<std::uint16_t> parse_port(std::string_view digits);  // 1-65535, digits only

struct HostPort {
  std::string_view host;  // may be empty (":2222") or IPv6-looking: the caller decides
  std::uint16_t port = 0;
};
// Splits at the last ':'; nullopt when there is none or the port is not 1-65535.
std::optional<HostPort> split_host_port(std::string_view text);

}  // namespace intake::base
