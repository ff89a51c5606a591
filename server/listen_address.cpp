#include "server/listen_address.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>

#include "base/host_port.hpp"
#include "base/ipv4.hpp"

namespace intake::server {

std::string ListenAddress::to_string() const {
  return base::ipv4_to_string(ipv4) + ":" + std::to_string(port);
}

tl::expected<ListenAddress, std::string> resolve_listen_address(std::string_view text) {
  const std::string original(text);
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return tl::unexpected("listen address '" + original + "' must be ADDRESS:PORT, e.g. 0.0.0.0:2222");
  }
  std::string_view host = text.substr(0, colon);
  const auto digits = text.substr(colon + 1);
  const auto port = base::parse_port(digits);
  if (!port) {
    return tl::unexpected("listen address '" + original + "' has an invalid port (expected 1-65535)");
  }
  if (host.front() == '[' || host.find(':') != std::string_view::npos) {
    return tl::unexpected("listen address '" + original +
                          "' is IPv6; Intake listens on IPv4 only — use an IPv4 address such as 0.0.0.0:" +
                          std::string(digits));
  }
  ListenAddress address{std::string(host), 0, *port};
  if (const auto literal = base::parse_ipv4_address(host)) {
    address.ipv4 = *literal;
    return address;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;  // IPv4 only, on purpose
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(address.host.c_str(), nullptr, &hints, &found);
  if (rc != 0 || !found) {
    return tl::unexpected("listen address '" + original + "': host '" + address.host +
                          "' has no IPv4 address (" + ::gai_strerror(rc) +
                          "); Intake listens on IPv4 only — give an IPv4 address");
  }
  sockaddr_in resolved{};
  std::memcpy(&resolved, found->ai_addr, sizeof resolved);
  ::freeaddrinfo(found);
  address.ipv4 = ntohl(resolved.sin_addr.s_addr);
  return address;
}

}  // namespace intake::server
