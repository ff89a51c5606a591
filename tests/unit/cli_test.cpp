#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "cli/config.hpp"
#include "cli/onboarding.hpp"
#include "ingest/profile.hpp"
#include "keys/public_key.hpp"
#include "test_support.hpp"

using namespace intake::cli;

TEST_CASE("config: defaults, every setting, and clear errors") {
  const auto empty = parse_config("", "intake.toml");
  REQUIRE(empty);
  CHECK(empty->server.listen == "0.0.0.0:2222");
  CHECK(!empty->public_port);

  const auto full = parse_config(
      "listen = \"127.0.0.1:2022\"\npublic_host = \"sftp.example.com\"\npublic_port = 22\n", "intake.toml");
  REQUIRE(full);
  CHECK(full->server.listen == "127.0.0.1:2022");
  CHECK(full->public_host == "sftp.example.com");
  CHECK(full->public_port == 22u);

  CHECK(parse_config("lissen = \"x\"", "f.toml").error().find("unknown setting 'lissen'") !=
        std::string::npos);
  CHECK(parse_config("public_port = 70000", "f.toml").error().find("from 1 to 65535") != std::string::npos);
  CHECK(!parse_config("public_port = \"22\"", "f.toml"));  // a string is not a port number
  CHECK(parse_config("listen = \"0.0.0.0\"", "f.toml").error().find("no valid port") != std::string::npos);
  CHECK(parse_config("listen = ", "f.toml").error().find("f.toml:1") == 0);
  CHECK(parse_config("channel_window = \"16M\"", "f.toml")->server.channel_window == 16u << 20);
  CHECK(parse_config("channel_window = \"1K\"", "f.toml").error().find("between 262144 and") !=
        std::string::npos);
}

TEST_CASE("port_of") {
  CHECK(port_of("0.0.0.0:2222") == 2222u);
  CHECK(!port_of("0.0.0.0"));
  CHECK(!port_of("0.0.0.0:0"));
  CHECK(!port_of("0.0.0.0:65536"));
}

TEST_CASE("the onboarding pack holds what the customer needs") {
  intake::store::Tenant tenant;
  tenant.name = "acme-corp";
  tenant.org_id = "0123456789abcdef0123456789abcdef";
  tenant.profile = "livesafe";
  tenant.report_emails = {"it@acme.example"};
  auto host_key = intake::keys::parse_public_key(intake::test::read_fixture("keys/ed25519.pub"));
  REQUIRE(host_key);
  const std::vector<intake::keys::HostKey> host_keys{{"/x/ssh_host_ed25519_key", *host_key, false}};
  const auto pack = onboarding_pack(
      {tenant, 1, host_keys, "sftp.example.com", 2222, intake::ingest::find_builtin_profile("livesafe")});
  CHECK(pack["file_names"] == nlohmann::json::array({"livesafe_snapshot.csv"}));
  CHECK(pack["sftp_command"] == "sftp -P 2222 -i ~/.ssh/id_ed25519 acme-corp@sftp.example.com");
  CHECK(pack["sample_csv"][1].get<std::string>().starts_with("0123456789abcdef0123456789abcdef,jjones,"));
  CHECK(pack["host_keys"][0]["known_hosts"].get<std::string>().starts_with(
      "[sftp.example.com]:2222 ssh-ed25519 "));

  const auto text = render_onboarding_pack(pack);
  for (const char* needle : {"acme-corp", "0123456789abcdef0123456789abcdef", "port 2222", "IPv4 only",
                             "SHA256:", "~/upload", "livesafe_snapshot.csv", "organizationid,username",
                             "sftp -P 2222", "it@acme.example", "any IPv4 address"}) {
    CAPTURE(needle);
    CHECK(text.find(needle) != std::string::npos);
  }
  CHECK(text.find("No key is registered yet") == std::string::npos);

  tenant.file_names = {"custom.csv"};
  const auto custom =
      onboarding_pack({tenant, 0, host_keys, "h", 22, intake::ingest::find_builtin_profile("livesafe")});
  CHECK(custom["file_names"] == nlohmann::json::array({"custom.csv"}));
  CHECK(custom["sftp_command"] == "sftp -i ~/.ssh/id_ed25519 acme-corp@h");
  CHECK(render_onboarding_pack(custom).find("No key is registered yet") != std::string::npos);
}

TEST_CASE("deploy/intake.example.toml documents every setting with its default") {
  std::ifstream in(std::string(INTAKE_FIXTURES_DIR) + "/../../deploy/intake.example.toml");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const auto example = parse_config(text.str(), "intake.example.toml");
  REQUIRE_MESSAGE(example, (example ? "" : example.error()));
  const Config defaults;
  const auto& server = example->server;
  CHECK(server.listen == defaults.server.listen);
  CHECK(server.max_connections == defaults.server.max_connections);
  CHECK(server.max_connections_per_ip == defaults.server.max_connections_per_ip);
  CHECK(server.login_grace == defaults.server.login_grace);
  CHECK(server.max_auth_tries == defaults.server.max_auth_tries);
  CHECK(server.idle_timeout == defaults.server.idle_timeout);
  CHECK(server.shutdown_grace == defaults.server.shutdown_grace);
  CHECK(server.channel_window == defaults.server.channel_window);
  CHECK(server.sftp.upload_quota_bytes == defaults.server.sftp.upload_quota_bytes);
  CHECK(server.sftp.upload_quota_files == defaults.server.sftp.upload_quota_files);
  CHECK(server.sftp.temp_ttl == defaults.server.sftp.temp_ttl);
  CHECK(server.sftp.disk_reserve_inodes == defaults.server.sftp.disk_reserve_inodes);
  CHECK(server.bans.max_failures == defaults.server.bans.max_failures);
  CHECK(server.bans.window == defaults.server.bans.window);
  CHECK(server.bans.ban_time == defaults.server.bans.ban_time);
  CHECK(server.bans.max_ban_time == defaults.server.bans.max_ban_time);
  CHECK(server.algorithms.kex == defaults.server.algorithms.kex);
  CHECK(server.algorithms.ciphers == defaults.server.algorithms.ciphers);
  CHECK(server.algorithms.macs == defaults.server.algorithms.macs);
  CHECK(server.log_format == defaults.server.log_format);
  CHECK(example->delivery.workers == defaults.delivery.workers);
  CHECK(example->ingest.retry_backoff == defaults.ingest.retry_backoff);
  CHECK(example->delivery.backoff == defaults.delivery.backoff);
  CHECK(example->delivery.mail_retry_window == defaults.delivery.mail_retry_window);
  CHECK(example->delivery.smtp_require_tls == defaults.delivery.smtp_require_tls);
  CHECK(example->delivery.smtp_timeout == defaults.delivery.smtp_timeout);
  CHECK(example->delivery.hook_retry_window == defaults.delivery.hook_retry_window);
  CHECK(example->delivery.daily_digest_hour == defaults.delivery.daily_digest_hour);
  CHECK(example->delivery.webhook_timeout == defaults.delivery.webhook_timeout);
  CHECK(example->delivery.command_hook_timeout == defaults.delivery.command_hook_timeout);
  CHECK(server.log_level == defaults.server.log_level);
  CHECK(server.sftp.durable_close == defaults.server.sftp.durable_close);
  CHECK(server.sftp.ghost_ttl == defaults.server.sftp.ghost_ttl);
  CHECK(server.sftp.partial_ttl == defaults.server.sftp.partial_ttl);
  CHECK(server.sftp.max_file_size == defaults.server.sftp.max_file_size);
  CHECK(server.sftp.disk_reserve == defaults.server.sftp.disk_reserve);
  CHECK(server.sftp.temp_name_patterns == defaults.server.sftp.temp_name_patterns);
  CHECK(server.sftp.max_open_handles == defaults.server.sftp.max_open_handles);
  CHECK(example->ingest.workers == defaults.ingest.workers);
  CHECK(example->ingest.max_invalid_rows_percent == defaults.ingest.max_invalid_rows_percent);
  CHECK(example->ingest.max_removal_percent == defaults.ingest.max_removal_percent);
  CHECK(example->ingest.archive_days == defaults.ingest.archive_days);
  CHECK(example->ingest.backlog_wait == defaults.ingest.backlog_wait);
  // Every key the parser knows appears in the example (commented out or set).
  for (const char* key : {"listen",
                          "max_connections",
                          "max_connections_per_ip",
                          "public_host",
                          "public_port",
                          "login_grace",
                          "max_auth_tries",
                          "idle_timeout",
                          "shutdown_grace",
                          "channel_window",
                          "temp_ttl",
                          "disk_reserve_inodes",
                          "upload_quota_bytes",
                          "upload_quota_files",
                          "ban_max_failures",
                          "ban_window",
                          "ban_time",
                          "ban_max_time",
                          "ban_safelist",
                          "kex_algorithms",
                          "ciphers",
                          "macs",
                          "allow_ssh_rsa_sha1",
                          "compression",
                          "log_format",
                          "log_level",
                          "ingest_backlog_wait"}) {
    CAPTURE(key);
    CHECK(text.str().find(std::string(key) + " =") != std::string::npos);
  }
}
