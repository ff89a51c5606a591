#pragma once
// The archived file, for the CSV reader (csv_reader.hpp's ByteSource).
#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

#include "base/unique_fd.hpp"
#include "ingest/csv_reader.hpp"

namespace intake::ingest {

// A read error ends the stream but is kept: the caller must check error() after parsing, so that a
// failing disk never reads as a shorter file (a truncated snapshot would remove every user after the
// failure).
class FileSource : public ByteSource {
 public:
  explicit FileSource(const std::filesystem::path& path);
  std::size_t read(std::span<char> buffer) override;
  // "reading it failed after 4096 bytes: Input/output error"; nullopt while all is well.
  const std::optional<std::string>& error() const { return error_; }

 private:
  base::UniqueFd fd_;
  std::size_t offset_ = 0;
  std::optional<std::string> error_;
};

}  // namespace intake::ingest
