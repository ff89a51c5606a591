#pragma once
// Making untrusted text safe to store and print: key comments, excerpts in error messages, log fields.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace intake::base {

// ASCII-only excerpt for error messages: control and non-ASCII bytes become '?', long input is cut.
std::string printable_excerpt(std::string_view text, std::size_t max = 24);

// A comment fit to store and print: valid UTF-8 is kept, control characters (terminal escapes,
// newlines), DEL and invalid bytes become '?', runs of white space become one space; at most
// `max` bytes.
std::string clean_comment(std::string_view text, std::size_t max = 200);

bool is_valid_utf8(std::string_view text);

// ASCII letters folded to lower case, other bytes kept (header names, e-mail comparison).
std::string ascii_lower(std::string_view text);
bool equals_ignoring_ascii_case(std::string_view a, std::string_view b);

// Untrusted text quoted in a message: '…' with control characters escaped (escape_for_log), at most
// 80 characters, and the length when cut: 'abc…' (1048576 characters).
std::string quoted_excerpt(std::string_view text);

// Characters in valid UTF-8 text (code points, not bytes).
std::size_t utf8_characters(std::string_view text);

// What makes `text` unfit for an identifier or a stored name, or nullopt: a control character (C0,
// DEL, C1: NUL bytes, terminal escapes, bare CR) or a byte-order mark away from the start of the file
// ("a control character U+001B", "a byte-order mark U+FEFF").
std::optional<std::string> forbidden_character(std::string_view text);

// Text as a log field or a terminal may show it, nothing lost: valid UTF-8 is kept; backslash and
// double quote are escaped; \n, \r and \t are written as such; other control characters (C0, DEL,
// C1: terminal escapes) and invalid bytes become \xNN. Reversible, so an operator sees exactly what
// a client sent.
std::string escape_for_log(std::string_view text);
// The same for a table cell on a terminal: control characters and invalid bytes escaped, quotes and
// backslashes as they are.
std::string terminal_safe(std::string_view text);

// "a, b, c" (with separator ", "): lists in messages.
// The pieces of `text` between `separator`s ("a,b" -> {"a", "b"}); none for an empty text.
std::vector<std::string_view> split(std::string_view text, char separator);

// Without the ASCII white space at either end.
std::string_view trim(std::string_view text);

std::string join(const std::vector<std::string>& items, std::string_view separator = ", ");

}  // namespace intake::base
