#include <doctest/doctest.h>

#include <cstring>
#include <string>

#include "base/utc_time.hpp"
#include "cli/config.hpp"
#include "server/ban_policy.hpp"
#include "server/input_buffer.hpp"
#include "server/input_pacing.hpp"
#include "server/listen_address.hpp"
#include "server/login_policy.hpp"
#include "store/bans.hpp"
#include "store/sqlite.hpp"

using namespace intake;
using namespace std::chrono_literals;

namespace {

server::BanSettings ban_settings() {
  server::BanSettings settings;
  settings.max_failures = 3;
  settings.window = 60s;
  settings.ban_time = 100s;
  settings.max_ban_time = 350s;
  settings.safelist = {*base::parse_ipv4_network("10.0.0.0/8")};
  return settings;
}

const std::uint32_t kAttacker = *base::parse_ipv4_address("192.0.2.7");

}  // namespace

TEST_CASE("ban policy: failures within the window ban, repeats double up to the maximum") {
  server::BanPolicy policy(ban_settings());
  const auto t0 = server::WallTime{} + 1000000s;
  CHECK(!policy.record_failure(kAttacker, t0));
  CHECK(!policy.record_failure(kAttacker, t0 + 1s));
  const auto first = policy.record_failure(kAttacker, t0 + 2s);
  REQUIRE(first);
  CHECK(first->strikes == 1);
  CHECK(first->until == t0 + 2s + 100s);
  CHECK(policy.active_ban(kAttacker, t0 + 50s));
  CHECK(!policy.active_ban(kAttacker, t0 + 103s));

  // Again after the ban: 200 s, then 350 s (capped), never more.
  auto t = t0 + 200s;
  for (int i = 0; i < 2; ++i) CHECK(!policy.record_failure(kAttacker, t + std::chrono::seconds(i)));
  const auto second = policy.record_failure(kAttacker, t + 2s);
  REQUIRE(second);
  CHECK(second->strikes == 2);
  CHECK(second->until - (t + 2s) == 200s);
  t = second->until + 1s;
  for (int i = 0; i < 2; ++i) policy.record_failure(kAttacker, t + std::chrono::seconds(i));
  const auto third = policy.record_failure(kAttacker, t + 2s);
  REQUIRE(third);
  CHECK(third->until - (t + 2s) == 350s);

  // A clean spell longer than the longest ban forgets the history.
  t = third->until + 400s;
  for (int i = 0; i < 2; ++i) policy.record_failure(kAttacker, t + std::chrono::seconds(i));
  CHECK(policy.record_failure(kAttacker, t + 2s)->strikes == 1);
}

TEST_CASE("ban policy: a key login forgets the address's strikes; lifting a ban forgets its history") {
  server::BanPolicy policy(ban_settings());
  const auto t0 = server::WallTime{} + 1000000s;
  policy.record_failure(kAttacker, t0);
  policy.record_failure(kAttacker, t0 + 1s);
  policy.record_success(kAttacker, t0 + 2s);  // a customer behind the same NAT logged in
  CHECK(!policy.record_failure(kAttacker, t0 + 3s));
  CHECK(!policy.record_failure(kAttacker, t0 + 4s));
  const auto ban = policy.record_failure(kAttacker, t0 + 5s);
  REQUIRE(ban);
  policy.record_success(kAttacker, t0 + 6s);  // a session accepted before the ban: the ban stands
  CHECK(policy.active_ban(kAttacker, t0 + 7s));
  policy.lift(kAttacker);
  for (int i = 0; i < 2; ++i) policy.record_failure(kAttacker, t0 + 10s + std::chrono::seconds(i));
  CHECK(policy.record_failure(kAttacker, t0 + 12s)->strikes == 1);  // not 2: the history went with it
}

TEST_CASE("ban policy: the window slides, the safelist is never banned, lift and restore") {
  server::BanPolicy policy(ban_settings());
  const auto t0 = server::WallTime{} + 1000000s;
  policy.record_failure(kAttacker, t0);
  policy.record_failure(kAttacker, t0 + 30s);
  CHECK(!policy.record_failure(kAttacker, t0 + 61s));  // the first one has left the window
  CHECK(policy.record_failure(kAttacker, t0 + 62s));
  policy.lift(kAttacker);
  CHECK(!policy.active_ban(kAttacker, t0 + 63s));

  const auto inside = *base::parse_ipv4_address("10.1.2.3");
  for (int i = 0; i < 10; ++i) CHECK(!policy.record_failure(inside, t0 + std::chrono::seconds(i)));

  server::BanPolicy restarted(ban_settings());
  restarted.restore({kAttacker, t0 + 500s, 2});
  CHECK(restarted.active_ban(kAttacker, t0 + 10s)->strikes == 2);

  auto disabled = ban_settings();
  disabled.max_failures = 0;
  server::BanPolicy off(disabled);
  for (int i = 0; i < 10; ++i) CHECK(!off.record_failure(kAttacker, t0 + std::chrono::seconds(i)));
}

TEST_CASE("login policy: every reason to refuse, and the one way in") {
  store::Tenant tenant;
  tenant.id = 1;
  tenant.name = "acme-corp";
  store::SshKeyRecord key;
  key.tenant_id = 1;
  key.tenant_name = "acme-corp";
  key.fingerprint = "SHA256:k";
  server::LoginFacts facts{
      tenant, {key}, *base::parse_ipv4_address("203.0.113.5"), "2026-11-21T00:00:00.000Z"};

  CHECK(server::decide_login("acme-corp", "SHA256:k", facts).allowed);

  auto no_tenant = facts;
  no_tenant.tenant.reset();
  CHECK(server::decide_login("ghost", "SHA256:k", no_tenant).reason == "no tenant named 'ghost'");

  auto disabled = facts;
  disabled.tenant->enabled = false;
  CHECK(server::decide_login("acme-corp", "SHA256:k", disabled).reason.find("disabled") != std::string::npos);

  auto fenced = facts;
  fenced.tenant->allowed_networks = {"198.51.100.0/24"};
  CHECK(server::decide_login("acme-corp", "SHA256:k", fenced)
            .reason.find("203.0.113.5 is not in the allow-list") != std::string::npos);
  fenced.tenant->allowed_networks.push_back("203.0.113.0/24");
  CHECK(server::decide_login("acme-corp", "SHA256:k", fenced).allowed);

  auto revoked = facts;
  revoked.key_records[0].revoked_at = "2026-11-20T00:00:00.000Z";
  revoked.key_records[0].revoked_by = "alice";
  CHECK(server::decide_login("acme-corp", "SHA256:k", revoked).reason.find("revoked at 2026-11-20") !=
        std::string::npos);

  auto expired = facts;
  expired.key_records[0].expires_at = "2026-11-20T00:00:00.000Z";
  CHECK(server::decide_login("acme-corp", "SHA256:k", expired).reason.find("expired at") !=
        std::string::npos);
  // Re-registered after it expired: the active record wins.
  auto renewed = expired;
  renewed.key_records.insert(renewed.key_records.begin(), key);
  CHECK(server::decide_login("acme-corp", "SHA256:k", renewed).allowed);

  auto unknown = facts;
  unknown.key_records.clear();
  CHECK(server::decide_login("acme-corp", "SHA256:x", unknown).reason.find("not registered") !=
        std::string::npos);

  auto other = facts;
  other.key_records[0].tenant_id = 2;
  other.key_records[0].tenant_name = "beta-inc";
  CHECK(server::decide_login("acme-corp", "SHA256:k", other).reason.find("belongs to tenant 'beta-inc'") !=
        std::string::npos);
}

TEST_CASE("input pacing: the whole window only while input is consumed and answered with little") {
  server::InputPacing pacing(4u << 20);
  CHECK(pacing.request_size() == server::InputPacing::kSmallRequest);  // nothing shown yet
  pacing.consumed(32 * 1024 + 40, 28);                                 // a WRITE and its status
  CHECK(pacing.request_size() == 4u << 20);
  pacing.consumed(0, 0);  // nothing taken: no change
  CHECK(pacing.request_size() == 4u << 20);
  pacing.consumed(33, 255 * 1024);  // a READ of 255 KiB
  CHECK(pacing.request_size() == server::InputPacing::kSmallRequest);
  pacing.consumed(1600, 100);  // requests answered with a sixteenth of their size count as an upload
  CHECK(pacing.request_size() == 4u << 20);
  pacing.consumed(1600, 101);
  CHECK(pacing.request_size() == server::InputPacing::kSmallRequest);

  CHECK(pacing.most_buffered() == 8u << 20);
  CHECK(server::InputPacing(256 * 1024).most_buffered() == 2 * 1920000);  // libssh's own refill
}

TEST_CASE("input buffer: keeps what was not consumed, in order, across reads of any size") {
  server::InputBuffer buffer;
  CHECK(buffer.empty());
  auto room = buffer.reserve_tail(8);
  REQUIRE(room.size() == 8);
  std::memcpy(room.data(), "abcdefgh", 8);
  buffer.commit(5);  // the read returned fewer bytes than asked
  CHECK(std::string(buffer.unconsumed().begin(), buffer.unconsumed().end()) == "abcde");
  buffer.consume(3);
  room = buffer.reserve_tail(4);
  std::memcpy(room.data(), "WXYZ", 4);
  buffer.commit(4);
  CHECK(std::string(buffer.unconsumed().begin(), buffer.unconsumed().end()) == "deWXYZ");
  room = buffer.reserve_tail(100);  // grows, keeping the unconsumed bytes in front
  CHECK(buffer.capacity() >= 106);
  buffer.commit(0);
  CHECK(std::string(buffer.unconsumed().begin(), buffer.unconsumed().end()) == "deWXYZ");
  buffer.consume(6);
  CHECK(buffer.empty());
  const auto capacity = buffer.capacity();
  buffer.reserve_tail(capacity);  // all consumed: the space is reused, not grown
  CHECK(buffer.capacity() == capacity);
  buffer.commit(capacity + 10);  // never past the space given
  CHECK(buffer.unconsumed().size() == capacity);
}

TEST_CASE("listen addresses: IPv4 only") {
  const auto any = server::resolve_listen_address("0.0.0.0:2222");
  REQUIRE(any);
  CHECK(any->port == 2222);
  CHECK(any->to_string() == "0.0.0.0:2222");
  const auto local = server::resolve_listen_address("localhost:22");
  REQUIRE(local);
  CHECK(local->to_string() == "127.0.0.1:22");
  CHECK(server::resolve_listen_address("[::]:2222").error().find("IPv4 only") != std::string::npos);
  CHECK(server::resolve_listen_address("::1:2222").error().find("IPv4 only") != std::string::npos);
  CHECK(server::resolve_listen_address("0.0.0.0:0").error().find("invalid port") != std::string::npos);
  CHECK(server::resolve_listen_address("0.0.0.0:x").error().find("invalid port") != std::string::npos);
  CHECK(server::resolve_listen_address("2222").error().find("ADDRESS:PORT") != std::string::npos);
  CHECK(server::resolve_listen_address("no-such-host.invalid:22").error().find("no IPv4 address") !=
        std::string::npos);
}

TEST_CASE("durations and the server settings in the config file") {
  CHECK(cli::parse_duration("90") == 90s);
  CHECK(cli::parse_duration("15m") == 900s);
  CHECK(cli::parse_duration("24h") == 86400s);
  CHECK(cli::parse_duration("7d") == 604800s);
  CHECK(!cli::parse_duration("15 m"));
  CHECK(!cli::parse_duration("-1s"));
  CHECK(!cli::parse_duration("1w"));
  CHECK(!cli::parse_duration(""));

  CHECK(cli::parse_size("1048576") == 1048576u);
  CHECK(cli::parse_size("512K") == 512u * 1024);
  CHECK(cli::parse_size("100M") == 100u << 20);
  CHECK(cli::parse_size("2G") == 2ULL << 30);
  CHECK(cli::parse_size("2GiB") == 2ULL << 30);
  CHECK(cli::parse_size("1 TB") == 1ULL << 40);
  CHECK(!cli::parse_size("2X"));
  CHECK(!cli::parse_size("G"));
  CHECK(!cli::parse_size("99999999999T"));

  const auto config = cli::parse_config(
      "max_connections = 50\nmax_connections_per_ip = 5\nlogin_grace = \"10s\"\nidle_timeout = 60\n"
      "shutdown_grace = \"1m\"\nmax_auth_tries = 3\nlog_format = \"json\"\nlog_level = \"debug\"\n"
      "ban_max_failures = 4\nban_window = \"5m\"\nban_time = \"1h\"\nban_max_time = \"1d\"\n"
      "ban_safelist = [\"10.0.0.0/8\", \"192.0.2.1\"]\nallow_ssh_rsa_sha1 = true\ncompression = true\n"
      "ciphers = \"aes256-ctr\"\nmacs = \"hmac-sha2-512\"\nkex_algorithms = \"curve25519-sha256\"\n",
      "f.toml");
  REQUIRE_MESSAGE(config, (config ? "" : config.error()));
  const auto& server = config->server;
  CHECK(server.max_connections == 50);
  CHECK(server.max_connections_per_ip == 5);
  CHECK(server.login_grace == 10s);
  CHECK(server.idle_timeout == 60s);
  CHECK(server.shutdown_grace == 60s);
  CHECK(server.max_auth_tries == 3);
  CHECK(server.log_format == "json");
  CHECK(server.bans.max_failures == 4);
  CHECK(server.bans.window == 300s);
  CHECK(server.bans.max_ban_time == 86400s);
  CHECK(server.bans.safelist.size() == 2);
  CHECK(server.algorithms.allow_ssh_rsa_sha1);
  CHECK(server.algorithms.compression);
  CHECK(server.algorithms.ciphers == "aes256-ctr");

  CHECK(cli::parse_config("log_format = \"xml\"", "f").error().find("one of text, json") !=
        std::string::npos);
  CHECK(cli::parse_config("login_grace = \"soon\"", "f").error().find("duration") != std::string::npos);
  CHECK(cli::parse_config("ban_safelist = [\"::1\"]", "f").error().find("IPv4 only") != std::string::npos);
  CHECK(cli::parse_config("compression = \"yes\"", "f").error().find("true or false") != std::string::npos);
  CHECK(cli::parse_config("max_connections = 0", "f").error().find("from 1") != std::string::npos);
}

TEST_CASE("stored times round-trip; the bans repository") {
  const auto time = base::parse_stored_time("2026-11-21T22:01:00.123Z");
  REQUIRE(time);
  CHECK(base::format_stored_time(*time) == "2026-11-21T22:01:00.123Z");
  CHECK(!base::parse_stored_time("2026-11-21 22:01:00"));
  CHECK(!base::parse_stored_time("2026-02-30T00:00:00.000Z"));

  auto db = store::Database::open_in_memory();
  store::BanRepository bans(db);
  bans.put({"192.0.2.7", "2026-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z", 1, "tests"});
  bans.put({"192.0.2.8", "2026-01-01T00:00:00.000Z", "2001-01-01T00:00:00.000Z", 1, "long over"});
  CHECK(bans.find_active("192.0.2.7"));
  CHECK(!bans.find_active("192.0.2.8"));
  CHECK(bans.list_active().size() == 1);
  bans.put({"192.0.2.7", "2026-01-02T00:00:00.000Z", "2999-01-01T00:00:00.000Z", 2, "again"});
  CHECK(bans.find_active("192.0.2.7")->strikes == 2);
  CHECK(bans.clear("192.0.2.7"));
  CHECK(!bans.clear("192.0.2.7"));
  CHECK(bans.clear_all() == 1);
}
