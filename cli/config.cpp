#include "cli/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <functional>
#include <limits>
#include <map>

#include "base/host_port.hpp"
#include "base/text.hpp"

namespace intake::cli {

std::optional<unsigned> port_of(std::string_view listen) {
  const auto parts = base::split_host_port(listen);
  if (!parts) return std::nullopt;
  return parts->port;
}

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || value < 0) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  const std::map<std::string_view, long long> kUnits{{"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}};
  const auto found = kUnits.find(unit);
  if (found == kUnits.end() || value > 10LL * 365 * 86400 / found->second) return std::nullopt;
  return std::chrono::seconds(value * found->second);
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end == text.data()) return std::nullopt;
  std::string unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  for (const auto suffix : {std::string_view("iB"), std::string_view("B")}) {
    if (unit.size() > suffix.size() && unit.ends_with(suffix)) {
      unit.resize(unit.size() - suffix.size());
      break;
    }
  }
  if (unit == "B") unit.clear();
  const std::map<std::string, unsigned> kShift{{"", 0},   {"K", 10}, {"k", 10},
                                               {"M", 20}, {"G", 30}, {"T", 40}};
  const auto found = kShift.find(unit);
  if (found == kShift.end() || value > (std::uint64_t{1} << (62 - found->second))) return std::nullopt;
  return value << found->second;
}

namespace {

using Setter = std::function<std::optional<std::string>(const toml::node&)>;  // error text on failure

Setter text_setting(std::string& target,
                    std::function<std::optional<std::string>(const std::string&)> check = {}) {
  return [&target, check](const toml::node& node) -> std::optional<std::string> {
    const auto value = node.value<std::string>();
    if (!value) return "must be a string";
    if (check) {
      if (auto problem = check(*value)) return problem;
    }
    target = *value;
    return std::nullopt;
  };
}

template <typename Count>
Setter count_setting(Count& target, std::int64_t low, std::int64_t high) {
  return [&target, low, high](const toml::node& node) -> std::optional<std::string> {
    const auto value = node.value<std::int64_t>();
    if (!value || *value < low || *value > high) {
      return "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high);
    }
    target = static_cast<Count>(*value);
    return std::nullopt;
  };
}

Setter duration_setting(server::Seconds& target) {
  return [&target](const toml::node& node) -> std::optional<std::string> {
    std::optional<std::chrono::seconds> value;
    if (const auto number = node.value<std::int64_t>(); number && node.is_integer()) {
      value = parse_duration(std::to_string(*number));
    } else if (const auto text = node.value<std::string>()) {
      value = parse_duration(*text);
    }
    if (!value) return "must be a duration: seconds, or a string such as \"30s\", \"15m\", \"24h\", \"7d\"";
    target = *value;
    return std::nullopt;
  };
}

// "10s, 30s, 2m, 10m": waits, in order.
Setter durations_setting(std::vector<std::chrono::seconds>& target) {
  return [&target](const toml::node& node) -> std::optional<std::string> {
    const auto text = node.value<std::string>();
    std::vector<std::chrono::seconds> values;
    if (text) {
      for (auto piece : base::split(*text, ',')) {
        while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
        while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
        const auto value = parse_duration(piece);
        if (!value)
          return "has '" + std::string(piece) + "', which is not a duration such as \"30s\" or \"2h\"";
        values.push_back(*value);
      }
    }
    if (values.empty()) return "must be a list of waits such as \"10s, 30s, 2m, 10m, 1h\"";
    target = std::move(values);
    return std::nullopt;
  };
}

Setter size_setting(std::uint64_t& target, std::uint64_t least = 0,
                    std::uint64_t most = std::numeric_limits<std::uint64_t>::max()) {
  return [&target, least, most](const toml::node& node) -> std::optional<std::string> {
    std::optional<std::uint64_t> value;
    if (const auto number = node.value<std::int64_t>(); number && node.is_integer() && *number >= 0) {
      value = static_cast<std::uint64_t>(*number);
    } else if (const auto text = node.value<std::string>()) {
      value = parse_size(*text);
    }
    if (!value) return "must be a size: bytes, or a string such as \"512M\", \"2G\"";
    if (*value < least || *value > most) {
      return "must be between " + std::to_string(least) + " and " + std::to_string(most) + " bytes";
    }
    target = *value;
    return std::nullopt;
  };
}

Setter patterns_setting(std::vector<std::string>& target) {
  return [&target](const toml::node& node) -> std::optional<std::string> {
    const auto* array = node.as_array();
    if (!array) return "must be a list of file-name patterns, e.g. [\"*.filepart\"]";
    std::vector<std::string> patterns;
    for (const auto& item : *array) {
      const auto text = item.value<std::string>();
      if (!text || text->empty() || text->find('/') != std::string::npos) {
        return "must be a list of non-empty file-name patterns without '/'";
      }
      patterns.push_back(*text);
    }
    target = std::move(patterns);
    return std::nullopt;
  };
}

Setter flag_setting(bool& target) {
  return [&target](const toml::node& node) -> std::optional<std::string> {
    const auto value = node.value<bool>();
    if (!value || !node.is_boolean()) return "must be true or false";
    target = *value;
    return std::nullopt;
  };
}

Setter networks_setting(std::vector<base::Ipv4Network>& target) {
  return [&target](const toml::node& node) -> std::optional<std::string> {
    const auto* array = node.as_array();
    if (!array) return "must be a list of IPv4 CIDRs, e.g. [\"10.0.0.0/8\"]";
    std::vector<base::Ipv4Network> networks;
    for (const auto& item : *array) {
      const auto text = item.value<std::string>();
      if (!text) return "must be a list of strings";
      auto network = base::parse_ipv4_network(*text);
      if (!network) return network.error();
      networks.push_back(*network);
    }
    target = std::move(networks);
    return std::nullopt;
  };
}

std::optional<std::string> one_of(const std::string& value, std::initializer_list<std::string_view> allowed) {
  std::string list;
  for (const auto option : allowed) {
    if (value == option) return std::nullopt;
    list += (list.empty() ? "" : ", ") + std::string(option);
  }
  return "must be one of " + list;
}

}  // namespace

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
  auto& server = config.server;
  unsigned public_port = 0;
  const std::map<std::string_view, Setter> settings{
      {"listen",
       text_setting(server.listen,
                    [](const std::string& value) -> std::optional<std::string> {
                      if (port_of(value)) return std::nullopt;
                      return "has no valid port; write it as \"ADDRESS:PORT\", e.g. \"0.0.0.0:2222\"";
                    })},
      {"public_host", text_setting(config.public_host)},
      {"public_port", count_setting(public_port, 1, 65535)},
      {"max_connections", count_setting(server.max_connections, 1, 100000)},
      {"max_connections_per_ip", count_setting(server.max_connections_per_ip, 1, 100000)},
      {"max_unauthenticated", count_setting(server.max_unauthenticated, 1, 100000)},
      {"max_unauthenticated_per_ip", count_setting(server.max_unauthenticated_per_ip, 1, 100000)},
      {"max_auth_tries", count_setting(server.max_auth_tries, 1, 100)},
      {"login_grace", duration_setting(server.login_grace)},
      {"idle_timeout", duration_setting(server.idle_timeout)},
      {"shutdown_grace", duration_setting(server.shutdown_grace)},
      {"channel_window", size_setting(server.channel_window, 256 * 1024, 64ULL << 20)},
      {"log_format", text_setting(server.log_format,
                                  [](const std::string& v) {
                                    return one_of(v, {"text", "json"});
                                  })},
      {"log_level", text_setting(server.log_level,
                                 [](const std::string& v) {
                                   return one_of(v, {"trace", "debug", "info", "warn", "error"});
                                 })},
      {"ban_max_failures", count_setting(server.bans.max_failures, 0, 100000)},
      {"ban_window", duration_setting(server.bans.window)},
      {"ban_time", duration_setting(server.bans.ban_time)},
      {"ban_max_time", duration_setting(server.bans.max_ban_time)},
      {"ban_safelist", networks_setting(server.bans.safelist)},
      {"kex_algorithms", text_setting(server.algorithms.kex)},
      {"ciphers", text_setting(server.algorithms.ciphers)},
      {"macs", text_setting(server.algorithms.macs)},
      {"allow_ssh_rsa_sha1", flag_setting(server.algorithms.allow_ssh_rsa_sha1)},
      {"compression", flag_setting(server.algorithms.compression)},
      {"durable_close", flag_setting(server.sftp.durable_close)},
      {"ghost_ttl", duration_setting(server.sftp.ghost_ttl)},
      {"partial_ttl", duration_setting(server.sftp.partial_ttl)},
      {"max_file_size", size_setting(server.sftp.max_file_size)},
      {"disk_reserve", size_setting(server.sftp.disk_reserve)},
      {"disk_reserve_inodes", count_setting(server.sftp.disk_reserve_inodes, 0, UINT32_MAX)},
      {"upload_quota_bytes", size_setting(server.sftp.upload_quota_bytes, 1)},
      {"upload_quota_files", count_setting(server.sftp.upload_quota_files, 1, 10000000)},
      {"temp_ttl", duration_setting(server.sftp.temp_ttl)},
      {"allow_read_uploads", flag_setting(server.sftp.allow_read_uploads)},
      {"temp_name_patterns", patterns_setting(server.sftp.temp_name_patterns)},
      {"max_open_handles", count_setting(server.sftp.max_open_handles, 1, 10000)},
      {"ingest_workers", count_setting(config.ingest.workers, 0, 256)},
      {"max_invalid_rows_percent", count_setting(config.ingest.max_invalid_rows_percent, 0, 100)},
      {"max_removal_percent", count_setting(config.ingest.max_removal_percent, 0, 100)},
      {"archive_days", count_setting(config.ingest.archive_days, 1, 36500)},
      {"ingest_backlog_wait", duration_setting(config.ingest.backlog_wait)},
      {"ingest_retry_backoff", durations_setting(config.ingest.retry_backoff)},
      // OWASP's minimum for Argon2id is 19 MiB and 2 passes: nothing weaker is accepted.
      {"password_hash_memory_mib", count_setting(config.ingest.password_hash_memory_mib, 19, 4096)},
      {"password_hash_passes", count_setting(config.ingest.password_hash_passes, 2, 100)},
      {"password_hash_threads", count_setting(config.ingest.password_hash_threads, 0, 256)},
      {"delivery_workers", count_setting(config.delivery.workers, 1, 64)},
      {"delivery_backoff", durations_setting(config.delivery.backoff)},
      {"mail_retry_window", duration_setting(config.delivery.mail_retry_window)},
      {"smtp_url", text_setting(config.delivery.smtp_url,
                                [](const std::string& v) -> std::optional<std::string> {
                                  if (v.rfind("smtp://", 0) == 0 || v.rfind("smtps://", 0) == 0)
                                    return std::nullopt;
                                  return "must start with smtp:// (STARTTLS) or smtps:// (TLS), e.g. "
                                         "\"smtp://mail.example.com:587\"";
                                })},
      {"smtp_require_tls", flag_setting(config.delivery.smtp_require_tls)},
      {"smtp_user", text_setting(config.delivery.smtp_user)},
      {"smtp_password_file", text_setting(config.delivery.smtp_password_file)},
      {"smtp_ca_file", text_setting(config.delivery.smtp_ca_file)},
      {"smtp_timeout", duration_setting(config.delivery.smtp_timeout)},
      {"mail_from", text_setting(config.delivery.mail_from)},
      {"daily_digest_hour", count_setting(config.delivery.daily_digest_hour, 0, 23)},
      {"hook_retry_window", duration_setting(config.delivery.hook_retry_window)},
      {"webhook_timeout", duration_setting(config.delivery.webhook_timeout)},
      {"webhook_ca_file", text_setting(config.delivery.webhook_ca_file)},
      {"command_hook_timeout", duration_setting(config.delivery.command_hook_timeout)},
      {"mail_envelope_from", text_setting(config.delivery.mail_envelope_from)},
  };
  for (const auto& [key, value] : table) {
    const auto setting = settings.find(key.str());
    if (setting == settings.end()) {
      return tl::unexpected(std::string(source) + ": unknown setting '" + std::string(key.str()) +
                            "'; deploy/intake.example.toml lists every setting");
    }
    if (auto problem = setting->second(value)) {
      return tl::unexpected(std::string(source) + ": setting '" + std::string(key.str()) + "' " + *problem);
    }
  }
  if (public_port != 0) config.public_port = public_port;
  if (!config.delivery.smtp_user.empty() && config.delivery.smtp_password_file.empty())
    return tl::unexpected(std::string(source) +
                          ": smtp_user is set but smtp_password_file is not; put the password in a file only "
                          "the server's account can read and name it there");
  return config;
}

}  // namespace intake::cli
