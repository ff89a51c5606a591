#include "ingest/file_parser.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>
#include <unordered_map>
#include <unordered_set>

#include "base/email.hpp"
#include "base/text.hpp"
#include "ingest/image.hpp"
#include "ingest/phone.hpp"

namespace intake::ingest {
namespace {

bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

using base::trim;

std::string lower_trimmed(std::string_view text) { return base::ascii_lower(trim(text)); }

// The non-empty, trimmed items of a multi-valued cell.
std::vector<std::string_view> split_list(std::string_view cell, char separator) {
  std::vector<std::string_view> items;
  while (true) {
    const auto end = cell.find(separator);
    const auto item = trim(cell.substr(0, end));
    if (!item.empty()) items.push_back(item);
    if (end == std::string_view::npos) break;
    cell.remove_prefix(end + 1);
  }
  return items;
}

bool is_blank(std::string_view text) { return std::all_of(text.begin(), text.end(), is_space); }

// Trims in place: most cells have nothing to trim and are moved, not copied.
std::string trimmed(std::string&& text) {
  while (!text.empty() && is_space(text.back())) text.pop_back();
  const auto first = std::find_if_not(text.begin(), text.end(), is_space);
  text.erase(text.begin(), first);
  return std::move(text);
}

using base::equals_ignoring_ascii_case;

bool all_digits(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// SAP's formats: XX, xx, xx-XX or xx_XX.
bool valid_language(std::string_view code) {
  const auto letters = [](std::string_view part) {
    return part.size() == 2 && std::all_of(part.begin(), part.end(), [](char c) {
             return std::isalpha(static_cast<unsigned char>(c)) != 0;
           });
  };
  if (code.size() == 2) return letters(code);
  return code.size() == 5 && (code[2] == '-' || code[2] == '_') && letters(code.substr(0, 2)) &&
         letters(code.substr(3));
}

bool valid_date_time(int year, int month, int day, int hour, int minute, int second) {
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month < 1 || month > 12 || day < 1) return false;
  if (day > kDays[month - 1] || (month == 2 && day == 29 && !leap)) return false;
  return hour <= 23 && minute <= 59 && second <= 59;
}

bool valid_timestamp(std::string_view value, std::string_view format) {
  const auto number = [&](std::size_t at, std::size_t length) {
    int n = 0;
    for (std::size_t i = at; i < at + length; ++i) n = n * 10 + (value[i] - '0');
    return n;
  };
  if (format == "iso8601") {  // 2026-11-22T02:00:00Z
    if (value.size() != 20 || value[4] != '-' || value[7] != '-' || value[10] != 'T' || value[13] != ':' ||
        value[16] != ':' || value[19] != 'Z')
      return false;
    for (const std::size_t at : {0, 5, 8, 11, 14, 17}) {
      if (!all_digits(value.substr(at, at == 0 ? 4 : 2))) return false;
    }
    return valid_date_time(number(0, 4), number(5, 2), number(8, 2), number(11, 2), number(14, 2),
                           number(17, 2));
  }
  // yyyyMMddHHmmss'Z'
  if (value.size() != 15 || value[14] != 'Z' || !all_digits(value.substr(0, 14))) return false;
  return valid_date_time(number(0, 4), number(4, 2), number(6, 2), number(8, 2), number(10, 2),
                         number(12, 2));
}

std::string timestamp_example(std::string_view format) {
  return format == "iso8601" ? "2026-11-22T02:00:00Z" : "20261122020000Z";
}

// One bound column: where its cell is in the file's records (nullopt: the file lacks it).
struct Binding {
  const ColumnSpec* column;
  std::optional<std::size_t> index;
  std::optional<std::regex> pattern;
  std::unordered_map<std::string, std::size_t> seen;  // unique columns: value -> first line
};

// A key on two rows: the first row counts, later ones are row errors. Found by sorting rather than
// with a map of every key, which for a million rows would cost ~100 MB; the sorted order is kept for
// the planner's merge join. Files exported in key order skip the sort.
void refuse_repeated_keys(ParsedFile& result, const FileSpec& spec, std::size_t max_errors_kept) {
  const auto& key_header = spec.key().header;
  auto& rows = result.rows;
  auto& order = result.by_key;
  order.resize(rows.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  const bool strictly_ascending =
      std::adjacent_find(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return rows[a].key >= rows[b].key;
      }) == order.end();
  if (strictly_ascending) return;  // no repeats possible, and already in order
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const int c = rows[a].key.compare(rows[b].key);
    return c < 0 || (c == 0 && rows[a].line < rows[b].line);
  });
  if (spec.keys_repeat()) return;
  std::vector<bool> repeated(rows.size(), false);
  std::vector<RowIssue> repeats;
  std::size_t repeat_count = 0;
  for (std::size_t i = 1; i < order.size(); ++i) {
    const auto& first = rows[order[i - 1]];
    const auto& row = rows[order[i]];
    if (row.key != first.key) continue;
    const auto refuse = [&](std::uint32_t index, std::string message) {
      repeated[index] = true;
      ++repeat_count;
      ++result.invalid;
      result.kept_keys.push_back(rows[index].key);
      if (repeats.size() < max_errors_kept)
        repeats.push_back({rows[index].line, key_header, std::move(message), rows[index].key});
    };
    // SecureAuth: "If there is a duplicate user identity in the CSV file, it treats this an invalid row"
    // — every row of it; otherwise the first row counts.
    if (spec.repeated_keys_all_invalid && !repeated[order[i - 1]]) {
      refuse(order[i - 1], key_header + " " + excerpt(row.key) + " appears again on line " +
                               std::to_string(row.line) + "; a user listed more than once is not imported");
    }
    refuse(order[i], key_header + " " + excerpt(row.key) + " already appears on line " +
                         std::to_string(first.line) +
                         (spec.repeated_keys_all_invalid ? "; a user listed more than once is not imported"
                                                         : "; each user may appear once"));
    std::swap(order[i], order[i - 1]);  // later repeats are compared with the first row too
  }
  if (repeat_count == 0) return;
  // Drop the repeated rows, and renumber the order to the rows that stay.
  std::vector<std::uint32_t> new_index(rows.size());
  std::vector<FileRow> kept;
  kept.reserve(rows.size() - repeat_count);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    new_index[i] = static_cast<std::uint32_t>(kept.size());
    if (!repeated[i]) kept.push_back(std::move(rows[i]));
  }
  std::vector<std::uint32_t> kept_order;
  kept_order.reserve(kept.size());
  for (const auto index : order) {
    if (!repeated[index]) kept_order.push_back(new_index[index]);
  }
  rows = std::move(kept);
  order = std::move(kept_order);
  // Both lists hold the first errors by line; merged, the first `max_errors_kept` of them.
  result.errors.insert(result.errors.end(), repeats.begin(), repeats.end());
  std::stable_sort(result.errors.begin(), result.errors.end(),
                   [](const RowIssue& a, const RowIssue& b) { return a.line < b.line; });
  if (result.errors.size() > max_errors_kept) result.errors.resize(max_errors_kept);
}

// "has 300 characters; it must have at most 256", or nothing when the value's length is allowed.
std::optional<std::string> length_problem(const ColumnSpec& column, std::string_view value) {
  const auto characters = base::utf8_characters(value);
  if (characters <= column.max_length && characters >= column.min_length) return std::nullopt;
  return "has " + std::to_string(characters) + " characters; it must have " +
         (column.min_length > 0 ? "from " + std::to_string(column.min_length) + " to "
                                : std::string("at most ")) +
         std::to_string(column.max_length);
}

// A list's items from their cells (validated already, each as its own column): the JSON list and the
// primary item's value into the list's output cells, or what is wrong with the row.
std::optional<std::pair<std::string, std::string>> assemble_list(const ListSpec& list,
                                                                 std::vector<std::string>& cells) {
  const auto fields = list.fields.size();
  const auto cell = [&](std::size_t item, std::size_t field) -> std::string& {
    return cells[list.item_columns[item * fields + field]];
  };
  const auto name = [&](std::size_t item, std::size_t field) {
    return list.prefix + "[" + std::to_string(item) + "]." + list.fields[field].header;
  };
  nlohmann::json items = nlohmann::json::array();
  std::optional<std::size_t> primary, first;
  for (std::size_t item = 0; item < list.max_items; ++item) {
    nlohmann::json entry = nlohmann::json::object();
    for (std::size_t field = 0; field < fields; ++field) {
      if (!cell(item, field).empty()) entry[list.fields[field].header] = cell(item, field);
    }
    if (entry.empty()) continue;
    if (list.first_field_required && cell(item, 0).empty()) {
      return std::pair{name(item, 0), name(item, 0) + " is empty while other " + list.prefix + "[" +
                                          std::to_string(item) + "] fields are given; an item needs its " +
                                          list.fields[0].header};
    }
    if (!first) first = item;
    if (!list.primary_field.empty() &&
        base::equals_ignoring_ascii_case(entry.value(list.primary_field, ""), "TRUE")) {
      if (primary) {
        return std::pair{list.prefix, list.prefix + "[" + std::to_string(*primary) + "] and " + list.prefix +
                                          "[" + std::to_string(item) + "] are both marked primary; mark one"};
      }
      primary = item;
    }
    items.push_back(std::move(entry));
  }
  if (items.size() < list.min_items) {
    return std::pair{name(0, 0), "no " + list.prefix + "[N]." + list.fields[0].header +
                                     " is given; each row needs at least " + std::to_string(list.min_items)};
  }
  cells[list.output_column] = items.empty() ? std::string() : items.dump();
  if (list.primary_column) cells[*list.primary_column] = first ? cell(primary.value_or(*first), 0) : "";
  return std::nullopt;
}

std::string list_of(const std::vector<std::string>& items, std::string_view last_joiner) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? std::string(last_joiner) : std::string(", ");
    out += items[i];
  }
  return out;
}

}  // namespace

std::string excerpt(std::string_view value) { return base::quoted_excerpt(value); }

const SecretCell* ParsedFile::secret_of(const FileRow& row) const {
  const auto found =
      std::lower_bound(secrets.begin(), secrets.end(), row.line,
                       [](const SecretCell& cell, std::uint32_t line) { return cell.line < line; });
  return found != secrets.end() && found->line == row.line ? &*found : nullptr;
}

ParsedFile parse_file(CsvReader& reader, const FileSpec& spec, const ParseContext& context) {
  ParsedFile result;
  result.rows.reserve(context.expected_rows);
  result.managed.assign(spec.slots.size(), false);
  const auto reject = [&](std::size_t line, std::string column, std::string message) {
    result.rejection = RowIssue{line, std::move(column), std::move(message), {}};
    result.rows.clear();
    return std::move(result);  // every caller returns it at once
  };
  const auto read = [&]() -> tl::expected<std::optional<CsvRecord>, CsvError> {
    while (true) {  // blank lines are not rows
      auto record = reader.next();
      if (!record || !*record) return record;
      const auto& fields = (**record).fields;
      if (!(fields.size() == 1 && is_blank(fields[0]))) return record;
    }
  };
  auto first = read();
  if (!first) return reject(first.error().line, "", first.error().message);
  if (!*first) {
    return reject(1, "",
                  spec.header == HeaderMode::None
                      ? "the file is empty: it needs one line per row"
                      : "the file is empty: it needs a header line and one line per row");
  }
  if (!spec.utf16 &&
      (reader.encoding() == TextEncoding::Utf16Le || reader.encoding() == TextEncoding::Utf16Be))
    return reject(1, "", "the file is UTF-16; this file must be UTF-8: save it as UTF-8 and upload it again");

  std::vector<Binding> bindings;
  bindings.reserve(spec.columns.size());
  for (const auto& column : spec.columns) {
    Binding binding{&column, std::nullopt, std::nullopt, {}};
    if (!column.pattern.empty()) binding.pattern.emplace(column.pattern, std::regex::ECMAScript);
    bindings.push_back(std::move(binding));
  }
  // Header row: required, none, or detected (the first line names the key column).
  std::optional<CsvRecord> pending = std::move(**first);
  bool has_header = spec.header == HeaderMode::Required;
  if (spec.header == HeaderMode::Optional) {
    const auto key_header = lower_trimmed(spec.key().header);
    has_header = std::any_of(pending->fields.begin(), pending->fields.end(),
                             [&](const std::string& field) { return lower_trimmed(field) == key_header; });
  }
  if (has_header) {
    const auto& names = pending->fields;
    std::vector<std::string> unknown;
    for (std::size_t index = 0; index < names.size(); ++index) {
      const auto name = lower_trimmed(names[index]);
      const auto bound = std::find_if(bindings.begin(), bindings.end(), [&](const Binding& b) {
        return !b.column->list_output && lower_trimmed(b.column->header) == name;
      });
      if (bound == bindings.end()) {
        if (!name.empty()) unknown.push_back(base::escape_for_log(trim(names[index])));
      } else if (!bound->index) {
        bound->index = index;
      }
    }
    std::vector<std::string> missing;
    for (const auto& binding : bindings) {
      if (!binding.index &&
          (binding.column->header_required || binding.column->target.kind == TargetKind::Key))
        missing.push_back(binding.column->header);
    }
    if (!missing.empty()) {
      std::vector<std::string> required;
      for (const auto& column : spec.columns) {
        if (column.header_required || column.target.kind == TargetKind::Key)
          required.push_back(column.header);
      }
      std::string hint = "the header line lacks " + list_of(missing, " and ") +
                         "; required columns: " + list_of(required, ", ");
      if (pending->fields.size() == 1 && pending->fields[0].find_first_of(";\t|,") != std::string::npos &&
          spec.delimiter == ',') {
        hint += " (the line has one column: are the columns separated by ',' ?)";
      }
      return reject(1, list_of(missing, ", "), hint);
    }
    if (!unknown.empty() && spec.unknown_columns == UnknownColumns::Reject) {
      return reject(1, list_of(unknown, ", "),
                    "the header line has columns this file does not take: " + list_of(unknown, ", ") +
                        "; remove them and upload the file again");
    }
    result.ignored_columns = std::move(unknown);
    result.has_header = true;
    pending.reset();
  } else {
    for (auto& binding : bindings) {
      if (binding.column->position) binding.index = *binding.column->position - 1;
    }
  }
  std::optional<std::size_t> password;  // its binding
  std::vector<bool> feeds_slot(bindings.size());
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const auto& column = *bindings[i].column;
    if (column.target.kind == TargetKind::Password) {
      password = i;
      result.secret_field = bindings[i].index;
      continue;
    }
    feeds_slot[i] = column.target.kind != TargetKind::OrgId && column.target.kind != TargetKind::Skip &&
                    column.target.kind != TargetKind::ListItem &&
                    (column.target.kind != TargetKind::Key || column.also);
    if (column.list_output) {  // managed when any of its items' columns is in the file
      const auto& items = spec.lists[*column.of_list].item_columns;
      result.managed[column.slot] = std::any_of(items.begin(), items.end(),
                                                [&](std::size_t c) { return bindings[c].index.has_value(); });
      continue;
    }
    if (feeds_slot[i])
      result.managed[column.slot] = bindings[i].index.has_value() || column.clear_when_absent;
  }
  // Column sets that satisfy row_requires_any, as binding indices.
  std::vector<std::vector<std::size_t>> requirement_sets;
  for (const auto& set : spec.row_requires_any) {
    auto& indices = requirement_sets.emplace_back();
    for (const auto& header : set) {
      for (std::size_t i = 0; i < bindings.size(); ++i) {
        if (equals_ignoring_ascii_case(bindings[i].column->header, header)) indices.push_back(i);
      }
    }
  }

  const auto& key_header = spec.key().header;
  std::vector<std::string> cells(bindings.size());
  std::string current_key;
  const auto row_error = [&](std::size_t line, const std::string& column, std::string message) {
    ++result.invalid;
    if (!current_key.empty()) result.kept_keys.push_back(current_key);
    if (result.errors.size() < context.max_errors_kept)
      result.errors.push_back({line, column, std::move(message), current_key});
  };
  while (true) {
    CsvRecord record;
    if (pending) {
      record = std::move(*pending);
      pending.reset();
    } else {
      auto next = read();
      if (!next) return reject(next.error().line, "", next.error().message);
      if (!*next) break;
      record = std::move(**next);
    }
    ++result.records;
    const auto line = record.line;
    if (password) base::wipe(cells[*password]);  // last row's, if it was left out
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      const auto index = bindings[i].index;
      if (i == password) {  // as typed, spaces and all; the record's copy is wiped
        cells[i].clear();
        if (index && *index < record.fields.size()) {
          cells[i].append(record.fields[*index]);
          base::wipe(record.fields[*index]);
        }
        continue;
      }
      cells[i] =
          index && *index < record.fields.size() ? trimmed(std::move(record.fields[*index])) : std::string();
      if (cells[i].empty()) cells[i] = bindings[i].column->default_value;
    }
    current_key = cells[spec.key_column];
    std::optional<std::pair<std::string, std::string>> problem;  // column, message
    bool skip = false;
    for (std::size_t i = 0; i < bindings.size() && !problem; ++i) {
      const auto& column = *bindings[i].column;
      const auto& cell = cells[i];
      const auto& name = column.header;
      if (column.target.kind == TargetKind::OrgId) {
        if (cell != context.org_id) {
          return reject(
              line, name,
              "line " + std::to_string(line) + ": " + name + " " + excerpt(cell) +
                  " is not your organization's id; use the id from your onboarding e-mail on every line");
        }
        continue;
      }
      if (column.target.kind == TargetKind::Skip) {
        skip =
            std::find(column.skip_values.begin(), column.skip_values.end(), cell) != column.skip_values.end();
        continue;
      }
      if (cell.empty()) {
        if (column.required) {
          problem.emplace(name, column.target.kind == TargetKind::Key
                                    ? name + " is empty; every row needs its unique " + name
                                    : name + " is empty; it is required");
        }
        continue;
      }
      if (const auto bad = base::forbidden_character(cell)) {
        problem.emplace(name, name + " contains " + *bad + "; remove it and upload the file again");
        continue;
      }
      if (column.target.kind == TargetKind::Password) {  // never quoted: only its length is told
        if (auto wrong = length_problem(column, cell)) problem.emplace(name, name + " " + *wrong);
        continue;
      }
      std::vector<std::string_view> values;
      std::vector<std::pair<std::string_view, std::string>> normalised;  // value as typed -> as stored
      if (column.list_separator) {
        values = split_list(cell, *column.list_separator);
        if (column.target.kind == TargetKind::Groups && values.size() > spec.max_groups_per_user) {
          problem.emplace(name, name + " names " + std::to_string(values.size()) + " groups; at most " +
                                    std::to_string(spec.max_groups_per_user) + " are allowed per user");
          continue;
        }
      } else {
        values.push_back(cell);
      }
      for (const auto value : values) {
        if (auto wrong = length_problem(column, value)) {
          problem.emplace(name, name + " " + excerpt(value) + " " + *wrong);
          break;
        }
        if (!column.allowed.empty() &&
            std::none_of(column.allowed.begin(), column.allowed.end(), [&](const std::string& allowed) {
              return equals_ignoring_ascii_case(allowed, value);
            })) {
          problem.emplace(name,
                          name + " " + excerpt(value) + " is not one of " + list_of(column.allowed, " or "));
          break;
        }
        if (bindings[i].pattern && !std::regex_match(value.begin(), value.end(), *bindings[i].pattern)) {
          problem.emplace(name, name + " " + excerpt(value) +
                                    (column.pattern_message.empty()
                                         ? " does not have the expected form (" + column.pattern + ")"
                                         : " " + column.pattern_message));
          break;
        }
        switch (column.check) {
          case Check::None: break;
          case Check::Email:
            // check_email's message quotes the value and says what is expected.
            if (const auto checked = base::check_email(value, base::EmailCharset::Utf8); !checked)
              problem.emplace(name, name + ": " + checked.error());
            break;
          case Check::Phone:
            if (auto phone = normalise_phone(value, context.phone_region); !phone) {
              problem.emplace(name, name + " " + phone.error());
            } else if (*phone != value) {
              normalised.emplace_back(value, std::move(*phone));
            }
            break;
          case Check::Language:
            if (!valid_language(value))
              problem.emplace(
                  name, name + " " + excerpt(value) +
                            " is not a language code (expected xx, XX, xx-XX or xx_XX, e.g. de or en-US)");
            break;
          case Check::Role:
            if (!context.roles.empty() &&
                std::none_of(context.roles.begin(), context.roles.end(), [&](const std::string& role) {
                  return equals_ignoring_ascii_case(role, value);
                })) {
              problem.emplace(
                  name, name + " " + excerpt(value) + " is not one of this account's roles (" +
                            base::join(std::vector<std::string>(context.roles.begin(), context.roles.end())) +
                            ")");
            }
            break;
          case Check::Timestamp:
            if (!valid_timestamp(value, column.timestamp_format))
              problem.emplace(name, name + " " + excerpt(value) + " is not a time in the form " +
                                        column.timestamp_format + " (e.g. " +
                                        timestamp_example(column.timestamp_format) + ")");
            break;
        }
        if (problem) break;
      }
      if (!problem && !normalised.empty()) {
        // Stored as E.164 ("571-312-4600" with region US is stored "+15713124600").
        std::string rewritten;
        for (std::size_t v = 0; v < values.size(); ++v) {
          const auto value = values[v];
          if (v > 0) rewritten += *column.list_separator;
          const auto found = std::find_if(normalised.begin(), normalised.end(),
                                          [&](const auto& pair) { return pair.first == value; });
          rewritten += found == normalised.end() ? std::string(value) : found->second;
        }
        normalised.clear();
        cells[i] = std::move(rewritten);
      }
      if (!problem && !column.allowed.empty() && !column.list_separator) {
        // Stored as the profile spells it ("Active" is stored "active").
        cells[i] = *std::find_if(
            column.allowed.begin(), column.allowed.end(),
            [&](const std::string& allowed) { return equals_ignoring_ascii_case(allowed, cells[i]); });
      }
    }
    for (std::size_t l = 0; l < spec.lists.size() && !problem && !skip; ++l)
      problem = assemble_list(spec.lists[l], cells);
    if (!problem && !skip) {
      // row_requires_any: at least one set with every column non-empty.
      const bool satisfied =
          requirement_sets.empty() ||
          std::any_of(
              requirement_sets.begin(), requirement_sets.end(), [&](const std::vector<std::size_t>& set) {
                return std::all_of(set.begin(), set.end(), [&](std::size_t i) { return !cells[i].empty(); });
              });
      if (!satisfied) {
        std::vector<std::string> options;
        for (const auto& set : spec.row_requires_any) options.push_back(list_of(set, " and "));
        problem.emplace(
            spec.row_requires_any.front().front(),
            "neither " + list_of(options, " nor ") + " is given; each row needs " + list_of(options, " or "));
      }
    }
    if (!problem && !skip) {
      for (auto& binding : bindings) {
        if (!binding.column->unique || binding.column->target.kind == TargetKind::Key) continue;
        const auto& cell = cells[static_cast<std::size_t>(&binding - bindings.data())];
        if (cell.empty()) continue;
        const auto [at, inserted] = binding.seen.emplace(cell, line);
        if (!inserted) {
          problem.emplace(binding.column->header, binding.column->header + " " + excerpt(cell) +
                                                      " already appears on line " +
                                                      std::to_string(at->second) + "; it must be unique");
          break;
        }
      }
    }
    if (problem) {
      row_error(line, problem->first, std::move(problem->second));
      continue;
    }
    if (skip) {
      ++result.skipped;
      if (!current_key.empty()) result.kept_keys.push_back(current_key);
      if (result.skips.size() < context.max_errors_kept) {
        result.skips.push_back(
            {line, key_header, "skipped as the file asks (the user is kept as it was)", current_key});
      }
      continue;
    }
    // The image: each slot from its column, in slot order (the loader numbers slots in column order),
    // groups as a sorted set; empty where the file lacks the column.
    FileRow row;
    row.key = std::move(current_key);
    row.line = static_cast<std::uint32_t>(line);
    if (password && !cells[*password].empty())
      result.secrets.push_back({row.line, base::SecretString(cells[*password]), {}});
    std::size_t size = 0;
    for (std::size_t i = 0; i < bindings.size(); ++i) size += feeds_slot[i] ? cells[i].size() + 2 : 0;
    row.image.reserve(size);
    for (std::size_t i = 0; i < bindings.size(); ++i) {
      if (!feeds_slot[i]) continue;
      const auto& column = *bindings[i].column;
      if (column.list_separator && cells[i].find(*column.list_separator) != std::string::npos) {
        const auto items = split_list(cells[i], *column.list_separator);
        append_slot(row.image, join_set(std::vector<std::string>(items.begin(), items.end())));
      } else {
        append_slot(row.image, cells[i]);
      }
    }
    result.rows.push_back(std::move(row));
    current_key.clear();
  }
  if (password) base::wipe(cells[*password]);
  refuse_repeated_keys(result, spec, context.max_errors_kept);
  return result;
}

}  // namespace intake::ingest
