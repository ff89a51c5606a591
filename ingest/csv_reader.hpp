#pragma once
// A streaming RFC 4180 reader: quotes, embedded delimiters and newlines, CRLF or LF, UTF-8 with or
// without BOM, UTF-16 LE/BE with a BOM or recognised by its NUL bytes (transcoded to UTF-8). Memory is
// bounded by the longest record, not the file. Every record and every error carries its line number. Pure:
// bytes come from a ByteSource the caller provides.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

namespace intake::ingest {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills `buffer` with up to its size; returns how many bytes, 0 at the end.
  virtual std::size_t read(std::span<char> buffer) = 0;
};

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string_view text) : text_(text) {}
  std::size_t read(std::span<char> buffer) override;

 private:
  std::string_view text_;
};

struct CsvRecord {
  std::vector<std::string> fields;
  std::size_t line = 0;  // the line the record starts on (1-based)
};

struct CsvError {
  std::size_t line = 0;
  std::string message;
};

enum class TextEncoding { Utf8, Utf8Bom, Utf16Le, Utf16Be };

class CsvReader {
 public:
  static constexpr std::size_t kMaxRecordBytes = 1 << 20;  // one record may not exceed 1 MiB

  // `delimiter`: the field separator (',' ';' '\t' '|' …).
  explicit CsvReader(ByteSource& source, char delimiter = ',');
  // Overwrites the text it still holds: files may carry passwords (base/secret.hpp).
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // The next record, nullopt at the end, or an error that makes the rest of the file unreadable
  // (undecodable text, an unterminated quote, an oversized record).
  tl::expected<std::optional<CsvRecord>, CsvError> next();
  TextEncoding encoding() const { return encoding_; }

 private:
  bool fill();                 // decodes more input into text_; false at the end
  std::optional<char> peek();  // the next decoded character, refilling as needed
  tl::expected<void, CsvError> decode(std::string_view raw, bool at_end);

  ByteSource& source_;
  bool started_ = false;
  bool source_done_ = false;
  TextEncoding encoding_ = TextEncoding::Utf8;
  std::string pending_raw_;  // undecoded bytes carried over (a split UTF-16 unit or UTF-8 sequence)
  std::string text_;         // decoded UTF-8 not yet consumed
  std::size_t position_ = 0;
  std::size_t line_ = 1;
  std::optional<CsvError> decode_error_;
  char delimiter_;
  std::array<bool, 256> plain_stops_{};  // what ends a run of unquoted field text
};

}  // namespace intake::ingest
