#pragma once
// Making untrusted text safe to store and print: key comments, excerpts in error messages.
#include <cstddef>
#include <string>
#include <string_view>

namespace intake::keys {

// ASCII-only excerpt for error messages: control and non-ASCII bytes become '?', long input is cut.
std::string printable_excerpt(std::string_view text, std::size_t max = 24);

// A comment fit to store and print: valid UTF-8 is kept, control characters (terminal escapes,
// newlines), DEL and invalid bytes become '?', runs of white space become one space; at most
// `max` bytes.
std::string clean_comment(std::string_view text, std::size_t max = 200);

bool is_valid_utf8(std::string_view text);

}  // namespace intake::keys
