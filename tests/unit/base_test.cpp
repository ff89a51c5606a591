#include <doctest/doctest.h>

#include "base/text.hpp"

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
}

TEST_CASE("printable_excerpt and clean_comment bound and clean untrusted text") {
  CHECK(printable_excerpt("abc\x1b[0m", 24) == "abc?[0m");
  CHECK(printable_excerpt("abcdefgh", 4) == "abcd…");
  CHECK(clean_comment("  alice@laptop\r\n\x1b[2J ✓ ") == "alice@laptop ?[2J ✓");
  CHECK(clean_comment("abcdef", 3) == "abc");
  CHECK(is_valid_utf8("Zoë"));
  CHECK_FALSE(is_valid_utf8("\xc0\xaf"));  // overlong '/'
}
