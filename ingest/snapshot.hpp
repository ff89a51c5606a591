#pragma once
// Snapshot profiles as data (ARCHITECTURE.md: profiles are data, not if-chains): which headers, which
// field each feeds, which rules apply. Pure: CSV records in, validated user rows and row errors out.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/csv_reader.hpp"

namespace intake::ingest {

enum class Field { OrgId, ExternalId, FirstName, LastName, Email, Phone, Group };

struct ColumnRule {
  std::string_view header;  // matched case-insensitively, in any order
  Field field;
};

struct SnapshotRules {
  std::vector<ColumnRule> columns;  // every header is required
  bool org_id_must_match = false;   // the org id column must equal the tenant's (else the file is rejected)
  bool contact_required = false;    // e-mail or phone on every row
};

// Seed 000 (LiveSafe): organizationid, username, firstname, lastname, email, mobilephone, groupname.
const SnapshotRules& livesafe_rules();
// The rules of a built-in snapshot profile by name (`tenant.profile`); nullptr when there is none.
const SnapshotRules* snapshot_rules(std::string_view profile);

struct UserRow {
  std::string external_id, first_name, last_name, email, phone, group;
  std::size_t line = 0;
};

struct RowIssue {
  std::size_t line = 0;
  std::string column;
  std::string message;  // for the customer: what is wrong and what is expected
};

struct ParsedSnapshot {
  std::optional<RowIssue> rejection;  // a whole-file error: nothing is applied
  std::vector<UserRow> users;
  std::vector<RowIssue> errors;  // the first `max_errors_kept` row errors
  std::size_t rows = 0;          // data rows read
  std::size_t invalid = 0;       // rows skipped for errors
  std::vector<std::string> ignored_columns;
  // Usernames of rows skipped for errors: those users are neither updated nor removed, so a typo in
  // one cell never deletes a user.
  std::vector<std::string> invalid_ids;
  // Indices into `users` in ascending byte order of username, for the planner (plan.hpp).
  std::vector<std::uint32_t> by_username;
};

// `expected_rows` only sizes the row vector up front (growing it by doubling would move every row
// ~twice; capacity never touched costs address space, not memory).
ParsedSnapshot parse_snapshot(CsvReader& reader, const SnapshotRules& rules, std::string_view org_id,
                              std::size_t max_errors_kept = 1000, std::size_t expected_rows = 0);

bool valid_e164(std::string_view phone);

}  // namespace intake::ingest
