#pragma once
// The profile engine's reading half: CSV records in, validated rows (key + image) and problems out,
// driven entirely by a FileSpec (profile.hpp). Pure: the bytes come from the caller's CsvReader.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/secret.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/profile.hpp"

namespace intake::ingest {

struct FileRow {
  std::string key;
  std::string image;  // the row's slot values (image.hpp); slots the file does not manage are empty
  std::uint32_t line = 0;
};

struct RowIssue {
  std::size_t line = 0;
  std::string column;
  std::string message;  // for the customer: what is wrong and what is expected
  std::string key;      // the row's key cell, when it has one (the results file lists it)
};

// A password cell of a row: the plain text until hash_secrets (secret_hashing.hpp) replaces it with
// its hash. Never part of the row's image, a message or a change.
struct SecretCell {
  std::uint32_t line = 0;  // the row's line (rows are told apart by line)
  base::SecretString plain;
  std::string hash;  // the PHC string, once hashed
};

struct ParsedFile {
  std::optional<RowIssue> rejection;  // a whole-file error: nothing is applied
  std::vector<FileRow> rows;
  std::vector<RowIssue> errors;  // the first `max_errors_kept` row errors
  std::vector<RowIssue> skips;   // the first `max_errors_kept` rows a row filter skipped
  std::size_t records = 0;       // data rows read
  std::size_t invalid = 0;       // rows left out for errors
  std::size_t skipped = 0;       // rows left out by a row filter (Skip = 1)
  std::vector<std::string> ignored_columns;
  // Keys of rows left out (errors, filters): those users are neither updated nor removed, so a typo
  // in one cell never deletes a user.
  std::vector<std::string> kept_keys;
  // Indices into `rows` in ascending byte order of key, for the planner's merge join (plan.hpp).
  std::vector<std::uint32_t> by_key;
  // Per slot: whether this file manages it (its column is in the header, or it clears when absent).
  std::vector<bool> managed;
  // The password cells of the rows that have one, in line order (rows left out keep theirs too, so
  // that every plain text is wiped in one place).
  std::vector<SecretCell> secrets;
  // Where the password is in the file's records, for blanking the archived copy: the field index and
  // whether the first record is a header. nullopt: the file has no password column.
  std::optional<std::size_t> secret_field;
  bool has_header = false;

  const SecretCell* secret_of(const FileRow& row) const;  // nullptr when the row has none
};

struct ParseContext {
  std::string_view org_id;  // for org_id columns: every row must carry the tenant's
  // For phone columns: national numbers are read in this region (phone.hpp); empty: E.164 only.
  std::string_view phone_region;
  std::size_t max_errors_kept = 1000;
  // Only sizes the row vector up front (growing it by doubling would move every row ~twice).
  std::size_t expected_rows = 0;
  // For role columns: the tenant's roles; empty: any role is kept as given.
  std::span<const std::string> roles = {};
};

ParsedFile parse_file(CsvReader& reader, const FileSpec& spec, const ParseContext& context);

// A cell quoted in a message: control characters escaped, at most 80 characters and its length.
std::string excerpt(std::string_view value);

}  // namespace intake::ingest
