#include "ingest/csv_reader.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include "base/secret.hpp"

namespace intake::ingest {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// Characters that end a run of plain field text, inside and outside quotes.
using StopSet = std::array<bool, 256>;
constexpr StopSet stop_set(std::string_view stops) {
  StopSet set{};
  for (const char c : stops) set[static_cast<unsigned char>(c)] = true;
  return set;
}
constexpr StopSet kQuotedStops = stop_set("\"\n");

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

// Length of the complete, valid UTF-8 sequence at `at`; 0 if invalid; SIZE_MAX if cut off at the end.
std::size_t utf8_length(std::string_view text, std::size_t at) {
  const auto lead = static_cast<unsigned char>(text[at]);
  std::size_t length = lead < 0x80                      ? 1
                       : (lead >= 0xc2 && lead <= 0xdf) ? 2
                       : (lead >= 0xe0 && lead <= 0xef) ? 3
                       : (lead >= 0xf0 && lead <= 0xf4) ? 4
                                                        : 0;
  if (length <= 1) return length;
  if (at + length > text.size()) {
    for (std::size_t i = at + 1; i < text.size(); ++i) {
      if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) return 0;
    }
    return SIZE_MAX;
  }
  std::uint32_t code = lead & (length == 2 ? 0x1f : length == 3 ? 0x0f : 0x07);
  for (std::size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[at + i]);
    if ((byte & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte & 0x3f);
  }
  if ((length == 3 && (code < 0x800 || (code >= 0xd800 && code <= 0xdfff))) ||
      (length == 4 && (code < 0x10000 || code > 0x10ffff)))
    return 0;
  return length;
}

// UTF-16 without a byte-order mark: ASCII text in UTF-16 has a NUL in every other byte.
std::optional<TextEncoding> utf16_by_nul_pattern(std::string_view head) {
  std::size_t even = 0, odd = 0;
  const auto pairs = std::min<std::size_t>(head.size(), 64) / 2;
  for (std::size_t i = 0; i < pairs * 2; ++i) (i % 2 ? odd : even) += head[i] == '\0';
  if (pairs >= 2 && even == 0 && odd * 2 >= pairs) return TextEncoding::Utf16Le;
  if (pairs >= 2 && odd == 0 && even * 2 >= pairs) return TextEncoding::Utf16Be;
  return std::nullopt;
}

}  // namespace

CsvReader::CsvReader(ByteSource& source, char delimiter) : source_(source), delimiter_(delimiter) {
  for (const char c : {delimiter, '"', '\r', '\n'}) plain_stops_[static_cast<unsigned char>(c)] = true;
}

std::size_t StringSource::read(std::span<char> buffer) {
  const auto count = std::min(buffer.size(), text_.size());
  std::memcpy(buffer.data(), text_.data(), count);
  text_.remove_prefix(count);
  return count;
}

tl::expected<void, CsvError> CsvReader::decode(std::string_view raw, bool at_end) {
  std::string input = pending_raw_;
  input.append(raw);
  pending_raw_.clear();
  // The error's line is where the bad bytes are: the parse position plus the lines decoded ahead.
  const auto undecodable = [this](std::string what) {
    const auto ahead = std::count(text_.begin() + static_cast<std::ptrdiff_t>(position_), text_.end(), '\n');
    return tl::unexpected(
        CsvError{line_ + static_cast<std::size_t>(ahead),
                 "the file is not readable text (" + what +
                     "); save it as UTF-8 (or UTF-16 with a byte-order mark) and upload it again"});
  };
  if (encoding_ == TextEncoding::Utf16Le || encoding_ == TextEncoding::Utf16Be) {
    std::size_t i = 0;
    const bool little = encoding_ == TextEncoding::Utf16Le;
    const auto unit = [&](std::size_t at) -> std::uint32_t {
      const auto a = static_cast<unsigned char>(input[at]), b = static_cast<unsigned char>(input[at + 1]);
      return little ? (std::uint32_t{b} << 8 | a) : (std::uint32_t{a} << 8 | b);
    };
    while (i + 2 <= input.size()) {
      const auto first = unit(i);
      if (first >= 0xd800 && first <= 0xdbff) {
        if (i + 4 > input.size()) break;  // the low surrogate comes with the next chunk
        const auto second = unit(i + 2);
        if (second < 0xdc00 || second > 0xdfff) return undecodable("a broken UTF-16 surrogate pair");
        append_utf8(text_, 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00));
        i += 4;
      } else if (first >= 0xdc00 && first <= 0xdfff) {
        return undecodable("a stray UTF-16 surrogate");
      } else {
        append_utf8(text_, first);
        i += 2;
      }
    }
    pending_raw_ = input.substr(i);
    if (at_end && !pending_raw_.empty())
      return undecodable("UTF-16 text that ends in the middle of a character");
    return {};
  }
  std::size_t i = 0;
  while (i < input.size()) {
    // ASCII is the common case: step over it eight bytes at a time.
    for (std::uint64_t word; i + 8 <= input.size(); i += 8) {
      std::memcpy(&word, input.data() + i, 8);
      if (word & 0x8080808080808080ULL) break;
    }
    if (i >= input.size()) break;
    const auto length = utf8_length(input, i);
    if (length == SIZE_MAX) break;  // completed by the next chunk
    if (length == 0) {
      text_.append(input, 0, i);
      return undecodable("a byte sequence that is not UTF-8, e.g. a Windows-1252 or Latin-1 character");
    }
    i += length;
  }
  text_.append(input, 0, i);
  pending_raw_ = input.substr(i);
  if (at_end && !pending_raw_.empty())
    return undecodable("UTF-8 text that ends in the middle of a character");
  return {};
}

CsvReader::~CsvReader() {
  base::wipe(text_);
  base::wipe(pending_raw_);
}

bool CsvReader::fill() {
  if (source_done_ || decode_error_) return false;
  std::array<char, kChunk> buffer{};
  std::size_t got = source_.read(buffer);
  std::string_view raw(buffer.data(), got);
  if (!started_) {
    started_ = true;
    // Look at the first bytes for a byte-order mark (read a little more if the first read was short).
    std::string head(raw);
    while (head.size() < 64 && got > 0) {
      got = source_.read(buffer);
      head.append(buffer.data(), got);
    }
    std::string_view view(head);
    if (view.starts_with("\xEF\xBB\xBF")) {
      encoding_ = TextEncoding::Utf8Bom;
      view.remove_prefix(3);
    } else if (view.starts_with("\xFF\xFE")) {
      encoding_ = TextEncoding::Utf16Le;
      view.remove_prefix(2);
    } else if (view.starts_with("\xFE\xFF")) {
      encoding_ = TextEncoding::Utf16Be;
      view.remove_prefix(2);
    } else if (const auto utf16 = utf16_by_nul_pattern(view)) {
      encoding_ = *utf16;
    } else if (view.substr(0, 64).find('\0') != std::string_view::npos) {
      decode_error_ =
          CsvError{1,
                   "the file starts with NUL bytes, so it is not UTF-8 text; if it is UTF-16, "
                   "save it with a byte-order mark (\"Unicode\" in Excel), else as UTF-8, and upload "
                   "it again"};
      return true;
    }
    if (head.empty()) source_done_ = true;
    auto decoded = decode(view, source_done_);
    if (!decoded) decode_error_ = decoded.error();
    return !head.empty() || decode_error_;
  }
  if (got == 0) {
    source_done_ = true;
    auto decoded = decode({}, true);
    if (!decoded) decode_error_ = decoded.error();
    return false;
  }
  auto decoded = decode(raw, false);
  if (!decoded) decode_error_ = decoded.error();
  return true;
}

std::optional<char> CsvReader::peek() {
  while (position_ >= text_.size()) {
    text_.erase(0, position_);
    position_ = 0;
    if (!fill() && text_.empty()) return std::nullopt;
  }
  return text_[position_];
}

tl::expected<std::optional<CsvRecord>, CsvError> CsvReader::next() {
  CsvRecord record;
  record.line = line_;
  std::string field;
  bool in_quotes = false;
  bool field_was_quoted = false;
  std::size_t record_bytes = 0;
  const auto too_long = [&] {
    return tl::unexpected(CsvError{record.line, "the record on line " + std::to_string(record.line) +
                                                    " is longer than 1 MiB; is a quote missing?"});
  };
  // Plain text up to the next character in `stops`, from what is decoded already, in one append
  // rather than a character at a time (a million-row file spends most of its parse time here).
  const auto take_run = [&](const StopSet& stops) {
    auto end = position_;
    while (end < text_.size() && !stops[static_cast<unsigned char>(text_[end])]) ++end;
    record_bytes += end - position_;
    field.append(text_, position_, end - position_);
    position_ = end;
    return record_bytes <= kMaxRecordBytes;
  };
  const auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    field_was_quoted = false;
  };
  if (!peek()) {
    if (decode_error_) return tl::unexpected(*decode_error_);
    return std::nullopt;
  }
  while (true) {
    const auto next_char = peek();
    if (!next_char) {
      if (decode_error_) return tl::unexpected(*decode_error_);
      if (in_quotes) {
        return tl::unexpected(CsvError{record.line, "a quoted field that starts on line " +
                                                        std::to_string(record.line) + " is never closed"});
      }
      end_field();
      return record;
    }
    const char c = *next_char;
    ++position_;
    if (++record_bytes > kMaxRecordBytes) return too_long();
    if (in_quotes) {
      if (c != '"') {
        if (c == '\n') ++line_;
        field += c;
        if (!take_run(kQuotedStops)) return too_long();
      } else if (peek() == '"') {
        field += '"';  // "" inside quotes is one quote
        ++position_;
      } else {
        in_quotes = false;
      }
      continue;
    }
    if (c == delimiter_) {
      end_field();
      continue;
    }
    switch (c) {
      case '"':
        if (field.empty() && !field_was_quoted) {
          in_quotes = true;
          field_was_quoted = true;
        } else {
          field += c;  // a stray quote inside an unquoted field is kept as text, as spreadsheets do
        }
        break;
      case '\r':
        if (peek() == '\n') ++position_;
        [[fallthrough]];
      case '\n':
        ++line_;
        end_field();
        return record;
      default:
        field += c;
        if (!take_run(plain_stops_)) return too_long();
    }
  }
}

}  // namespace intake::ingest
