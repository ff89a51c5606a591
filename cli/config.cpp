#include "cli/config.hpp"

#include <toml++/toml.h>

#include <charconv>

namespace intake::cli {

std::optional<unsigned> port_of(std::string_view listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const auto digits = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || port == 0 ||
      port > 65535)
    return std::nullopt;
  return port;
}

tl::expected<Config, std::string> parse_config(std::string_view toml_text, std::string_view source) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return tl::unexpected(std::string(source) + ":" + std::to_string(where.line) + ":" +
                          std::to_string(where.column) + ": " + std::string(error.description()));
  }

  Config config;
  const auto wrong_type = [&](std::string_view key, std::string_view expected) {
    return tl::unexpected(std::string(source) + ": setting '" + std::string(key) + "' must be " +
                          std::string(expected));
  };
  for (const auto& [key, value] : table) {
    const std::string_view name = key.str();
    if (name == "listen") {
      const auto text = value.value<std::string>();
      if (!text) return wrong_type(name, "a string such as \"0.0.0.0:2222\"");
      if (!port_of(*text)) {
        return tl::unexpected(std::string(source) + ": listen = \"" + *text +
                              "\" has no valid port; write it as \"ADDRESS:PORT\", e.g. \"0.0.0.0:2222\"");
      }
      config.listen = *text;
    } else if (name == "public_host") {
      const auto text = value.value<std::string>();
      if (!text) return wrong_type(name, "a string (the host name customers connect to)");
      config.public_host = *text;
    } else if (name == "public_port") {
      const auto number = value.value<std::int64_t>();
      if (!number || *number < 1 || *number > 65535) return wrong_type(name, "a port number 1-65535");
      config.public_port = static_cast<unsigned>(*number);
    } else {
      return tl::unexpected(std::string(source) + ": unknown setting '" + std::string(name) +
                            "'; deploy/intake.example.toml lists every setting");
    }
  }
  return config;
}

}  // namespace intake::cli
