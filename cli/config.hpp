#pragma once
// The settings file (TOML). Every setting is documented in deploy/intake.example.toml.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "server/settings.hpp"

namespace intake::cli {

struct IngestConfig {
  unsigned workers = 0;  // 0: as many as cores
  unsigned max_invalid_rows_percent = 10;
  unsigned max_removal_percent = 25;
  unsigned archive_days = 90;
  std::chrono::seconds backlog_wait{10};  // flow control at OPEN, see JournalSink
  // The waits before an ingest that failed is tried again (a full disk, a locked database), the last
  // repeating (ingest/ingest_queue.hpp).
  std::vector<std::chrono::seconds> retry_backoff{std::chrono::seconds(1), std::chrono::seconds(5),
                                                  std::chrono::seconds(15), std::chrono::seconds(60),
                                                  std::chrono::minutes(5)};
  // Argon2id for the passwords files carry (base/password_hash.hpp): its cost, and how many threads
  // hash at once across all tenants (0: all cores but one, at least one).
  unsigned password_hash_memory_mib = 19;
  unsigned password_hash_passes = 2;
  unsigned password_hash_threads = 0;
};

// The outbox's deliveries (delivery/): how they are retried, and the SMTP server report e-mails go to.
struct DeliveryConfig {
  unsigned workers = 2;
  // The waits between attempts, the last repeating (delivery/retry_schedule.hpp varies each by ±20%).
  std::vector<std::chrono::seconds> backoff{
      std::chrono::seconds(10), std::chrono::seconds(30), std::chrono::minutes(2), std::chrono::minutes(10),
      std::chrono::minutes(30), std::chrono::hours(1),    std::chrono::hours(3)};
  std::chrono::seconds mail_retry_window{72 * 3600};  // e-mails are given up after this
  std::string smtp_url;                               // empty: messages go to DATA_DIR/outbox/ for pickup
  bool smtp_require_tls = true;
  std::string smtp_user, smtp_password_file, smtp_ca_file;
  std::string mail_from;           // empty: "Intake <intake@PUBLIC_HOST>"
  std::string mail_envelope_from;  // empty: mail_from's address
  std::chrono::seconds smtp_timeout{60};
  unsigned daily_digest_hour = 7;  // UTC: when tenants with --report-mail daily get their digest
  // Ingest hooks: retried for this long (about three days, as Standard Webhooks senders do), a
  // webhook's receiver given this long per attempt (its certificate checked against the system's CAs
  // or this file), a command hook killed after this long.
  std::chrono::seconds hook_retry_window{72 * 3600};
  std::chrono::seconds webhook_timeout{15};
  std::string webhook_ca_file;
  std::chrono::seconds command_hook_timeout{60};
};

struct Config {
  server::ServerSettings server;  // listen, limits, timeouts, bans, algorithms, logging
  IngestConfig ingest;
  DeliveryConfig delivery;
  std::string public_host;              // host name customers connect to; empty: this machine's name
  std::optional<unsigned> public_port;  // port customers connect to; empty: the listen port
};

// Parses TOML text. Unknown settings are errors (a typo must not be silently ignored).
// `source` names the file in messages.
tl::expected<Config, std::string> parse_config(std::string_view toml_text, std::string_view source);

// The port part of "address:port", if it is one.
std::optional<unsigned> port_of(std::string_view listen);

// "90" (seconds), "30s", "15m", "24h", "7d".
std::optional<std::chrono::seconds> parse_duration(std::string_view text);
// Bytes: "1048576", "512K", "100M", "2G", "1T" (powers of 1024; "KiB", "MB" and the like also read).
std::optional<std::uint64_t> parse_size(std::string_view text);

}  // namespace intake::cli
