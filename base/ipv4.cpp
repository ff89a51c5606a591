#include "base/ipv4.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace intake::base {
namespace {

std::uint32_t mask_of(unsigned prefix) { return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix); }

}  // namespace

tl::expected<std::uint32_t, std::string> parse_ipv4_address(std::string_view text) {
  const std::string copy(text);
  in_addr parsed{};
  // inet_pton accepts only dotted-quad decimal: no octal, hex or shortened forms.
  if (copy.find(':') != std::string::npos) {
    return tl::unexpected("'" + copy +
                          "' is an IPv6 address; Intake serves IPv4 only — give an IPv4 address");
  }
  if (inet_pton(AF_INET, copy.c_str(), &parsed) != 1) {
    return tl::unexpected("'" + copy +
                          "' is not an IPv4 address (expected four numbers 0-255, like 192.0.2.10)");
  }
  return ntohl(parsed.s_addr);
}

tl::expected<Ipv4Network, std::string> parse_ipv4_network(std::string_view text) {
  const std::string original(text);
  if (original.find(':') != std::string::npos) {
    return tl::unexpected(
        "'" + original +
        "' is an IPv6 network; Intake serves IPv4 only — give an IPv4 CIDR such as 192.0.2.0/24");
  }
  const auto slash = text.find('/');
  unsigned prefix = 32;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix > 32) {
      return tl::unexpected("'" + original + "' has an invalid prefix length (expected /0 to /32)");
    }
    text = text.substr(0, slash);
  }
  auto address = parse_ipv4_address(text);
  if (!address) return tl::unexpected(address.error());
  if ((*address & ~mask_of(prefix)) != 0) {
    const Ipv4Network suggestion{*address & mask_of(prefix), prefix};
    return tl::unexpected("'" + original + "' has host bits set; did you mean " + suggestion.to_string() +
                          " (the network) or " + std::string(text) + "/32 (one address)?");
  }
  return Ipv4Network{*address, prefix};
}

std::string ipv4_to_string(std::uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xff) + "." +
         std::to_string((address >> 8) & 0xff) + "." + std::to_string(address & 0xff);
}

std::string Ipv4Network::to_string() const { return ipv4_to_string(address) + "/" + std::to_string(prefix); }

bool Ipv4Network::contains(std::uint32_t host_order_address) const {
  return (host_order_address & mask_of(prefix)) == address;
}

}  // namespace intake::base
