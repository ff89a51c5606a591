#include <doctest/doctest.h>

#include "base/ipv4.hpp"
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

  CHECK(check_file_name("livesafe_snapshot.csv"));
  CHECK(!check_file_name("../x.csv"));
  CHECK(!check_file_name("dir/x.csv"));
  CHECK(!check_file_name(".hidden.csv"));
  CHECK(!check_file_name(""));
  CHECK(!check_file_name(std::string("a\0b", 3)));
}
