#pragma once
// IPv4 networks in CIDR notation, for tenant allow-lists. Pure. IPv6 is refused by design: Intake
// serves IPv4 only.
#include <cstdint>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::base {

struct Ipv4Network {
  std::uint32_t address = 0;  // host order, already masked
  unsigned prefix = 32;

  std::string to_string() const;  // "192.0.2.0/24"
  bool contains(std::uint32_t host_order_address) const;
  bool operator==(const Ipv4Network&) const = default;
};

// Accepts "a.b.c.d/n" and a bare "a.b.c.d" (= /32). Host bits must be zero ("10.0.0.1/8" is refused,
// since it is usually a typo for /32 or 10.0.0.0/8). The error says what is wrong.
tl::expected<Ipv4Network, std::string> parse_ipv4_network(std::string_view text);
tl::expected<std::uint32_t, std::string> parse_ipv4_address(std::string_view text);
std::string ipv4_to_string(std::uint32_t host_order_address);  // "a.b.c.d"

}  // namespace intake::base
