#pragma once
// Blanking the passwords of an archived upload once its ingest has concluded: the archive keeps every
// other cell (support can still see what was sent), the journal keeps the original's sha256 (duplicate
// detection), and no plain-text password stays on disk.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <tl/expected.hpp>

namespace intake::ingest {

struct Redaction {
  // The password's field in each record; nullopt: the file was refused before its columns were known,
  // so all of it is blanked.
  std::optional<std::size_t> field;
  bool header = false;  // the first record is a header and is kept as it is
  char delimiter = ',';
};
std::string redaction_text(const Redaction& redaction);  // as the journal records it
std::optional<Redaction> parse_redaction(const std::string& text);

// Rewrites the file (as UTF-8, durably, atomically) with the password field of every data record
// empty. What cannot be read as CSV (from an unreadable record on) is replaced by a note.
tl::expected<void, std::string> redact_archive(const std::filesystem::path& path, const Redaction& redaction);

}  // namespace intake::ingest
