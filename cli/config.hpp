#pragma once
// The settings file (TOML). Every setting is documented in deploy/intake.example.toml.
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::cli {

struct Config {
  std::string listen = "0.0.0.0:2222";  // IPv4 address and port the SSH server listens on
  std::string public_host;              // host name customers connect to; empty: this machine's name
  std::optional<unsigned> public_port;  // port customers connect to; empty: the listen port
};

// Parses TOML text. Unknown settings are errors (a typo must not be silently ignored).
// `source` names the file in messages.
tl::expected<Config, std::string> parse_config(std::string_view toml_text, std::string_view source);

// The port part of "address:port", if it is one.
std::optional<unsigned> port_of(std::string_view listen);

}  // namespace intake::cli
