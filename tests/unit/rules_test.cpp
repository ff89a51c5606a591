#include <doctest/doctest.h>

#include "store/ipv4_network.hpp"
#include "store/tenant_rules.hpp"

using namespace intake::store;

TEST_CASE("tenant names") {
  for (const char* good : {"acme", "acme-corp", "a.b_c-d", "123", "x23456789012345678901234567890ab"}) {
    CAPTURE(good);
    CHECK(check_tenant_name(good));
  }
  for (const char* bad : {"", "ab", "Acme", "-acme", ".acme", "acme corp", "acme/x",
                          "x234567890123456789012345678901ab", "acme@corp", "ümlaut"}) {
    CAPTURE(bad);
    CHECK(!check_tenant_name(bad));
  }
  CHECK(check_tenant_name("root").error().find("system account") != std::string::npos);
  CHECK(!check_tenant_name("www-data"));
  CHECK(!check_tenant_name("nobody"));
}

TEST_CASE("organisation ids, e-mail addresses, file names") {
  CHECK(check_org_id("0123456789abcdef0123456789abcdef"));
  CHECK(check_org_id("ORG-42"));
  CHECK(!check_org_id(""));
  CHECK(!check_org_id("has space"));
  CHECK(!check_org_id("a,b"));
  CHECK(!check_org_id(std::string(65, 'a')));

  CHECK(check_email("it@acme.example"));
  CHECK(check_email("first.last+tag@sub.example.org"));
  for (const char* bad : {"", "plain", "@example.org", "a@b", "a@.org", "a b@example.org", "a@example.org.",
                          "a@b@example.org", "a@example.org,b@example.org"}) {
    CAPTURE(bad);
    CHECK(!check_email(bad));
  }

  CHECK(check_file_name("livesafe_snapshot.csv"));
  CHECK(!check_file_name("../x.csv"));
  CHECK(!check_file_name("dir/x.csv"));
  CHECK(!check_file_name(".hidden.csv"));
  CHECK(!check_file_name(""));
  CHECK(!check_file_name(std::string("a\0b", 3)));
}

TEST_CASE("IPv4 networks") {
  const auto net = parse_ipv4_network("192.0.2.0/24");
  REQUIRE(net);
  CHECK(net->to_string() == "192.0.2.0/24");
  CHECK(net->contains(*parse_ipv4_address("192.0.2.77")));
  CHECK(!net->contains(*parse_ipv4_address("192.0.3.1")));
  CHECK(parse_ipv4_network("203.0.113.9")->to_string() == "203.0.113.9/32");
  CHECK(parse_ipv4_network("0.0.0.0/0")->contains(*parse_ipv4_address("8.8.8.8")));

  CHECK(parse_ipv4_network("2001:db8::/32").error().find("IPv4 only") != std::string::npos);
  CHECK(parse_ipv4_network("::1").error().find("IPv6") != std::string::npos);
  CHECK(parse_ipv4_network("10.0.0.1/8").error().find("10.0.0.0/8") != std::string::npos);
  for (const char* bad : {"", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0/8", "010.0.0.1", "256.0.0.1",
                          "10.0.0.0/8/8", "example.org"}) {
    CAPTURE(bad);
    CHECK(!parse_ipv4_network(bad));
  }
}
