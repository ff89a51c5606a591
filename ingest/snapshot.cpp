#include "ingest/snapshot.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace intake::ingest {
namespace {

std::string lower_trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return std::string(text);
}

std::string& field_of(UserRow& row, Field field, std::string& org_id) {
  switch (field) {
    case Field::OrgId: return org_id;
    case Field::ExternalId: return row.external_id;
    case Field::FirstName: return row.first_name;
    case Field::LastName: return row.last_name;
    case Field::Email: return row.email;
    case Field::Phone: return row.phone;
    case Field::Group: return row.group;
  }
  return org_id;
}

}  // namespace

const SnapshotRules& livesafe_rules() {
  static const SnapshotRules rules{{{"organizationid", Field::OrgId},
                                    {"username", Field::ExternalId},
                                    {"firstname", Field::FirstName},
                                    {"lastname", Field::LastName},
                                    {"email", Field::Email},
                                    {"mobilephone", Field::Phone},
                                    {"groupname", Field::Group}},
                                   true,
                                   true};
  return rules;
}

const SnapshotRules* snapshot_rules(std::string_view profile) {
  return profile == "livesafe" ? &livesafe_rules() : nullptr;
}

bool valid_email(std::string_view email) {
  const auto at = email.find('@');
  if (at == std::string_view::npos || at == 0 || email.find('@', at + 1) != std::string_view::npos)
    return false;
  const auto domain = email.substr(at + 1);
  const auto dot = domain.find('.');
  return email.size() <= 254 && dot != std::string_view::npos && dot > 0 && domain.back() != '.' &&
         std::none_of(email.begin(), email.end(), [](char c) {
           return std::isspace(static_cast<unsigned char>(c)) || c == ',' || c == ';' || c == '<' || c == '>';
         });
}

bool valid_e164(std::string_view phone) {
  if (phone.size() < 3 || phone.size() > 16 || phone[0] != '+' || phone[1] < '1' || phone[1] > '9')
    return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ParsedSnapshot parse_snapshot(CsvReader& reader, const SnapshotRules& rules, std::string_view org_id,
                              std::size_t max_errors_kept) {
  ParsedSnapshot result;
  const auto reject = [&](std::size_t line, std::string column, std::string message) {
    result.rejection = RowIssue{line, std::move(column), std::move(message)};
    result.users.clear();
    return result;
  };
  auto header = reader.next();
  if (!header) return reject(header.error().line, "", header.error().message);
  if (!*header) return reject(1, "", "the file is empty: it needs a header line and one line per user");

  // Map each required header to its column, in any order, ignoring case and surrounding spaces.
  std::vector<std::optional<std::size_t>> column_of(rules.columns.size());
  const auto& names = (*header)->fields;
  for (std::size_t column = 0; column < names.size(); ++column) {
    const auto name = lower_trimmed(names[column]);
    const auto rule = std::find_if(rules.columns.begin(), rules.columns.end(),
                                   [&](const ColumnRule& r) { return r.header == name; });
    if (rule == rules.columns.end()) {
      if (!name.empty()) result.ignored_columns.push_back(names[column]);
      continue;
    }
    column_of[static_cast<std::size_t>(rule - rules.columns.begin())] = column;
  }
  std::string missing;
  for (std::size_t i = 0; i < rules.columns.size(); ++i) {
    if (!column_of[i]) missing += (missing.empty() ? "" : ", ") + std::string(rules.columns[i].header);
  }
  if (!missing.empty()) {
    std::string expected;
    for (const auto& rule : rules.columns)
      expected += (expected.empty() ? "" : ",") + std::string(rule.header);
    return reject(
        1, missing,
        "the header line lacks " + missing + "; every column is required, even when empty: " + expected);
  }

  std::map<std::string, std::size_t> first_line_of;  // username -> line, for duplicates
  std::string current_id;                            // the username of the row being checked
  const auto row_error = [&](std::size_t line, std::string column, std::string message) {
    ++result.invalid;
    if (!current_id.empty()) result.invalid_ids.push_back(current_id);
    if (result.errors.size() < max_errors_kept)
      result.errors.push_back({line, std::move(column), std::move(message)});
  };
  while (true) {
    auto record = reader.next();
    if (!record) return reject(record.error().line, "", record.error().message);
    if (!*record) break;
    auto& fields = (*record)->fields;
    const auto line = (*record)->line;
    if (fields.size() == 1 && trimmed(fields[0]).empty()) continue;  // a blank line
    ++result.rows;
    UserRow row;
    row.line = line;
    std::string row_org;
    for (std::size_t i = 0; i < rules.columns.size(); ++i) {
      const auto column = *column_of[i];
      field_of(row, rules.columns[i].field, row_org) = column < fields.size() ? trimmed(fields[column]) : "";
    }
    current_id = row.external_id;
    if (rules.org_id_must_match && row_org != org_id) {
      return reject(
          line, "organizationid",
          "line " + std::to_string(line) + ": organizationid '" + row_org.substr(0, 64) +
              "' is not your organization's id; use the id from your onboarding e-mail on every line");
    }
    if (row.external_id.empty()) {
      row_error(line, "username", "username is empty; every user needs a unique username");
      continue;
    }
    if (const auto [seen, inserted] = first_line_of.emplace(row.external_id, line); !inserted) {
      row_error(line, "username",
                "username '" + row.external_id + "' already appears on line " + std::to_string(seen->second) +
                    "; each user may appear once");
      continue;
    }
    if (rules.contact_required && row.email.empty() && row.phone.empty()) {
      row_error(line, "email", "neither email nor mobilephone is given; each user needs at least one");
      continue;
    }
    if (!row.email.empty() && !valid_email(row.email)) {
      row_error(line, "email", "'" + row.email + "' is not an e-mail address (expected name@example.org)");
      continue;
    }
    if (!row.phone.empty() && !valid_e164(row.phone)) {
      row_error(
          line, "mobilephone",
          "'" + row.phone + "' is not a phone number in international format (E.164, e.g. +15713124645)");
      continue;
    }
    result.users.push_back(std::move(row));
  }
  return result;
}

}  // namespace intake::ingest
