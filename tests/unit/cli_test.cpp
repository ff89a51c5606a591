#include <doctest/doctest.h>

#include "cli/config.hpp"
#include "cli/onboarding.hpp"
#include "cli/time_text.hpp"
#include "ingest/profile_catalog.hpp"
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
}

TEST_CASE("port_of") {
  CHECK(port_of("0.0.0.0:2222") == 2222u);
  CHECK(!port_of("0.0.0.0"));
  CHECK(!port_of("0.0.0.0:0"));
  CHECK(!port_of("0.0.0.0:65536"));
}

TEST_CASE("UTC times as staff type them") {
  CHECK(parse_utc_time("2027-01-31") == "2027-01-31T00:00:00.000Z");
  CHECK(parse_utc_time("2027-01-31T13:05Z") == "2027-01-31T13:05:00.000Z");
  CHECK(parse_utc_time("2027-01-31 13:05:09") == "2027-01-31T13:05:09.000Z");
  CHECK(parse_utc_time("2028-02-29"));
  for (const char* bad : {"", "2027-1-31", "2027-02-29", "2027-13-01", "2027-01-31T25:00", "31.01.2027",
                          "2027-01-31T-1:00", "2027-01-31T13:05:09:00", "tomorrow"}) {
    CAPTURE(bad);
    CHECK(!parse_utc_time(bad));
  }
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
      {tenant, 1, host_keys, "sftp.example.com", 2222, intake::ingest::find_profile("livesafe")});
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
      onboarding_pack({tenant, 0, host_keys, "h", 22, intake::ingest::find_profile("livesafe")});
  CHECK(custom["file_names"] == nlohmann::json::array({"custom.csv"}));
  CHECK(custom["sftp_command"] == "sftp -i ~/.ssh/id_ed25519 acme-corp@h");
  CHECK(render_onboarding_pack(custom).find("No key is registered yet") != std::string::npos);
}
