#include "ingest/snapshot.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "base/email.hpp"

namespace intake::ingest {
namespace {

std::string lower_trimmed(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

// Trims in place: most cells have nothing to trim and are moved, not copied.
std::string trimmed(std::string&& text) {
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  const auto first = std::find_if_not(text.begin(), text.end(), is_space);
  text.erase(text.begin(), first);
  return std::move(text);
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

// A username on two rows: the first row counts, later ones are row errors. Found by sorting rather
// than with a map of every username, which for a million rows would cost ~100 MB; the sorted order is
// kept for the planner's merge join (plan.hpp). Files exported in username order skip the sort.
void refuse_repeated_usernames(ParsedSnapshot& result, std::size_t max_errors_kept) {
  auto& users = result.users;
  auto& order = result.by_username;
  order.resize(users.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto before = [&](std::uint32_t a, std::uint32_t b) {
    const int c = users[a].external_id.compare(users[b].external_id);
    return c < 0 || (c == 0 && users[a].line < users[b].line);
  };
  const bool strictly_ascending =
      std::adjacent_find(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return users[a].external_id >= users[b].external_id;
      }) == order.end();
  if (strictly_ascending) return;  // no repeats possible, and already in order
  std::sort(order.begin(), order.end(), before);
  std::vector<bool> repeated(users.size(), false);
  std::vector<RowIssue> repeats;
  std::size_t repeat_count = 0;
  for (std::size_t i = 1; i < order.size(); ++i) {
    const auto& first = users[order[i - 1]];
    const auto& row = users[order[i]];
    if (row.external_id != first.external_id) continue;
    repeated[order[i]] = true;
    ++repeat_count;
    ++result.invalid;
    result.invalid_ids.push_back(row.external_id);
    if (repeats.size() < max_errors_kept)
      repeats.push_back({row.line, "username",
                         "username '" + row.external_id + "' already appears on line " +
                             std::to_string(first.line) + "; each user may appear once"});
    std::swap(order[i], order[i - 1]);  // later repeats are compared with the first row too
  }
  if (repeat_count == 0) return;
  // Drop the repeated rows, and renumber the order to the rows that stay.
  std::vector<std::uint32_t> new_index(users.size());
  std::vector<UserRow> kept;
  kept.reserve(users.size() - repeat_count);
  for (std::size_t i = 0; i < users.size(); ++i) {
    new_index[i] = static_cast<std::uint32_t>(kept.size());
    if (!repeated[i]) kept.push_back(std::move(users[i]));
  }
  std::vector<std::uint32_t> kept_order;
  kept_order.reserve(kept.size());
  for (const auto index : order) {
    if (!repeated[index]) kept_order.push_back(new_index[index]);
  }
  users = std::move(kept);
  order = std::move(kept_order);
  // Both lists hold the first errors by line; merged, the first `max_errors_kept` of them.
  result.errors.insert(result.errors.end(), repeats.begin(), repeats.end());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; });
  if (result.errors.size() > max_errors_kept) result.errors.resize(max_errors_kept);
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

bool valid_e164(std::string_view phone) {
  if (phone.size() < 3 || phone.size() > 16 || phone[0] != '+' || phone[1] < '1' || phone[1] > '9')
    return false;
  return std::all_of(phone.begin() + 1, phone.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ParsedSnapshot parse_snapshot(CsvReader& reader, const SnapshotRules& rules, std::string_view org_id,
                              std::size_t max_errors_kept, std::size_t expected_rows) {
  ParsedSnapshot result;
  result.users.reserve(expected_rows);
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

  std::string current_id;  // the username of the row being checked
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
    if (fields.size() == 1 && is_blank(fields[0])) continue;  // a blank line
    ++result.rows;
    UserRow row;
    row.line = line;
    std::string row_org;
    for (std::size_t i = 0; i < rules.columns.size(); ++i) {
      const auto column = *column_of[i];
      field_of(row, rules.columns[i].field, row_org) =
          column < fields.size() ? trimmed(std::move(fields[column])) : std::string();
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
    if (rules.contact_required && row.email.empty() && row.phone.empty()) {
      row_error(line, "email", "neither email nor mobilephone is given; each user needs at least one");
      continue;
    }
    if (!row.email.empty() && !base::check_email(row.email, base::EmailCharset::Utf8)) {
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
  refuse_repeated_usernames(result, max_errors_kept);
  return result;
}

}  // namespace intake::ingest
