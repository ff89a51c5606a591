#include "base/text.hpp"

#include <cctype>
#include <cstdio>

namespace intake::base {
namespace {

// Length of the valid UTF-8 sequence at the start of `text`, or 0 when it is not valid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned int code = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    code = lead & 0x1fu;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    code = lead & 0x0fu;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    code = lead & 0x07u;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3fu);
  }
  if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
      (length == 4 && (code < 0x10000 || code > 0x10ffff)))
    return 0;
  return length;
}

}  // namespace

std::string printable_excerpt(std::string_view text, std::size_t max) {
  std::string out;
  for (char c : text.substr(0, max)) {
    const auto byte = static_cast<unsigned char>(c);
    out += (byte < 0x20 || byte > 0x7e) ? '?' : c;
  }
  if (text.size() > max) out += "…";
  return out;
}

bool is_valid_utf8(std::string_view text) {
  while (!text.empty()) {
    const auto length = utf8_sequence_length(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool equals_ignoring_ascii_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (fold(a[i]) != fold(b[i])) return false;
  }
  return true;
}

std::size_t utf8_characters(std::string_view text) {
  std::size_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return count;
}

std::string quoted_excerpt(std::string_view text) {
  constexpr std::size_t kMax = 80;
  const auto characters = utf8_characters(text);
  if (characters <= kMax) return "'" + escape_for_log(text) + "'";
  std::size_t end = 0;
  for (std::size_t count = 0; end < text.size(); ++end) {
    if ((static_cast<unsigned char>(text[end]) & 0xc0) != 0x80 && count++ == kMax) break;
  }
  return "'" + escape_for_log(text.substr(0, end)) + "…' (" + std::to_string(characters) + " characters)";
}

std::optional<std::string> forbidden_character(std::string_view text) {
  const auto describe = [](std::string what, unsigned code) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "%04X", code);
    return what + " U+" + hex;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20 || byte == 0x7f) return describe("a control character", byte);
    if (byte == 0xc2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9f) return describe("a control character", next);
    }
    if (byte == 0xef && text.substr(i, 3) == "\xEF\xBB\xBF") return describe("a byte-order mark", 0xfeff);
  }
  return std::nullopt;
}

std::string clean_comment(std::string_view text, std::size_t max) {
  std::string out;
  bool pending_space = false;
  while (!text.empty()) {
    const auto byte = static_cast<unsigned char>(text.front());
    if (byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r') {
      pending_space = !out.empty();
      text.remove_prefix(1);
      continue;
    }
    std::size_t length = utf8_sequence_length(text);
    std::string_view piece = length ? text.substr(0, length) : std::string_view("?");
    if (length == 0) length = 1;
    if (byte < 0x20 || byte == 0x7f) piece = "?";
    if (out.size() + piece.size() + (pending_space ? 1 : 0) > max) break;
    if (pending_space) out += ' ';
    pending_space = false;
    out += piece;
    text.remove_prefix(length);
  }
  return out;
}

namespace {

enum class Quotes { Escape, Keep };

std::string escape_controls(std::string_view text, Quotes quotes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  const auto escape_byte = [&](unsigned char byte) {
    out += "\\x";
    out += kHex[byte >> 4];
    out += kHex[byte & 0x0f];
  };
  while (!text.empty()) {
    const auto byte = static_cast<unsigned char>(text.front());
    const std::size_t length = utf8_sequence_length(text);
    if (length == 0) {
      escape_byte(byte);
      text.remove_prefix(1);
      continue;
    }
    if (length == 1) {
      switch (byte) {
        case '\\': out += quotes == Quotes::Escape ? "\\\\" : "\\"; break;
        case '"': out += quotes == Quotes::Escape ? "\\\"" : "\""; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (byte < 0x20 || byte == 0x7f)
            escape_byte(byte);
          else
            out += static_cast<char>(byte);
      }
    } else if (byte == 0xc2 && static_cast<unsigned char>(text[1]) < 0xa0) {
      escape_byte(byte);  // C1 controls (U+0080–U+009F): CSI and friends on some terminals
      escape_byte(static_cast<unsigned char>(text[1]));
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

}  // namespace

std::string escape_for_log(std::string_view text) { return escape_controls(text, Quotes::Escape); }

std::string terminal_safe(std::string_view text) { return escape_controls(text, Quotes::Keep); }

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> pieces;
  while (!text.empty()) {
    const auto end = text.find(separator);
    pieces.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return pieces;
}

std::string_view trim(std::string_view text) {
  const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace intake::base
