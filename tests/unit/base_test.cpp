#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "base/durable_file.hpp"
#include "base/email.hpp"
#include "base/host_port.hpp"
#include "base/ipv4.hpp"
#include "base/password_hash.hpp"
#include "base/secret.hpp"
#include "base/ssh_wire.hpp"
#include "base/text.hpp"
#include "base/utc_time.hpp"
#include "test_support.hpp"

using namespace intake::base;

TEST_CASE("escape_for_log keeps text and UTF-8, and escapes what a terminal would act on") {
  CHECK(escape_for_log("acme-corp uploaded") == "acme-corp uploaded");
  CHECK(escape_for_log("Zoë Müller ✓") == "Zoë Müller ✓");
  CHECK(escape_for_log("a\\b \"c\"") == "a\\\\b \\\"c\\\"");
  CHECK(escape_for_log("line\r\nnext\ttab") == "line\\r\\nnext\\ttab");
  CHECK(escape_for_log("\x1b[31mred\x07") == "\\x1b[31mred\\x07");
  CHECK(escape_for_log(std::string_view("nul\0del\x7f", 8)) == "nul\\x00del\\x7f");
  CHECK(escape_for_log("\xc2\x9b"
                       "2J") == "\\xc2\\x9b2J");                // C1 CSI
  CHECK(escape_for_log("bad \xff\xc3(") == "bad \\xff\\xc3(");  // invalid bytes, one by one
  CHECK(escape_for_log("\xed\xa0\x80") == "\\xed\\xa0\\x80");   // a surrogate is not UTF-8
  CHECK(escape_for_log("") == "");
  // The table form keeps quotes and backslashes (O"Brien stays readable), escapes the rest alike.
  CHECK(terminal_safe("O\"Brien \\ \x1b]0;x\x07\r") == "O\"Brien \\ \\x1b]0;x\\x07\\r");
}

TEST_CASE("quoted_excerpt, forbidden_character and friends bound and judge untrusted cells") {
  CHECK(quoted_excerpt("abc") == "'abc'");
  CHECK(quoted_excerpt("a\x1b[2J") == "'a\\x1b[2J'");
  CHECK(quoted_excerpt(std::string(100, 'x')) == "'" + std::string(80, 'x') + "…' (100 characters)");
  CHECK(utf8_characters("Zoë") == 3);
  CHECK(!forbidden_character("Zoë Müller"));
  CHECK(forbidden_character(std::string_view("a\0b", 3)) == "a control character U+0000");
  CHECK(forbidden_character("\xef\xbb\xbfjjones") == "a byte-order mark U+FEFF");
  CHECK(forbidden_character("\xc2\x9b") == "a control character U+009B");
  CHECK(ascii_lower("MiXeD Ä") == "mixed Ä");
  CHECK(equals_ignoring_ascii_case("UniqueID", "uniqueid"));
  CHECK(!equals_ignoring_ascii_case("UniqueID", "uniqueid "));
}

TEST_CASE("printable_excerpt and clean_comment bound and clean untrusted text") {
  CHECK(printable_excerpt("abc\x1b[0m", 24) == "abc?[0m");
  CHECK(printable_excerpt("abcdefgh", 4) == "abcd…");
  CHECK(clean_comment("  alice@laptop\r\n\x1b[2J ✓ ") == "alice@laptop ?[2J ✓");
  CHECK(clean_comment("abcdef", 3) == "abc");
  CHECK(is_valid_utf8("Zoë"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));  // overlong '/'
}

namespace {
std::optional<std::string> typed(std::string_view text) {
  const auto time = parse_typed_time(text);
  return time ? std::optional(format_stored_time(*time)) : std::nullopt;
}
}  // namespace

TEST_CASE("join lists items for messages") {
  CHECK(join({}) == "");
  CHECK(join({"a"}) == "a");
  CHECK(join({"a", "b", "c"}) == "a, b, c");
  CHECK(join({"a", "b"}, ",") == "a,b");
}

TEST_CASE("UTC times as staff type them") {
  CHECK(typed("2027-01-31") == "2027-01-31T00:00:00.000Z");
  CHECK(typed("2027-01-31T13:05Z") == "2027-01-31T13:05:00.000Z");
  CHECK(typed("2027-01-31 13:05:09") == "2027-01-31T13:05:09.000Z");
  CHECK(typed("2028-02-29"));
  for (const char* bad : {"", "2027-1-31", "2027-02-29", "2027-13-01", "2027-01-31T25:00", "31.01.2027",
                          "2027-01-31T-1:00", "2027-01-31T13:05:09:00", "tomorrow"}) {
    CAPTURE(bad);
    CHECK(!typed(bad));
  }
}

TEST_CASE("stored times round-trip to the millisecond; anything else is not ours") {
  const auto time = parse_stored_time("2026-11-22T05:39:28.426Z");
  REQUIRE(time);
  CHECK(format_stored_time(*time) == "2026-11-22T05:39:28.426Z");
  for (const char* bad : {"2026-11-22T05:39:28Z", "2026-11-22 05:39:28.426Z", "2026-02-30T00:00:00.000Z",
                          "2026-11-22T05:39:28.42xZ", "+026-11-22T05:39:28.426Z"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_stored_time(bad));
  }
}

TEST_CASE("e-mail addresses: one rule set, ASCII for report addresses, UTF-8 allowed in customers' files") {
  CHECK(check_email("it@acme.example"));
  CHECK(check_email("first.last+tag@sub.example.org"));
  for (const char* bad : {"", "plain", "@example.org", "a@b", "a@.org", "a b@example.org", "a@example.org.",
                          "a@b@example.org", "a@example.org,b@example.org"}) {
    CAPTURE(bad);
    CHECK(!check_email(bad));
  }

  CHECK_FALSE(check_email(std::string(65, 'a') + "@example.org"));  // local part over 64 bytes
  CHECK_FALSE(check_email("a(b)@example.org"));
  CHECK_FALSE(check_email("a\x01b@example.org"));
  CHECK_FALSE(check_email("zoë@example.org"));
  CHECK(check_email("zoë@example.org", EmailCharset::Utf8));
  CHECK_FALSE(check_email("zoë@example", EmailCharset::Utf8));
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

TEST_CASE("ports and host:port") {
  CHECK(parse_port("2222") == std::uint16_t{2222});
  for (const char* bad : {"", "0", "65536", "+22", "-1", "22 ", "2x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_port(bad));
  }
  const auto parts = split_host_port("[::1]:2222");
  REQUIRE(parts);
  CHECK(parts->host == "[::1]");
  CHECK(parts->port == 2222);
  CHECK_FALSE(split_host_port("0.0.0.0"));
}

TEST_CASE("the wire reader: a short read poisons it, the read_* forms answer nullopt") {
  const std::vector<std::uint8_t> bytes{0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 9, 'x'};
  WireReader reader(bytes);
  CHECK(reader.text() == "abc");
  CHECK(reader.ok());
  CHECK(reader.text().empty());  // claims 9 bytes, has 1
  CHECK_FALSE(reader.ok());
  CHECK(reader.u32() == 0);
  WireReader checking(bytes);
  CHECK(checking.read_text() == std::optional<std::string_view>("abc"));
  CHECK_FALSE(checking.read_string());
  CHECK(load_u32(bytes) == 3u);
}

TEST_CASE(
    "durable files: replace or keep atomically; with a staging folder nothing half-written is ever beside "
    "the target") {
  intake::test::TempDir dir;
  const auto folder = dir.path() / "reports";
  const auto staging = dir.path() / "staging";
  std::filesystem::create_directories(folder);
  std::filesystem::create_directories(staging);
  const auto entries = [](const std::filesystem::path& path) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(path))
      names.push_back(entry.path().filename());
    return names;
  };
  const auto target = folder / "r.txt";
  std::vector<std::string> seen_in_folder, seen_in_staging;
  const auto written = intake::base::write_file_atomically(
      target,
      [&](const std::function<void(std::string_view)>& write) {
        write("half");
        seen_in_folder = entries(folder);  // as a tenant listing reports/ mid-write would see it
        seen_in_staging = entries(staging);
        write(" and whole");
      },
      intake::base::Existing::Replace, intake::base::Sync::No, 0644, staging);
  REQUIRE(written);
  CHECK(seen_in_folder.empty());
  REQUIRE(seen_in_staging.size() == 1);
  CHECK(seen_in_staging[0].starts_with("r.txt.tmp-"));
  CHECK(entries(staging).empty());
  std::ifstream in(target);
  std::string text;
  std::getline(in, text);
  CHECK(text == "half and whole");

  CHECK(intake::base::write_file_atomically(target, "again", intake::base::Existing::Replace,
                                            intake::base::Sync::No, 0644, staging)
            .value());
  CHECK_FALSE(intake::base::write_file_atomically(target, "other", intake::base::Existing::Keep,
                                                  intake::base::Sync::No, 0644, staging)
                  .value());  // kept: another was there first
  CHECK(entries(folder) == std::vector<std::string>{"r.txt"});
}

TEST_CASE("secrets: wipe overwrites every byte a string owns, SecretString wipes what it takes and holds") {
  std::string text = "a password long enough to live on the heap, not in the string itself";
  const char* heap = text.data();
  const auto capacity = text.capacity();
  intake::base::wipe(text);
  CHECK(text.empty());
  CHECK(text.data() == heap);  // the same buffer, now zeros
  CHECK(std::all_of(heap, heap + capacity, [](char c) { return c == '\0'; }));

  std::string short_one = "pw";  // in the string's own buffer: its bytes stay there unless wiped
  intake::base::SecretString secret(short_one);
  CHECK(secret.view() == "pw");
  CHECK(short_one.empty());
  CHECK(std::string_view(short_one.data(), 2) == std::string_view("\0\0", 2));
  intake::base::SecretString moved(std::move(secret));
  CHECK(moved.view() == "pw");
  CHECK(secret.empty());  // NOLINT(bugprone-use-after-move): a moved-from secret is wiped and empty
}

TEST_CASE(
    "passwords: Argon2id PHC strings at the configured cost that verify, and costs below OWASP's refused") {
  using intake::base::PasswordHashCost;
  const auto hashed = intake::base::hash_password("correct horse", PasswordHashCost{});
  REQUIRE(hashed);
  CHECK(hashed->starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
  CHECK(intake::base::verify_password(*hashed, "correct horse"));
  CHECK(!intake::base::verify_password(*hashed, "correct horse "));
  CHECK(!intake::base::verify_password("not a hash", "correct horse"));
  const auto again = intake::base::hash_password("correct horse", PasswordHashCost{});
  CHECK(*again != *hashed);  // salted
  const auto stronger = intake::base::hash_password("x", PasswordHashCost{32 * 1024, 3});
  CHECK(stronger->starts_with("$argon2id$v=19$m=32768,t=3,p=1$"));
  CHECK(!intake::base::check_password_hash_cost({}));
  CHECK(intake::base::check_password_hash_cost({16 * 1024, 2})->find("at least 19456 KiB") !=
        std::string::npos);
  CHECK(intake::base::check_password_hash_cost({19 * 1024, 1})->find("from 2 to 100") != std::string::npos);
}
