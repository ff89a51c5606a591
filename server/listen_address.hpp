#pragma once
// The IPv4 address the server listens on. Intake never listens on IPv6: an IPv6 address, or a
// host name that resolves only to IPv6, is refused with a message that says so.
#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::server {

struct ListenAddress {
  std::string host;        // as given
  std::uint32_t ipv4 = 0;  // host order, resolved
  std::uint16_t port = 0;
  std::string to_string() const;  // "a.b.c.d:port"
};

// "ADDRESS:PORT" or "HOSTNAME:PORT"; resolves host names to their IPv4 address.
tl::expected<ListenAddress, std::string> resolve_listen_address(std::string_view text);

}  // namespace intake::server
