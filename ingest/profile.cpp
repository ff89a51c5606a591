#include "ingest/profile.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <map>
#include <regex>
#include <set>

#include "base/sha256.hpp"
#include "base/text.hpp"

namespace intake::ingest {
namespace {

using base::ascii_lower;

// Reads one TOML table, remembering where it is so that every error names the line and the key, and
// refusing keys it does not know (a misspelt key silently ignored would be a rule silently missing).
class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, std::string_view source)
      : table_(table), path_(std::move(path)), source_(source) {}

  std::string where(std::string_view key) const {
    const auto* node = table_.get(key);
    const auto line = node ? node->source().begin.line : table_.source().begin.line;
    return std::string(source_) + ":" + std::to_string(line) + ": " + path_ + (path_.empty() ? "" : ".") +
           std::string(key);
  }
  [[noreturn]] void fail(std::string_view key, const std::string& message) const {
    throw std::invalid_argument(where(key) + ": " + message);
  }

  std::optional<std::string> text(std::string_view key) {
    seen_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (!node) return std::nullopt;
    if (const auto* value = node->as_string()) return value->get();
    fail(key, "must be a string in quotes");
  }
  std::string required_text(std::string_view key) {
    auto value = text(key);
    if (!value || value->empty()) fail(key, "is required");
    return *value;
  }
  std::optional<bool> flag(std::string_view key) {
    seen_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (!node) return std::nullopt;
    if (const auto* value = node->as_boolean()) return value->get();
    fail(key, "must be true or false");
  }
  std::optional<std::int64_t> number(std::string_view key, std::int64_t least, std::int64_t most) {
    seen_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (!node) return std::nullopt;
    const auto* value = node->as_integer();
    if (!value || value->get() < least || value->get() > most)
      fail(key, "must be a whole number from " + std::to_string(least) + " to " + std::to_string(most));
    return value->get();
  }
  std::vector<std::string> texts(std::string_view key) {
    seen_.insert(std::string(key));
    std::vector<std::string> out;
    const auto* node = table_.get(key);
    if (!node) return out;
    const auto* array = node->as_array();
    if (!array) fail(key, "must be a list of strings, e.g. [\"a\", \"b\"]");
    for (const auto& item : *array) {
      const auto* value = item.as_string();
      if (!value) fail(key, "must be a list of strings, e.g. [\"a\", \"b\"]");
      out.push_back(value->get());
    }
    return out;
  }
  // A list of lists of strings: [["Name"], ["FirstName", "LastName"]].
  std::vector<std::vector<std::string>> text_sets(std::string_view key) {
    seen_.insert(std::string(key));
    std::vector<std::vector<std::string>> out;
    const auto* node = table_.get(key);
    if (!node) return out;
    const auto* array = node->as_array();
    const auto usage = "must be a list of lists of column headers, e.g. [[\"email\"], [\"phone\"]]";
    if (!array) fail(key, usage);
    for (const auto& item : *array) {
      const auto* inner = item.as_array();
      if (!inner || inner->empty()) fail(key, usage);
      auto& set = out.emplace_back();
      for (const auto& header : *inner) {
        const auto* value = header.as_string();
        if (!value) fail(key, usage);
        set.push_back(value->get());
      }
    }
    return out;
  }
  template <typename Enum>
  std::optional<Enum> choice(std::string_view key, const std::map<std::string_view, Enum>& options) {
    const auto value = text(key);
    if (!value) return std::nullopt;
    if (const auto found = options.find(*value); found != options.end()) return found->second;
    std::string list;
    for (const auto& [name, _] : options) list += (list.empty() ? "" : ", ") + std::string(name);
    fail(key, "is '" + *value + "'; it must be one of " + list);
  }
  const toml::array* tables(std::string_view key) {
    seen_.insert(std::string(key));
    const auto* node = table_.get(key);
    if (!node) return nullptr;
    const auto* array = node->as_array();
    if (!array || !array->is_array_of_tables())
      fail(key, "must be a list of tables, written [[" + path_ + (path_.empty() ? "" : ".") +
                    std::string(key) + "]]");
    return array;
  }
  void refuse_unknown_keys() const {
    for (const auto& [key, node] : table_) {
      if (!seen_.contains(std::string(key.str())))
        fail(key.str(), "is not a profile key (docs/PROFILES.md lists them); check its spelling");
    }
  }

 private:
  const toml::table& table_;
  std::string path_;
  std::string_view source_;
  std::set<std::string> seen_;
};

// The value rules a column and a list's field share: lengths, an enumeration, a pattern, a check.
void read_rules(TableReader& in, ColumnSpec& column) {
  column.min_length = static_cast<std::size_t>(in.number("min_length", 0, 1 << 20).value_or(0));
  column.max_length = static_cast<std::size_t>(in.number("max_length", 1, 1 << 20).value_or(256));
  if (column.min_length > column.max_length) in.fail("min_length", "is larger than max_length");
  column.allowed = in.texts("allowed");
  if (auto pattern = in.text("pattern")) {
    try {
      std::regex check(*pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& error) {
      in.fail("pattern", "is not a regular expression: " + std::string(error.what()));
    }
    column.pattern = std::move(*pattern);
  }
  column.pattern_message = in.text("pattern_message").value_or("");
  if (!column.pattern_message.empty() && column.pattern.empty())
    in.fail("pattern_message", "needs a pattern: it is what a value breaking the pattern is told");
  column.check = in.choice<Check>("check", {{"email", Check::Email},
                                            {"phone", Check::Phone},
                                            {"language", Check::Language},
                                            {"timestamp", Check::Timestamp},
                                            {"role", Check::Role}})
                     .value_or(Check::None);
  column.timestamp_format = in.text("timestamp_format").value_or("");
  if (column.check == Check::Timestamp && column.timestamp_format != "yyyyMMddHHmmss'Z'" &&
      column.timestamp_format != "iso8601") {
    in.fail("timestamp_format", "must be \"yyyyMMddHHmmss'Z'\" or \"iso8601\" for check = \"timestamp\"");
  }
}

ColumnSpec read_column(TableReader& in) {
  ColumnSpec column;
  column.header = in.required_text("header");
  if (const auto position = in.number("position", 1, 1000))
    column.position = static_cast<std::size_t>(*position);
  const auto target = in.required_text("target");
  const auto parsed = parse_target(target);
  if (!parsed) {
    in.fail("target",
            "'" + target +
                "' is not a target; use key, org_id, skip, groups, operation, group_name, password, a user "
                "field (login_name, email, first_name, last_name, display_name, title, language, "
                "account_status, valid_from, valid_to), contact:email|phone:TYPE or attribute:NAME");
  }
  column.target = *parsed;
  if (const auto also = in.text("also")) {
    const auto also_target = parse_target(*also);
    if (column.target.kind != TargetKind::Key || !also_target || also_target->kind != TargetKind::Field)
      in.fail("also", "only a key column may also feed a user field, e.g. also = \"email\"");
    column.also = also_target;
  }
  column.required = in.flag("required").value_or(false);
  column.header_required = in.flag("header_required").value_or(false);
  read_rules(in, column);
  if (const auto separator = in.text("list_separator")) {
    if (separator->size() != 1) in.fail("list_separator", "must be one character, e.g. \",\" or \";\"");
    column.list_separator = (*separator)[0];
  }
  column.default_value = in.text("default").value_or("");
  column.unique = in.flag("unique").value_or(false);
  column.clear_when_absent = in.flag("clear_when_absent").value_or(false);
  column.skip_values = in.texts("skip_values");
  column.delete_values = in.texts("delete_values");
  column.sample = in.text("sample").value_or("");
  if (column.target.kind == TargetKind::Skip && column.skip_values.empty())
    in.fail("skip_values", "is required for a skip column: the values that mean \"do not import this row\"");
  if (column.target.kind == TargetKind::Operation) {
    // `allowed` lists every flag; `delete_values` the ones that delete.
    if (column.allowed.empty() || column.delete_values.empty())
      in.fail("allowed",
              "an operation column needs allowed (every flag, e.g. [\"U\", \"D\"]) and "
              "delete_values (the flags that delete, e.g. [\"D\"])");
    for (const auto& value : column.delete_values) {
      if (std::none_of(column.allowed.begin(), column.allowed.end(),
                       [&](const std::string& a) { return base::equals_ignoring_ascii_case(a, value); }))
        in.fail("delete_values", "'" + value + "' is not one of the allowed flags");
    }
    column.required = true;
  } else if (!column.delete_values.empty()) {
    in.fail("delete_values", "only an operation column has delete_values");
  }
  if (column.target.kind == TargetKind::Password &&
      (!column.allowed.empty() || !column.pattern.empty() || column.check != Check::None ||
       column.list_separator || column.unique || !column.default_value.empty()))
    in.fail("target",
            "a password column takes no allowed, pattern, check, list_separator, unique or default: "
            "its value is never compared, quoted or stored, only hashed");
  in.refuse_unknown_keys();
  return column;
}

ListSpec read_list(TableReader& in, std::string_view source, const std::string& path) {
  ListSpec list;
  list.prefix = in.required_text("prefix");
  const bool valid_prefix = std::all_of(list.prefix.begin(), list.prefix.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
  if (!valid_prefix || list.prefix.size() > 64)
    in.fail("prefix", "must be letters, digits, '_' or '.' (at most 64), e.g. \"emails\"");
  const auto target = parse_target(in.required_text("target"));
  if (!target || target->kind != TargetKind::Attribute)
    in.fail("target", "must be attribute:NAME: the list is stored there as JSON");
  list.target = *target;
  if (const auto primary_to = in.text("primary_to")) {
    const auto parsed = parse_target(*primary_to);
    if (!parsed || (parsed->kind != TargetKind::Field && parsed->kind != TargetKind::Contact))
      in.fail("primary_to", "must be a user field or contact:KIND:TYPE, e.g. \"email\"");
    list.primary_to = parsed;
  }
  list.primary_field = in.text("primary_field").value_or("");
  list.first_field_required = in.flag("first_field_required").value_or(true);
  list.max_items = static_cast<std::size_t>(in.number("max_items", 1, 100).value_or(10));
  list.min_items = static_cast<std::size_t>(in.number("min_items", 0, 100).value_or(0));
  if (list.min_items > list.max_items) in.fail("min_items", "is larger than max_items");
  const auto* fields = in.tables("fields");
  if (!fields || fields->empty())
    in.fail("fields", "is required: one [[files.lists.fields]] table per field");
  for (std::size_t i = 0; i < fields->size(); ++i) {
    TableReader field_in(*(*fields)[i].as_table(), path + ".fields[" + std::to_string(i) + "]", source);
    ColumnSpec field;
    field.header = field_in.required_text("name");
    read_rules(field_in, field);
    field.sample = field_in.text("sample").value_or("");
    field_in.refuse_unknown_keys();
    list.fields.push_back(std::move(field));
  }
  if (!list.primary_field.empty() &&
      std::none_of(list.fields.begin(), list.fields.end(),
                   [&](const ColumnSpec& field) { return field.header == list.primary_field; }))
    in.fail("primary_field", "'" + list.primary_field + "' is not one of the list's fields");
  in.refuse_unknown_keys();
  return list;
}

// A list's columns: every field of every item ("emails[0].value" …), then its outputs.
void add_list_columns(FileSpec& spec, std::size_t index) {
  auto& list = spec.lists[index];
  for (std::size_t item = 0; item < list.max_items; ++item) {
    for (std::size_t field = 0; field < list.fields.size(); ++field) {
      ColumnSpec column = list.fields[field];
      column.header = list.prefix + "[" + std::to_string(item) + "]." + list.fields[field].header;
      column.target = Target::of(TargetKind::ListItem);
      column.header_required = item == 0 && field == 0 && list.min_items > 0;
      if (item > 0) column.sample.clear();
      column.of_list = index;
      column.list_item = item;
      column.list_field = field;
      list.item_columns.push_back(spec.columns.size());
      spec.columns.push_back(std::move(column));
    }
  }
  const auto output = [&](std::string header, Target target) {
    ColumnSpec column;
    column.header = std::move(header);
    column.target = std::move(target);
    column.max_length = std::size_t{1} << 20;
    column.of_list = index;
    column.list_output = true;
    spec.columns.push_back(std::move(column));
    return spec.columns.size() - 1;
  };
  list.output_column = output(list.prefix + "[N]", list.target);
  if (list.primary_to) list.primary_column = output(list.prefix + "[N] primary", *list.primary_to);
}

// Which targets a file's semantics can use: users' files feed users, a group file names groups, a
// membership file pairs groups with users.
void check_targets_fit(TableReader& in, const FileSpec& spec) {
  std::size_t operations = 0, passwords = 0, groups = 0;
  for (const auto& column : spec.columns) {
    const auto kind = column.target.kind;
    operations += kind == TargetKind::Operation;
    passwords += kind == TargetKind::Password;
    groups += kind == TargetKind::Groups;
    const bool fits = [&] {
      if (kind == TargetKind::Key || kind == TargetKind::OrgId || kind == TargetKind::Skip) return true;
      switch (spec.semantics) {
        case Semantics::DeleteList: return false;  // the key only
        case Semantics::GroupOps: return kind == TargetKind::Operation || kind == TargetKind::GroupName;
        case Semantics::MembershipReset: return kind == TargetKind::Groups;
        default: return kind != TargetKind::Operation && kind != TargetKind::GroupName;  // ListItem too
      }
    }();
    if (!fits) {
      in.fail("semantics", "column '" + column.header + "' (target = \"" + target_text(column.target) +
                               "\") has no meaning in a " + std::string(semantics_name(spec.semantics)) +
                               " file; see docs/PROFILES.md, \"Semantics\"");
    }
  }
  if (passwords > 1) in.fail("columns", "only one column may be the password");
  if (spec.semantics == Semantics::GroupOps && operations != 1)
    in.fail("columns", "a group_ops file needs one column with target = \"operation\" (U or D)");
  if (spec.semantics == Semantics::MembershipReset && groups != 1)
    in.fail("columns", "a membership_reset file needs one column with target = \"groups\": the group");
}

FileSpec read_file(TableReader& in, std::string_view source, const std::string& path) {
  FileSpec spec;
  spec.name = in.required_text("name");
  spec.exact_name = in.flag("exact_name").value_or(true);
  spec.description = in.text("description").value_or("");
  spec.header = in.choice<HeaderMode>("header", {{"required", HeaderMode::Required},
                                                 {"optional", HeaderMode::Optional},
                                                 {"none", HeaderMode::None}})
                    .value_or(HeaderMode::Required);
  if (const auto delimiter = in.text("delimiter")) {
    if (*delimiter == "\\t" || *delimiter == "\t") {
      spec.delimiter = '\t';
    } else if (delimiter->size() == 1 && *delimiter != "\"" && *delimiter != "\n" && *delimiter != "\r") {
      spec.delimiter = (*delimiter)[0];
    } else {
      in.fail("delimiter", "must be one character other than a quote or a line break, e.g. \",\" or \";\"");
    }
  }
  const auto encodings = in.texts("encodings");
  if (!encodings.empty()) {
    spec.utf16 = false;
    for (const auto& encoding : encodings) {
      if (encoding == "utf-16") {
        spec.utf16 = true;
      } else if (encoding != "utf-8") {
        in.fail("encodings", "'" + encoding + "' is not supported; list \"utf-8\" and/or \"utf-16\"");
      }
    }
  }
  spec.semantics =
      in.choice<Semantics>("semantics",
                           [] {
                             std::map<std::string_view, Semantics> names;
                             for (const auto semantics :
                                  {Semantics::Snapshot, Semantics::Upsert, Semantics::InsertOnly,
                                   Semantics::DeleteList, Semantics::GroupOps, Semantics::MembershipReset})
                               names.emplace(semantics_name(semantics), semantics);
                             return names;
                           }())
          .value_or(Semantics::Snapshot);
  spec.unknown_columns = in.choice<UnknownColumns>("unknown_columns", {{"ignore", UnknownColumns::Ignore},
                                                                       {"reject", UnknownColumns::Reject}})
                             .value_or(UnknownColumns::Ignore);
  spec.adopt_manual_by_email = in.flag("adopt_manual_by_email").value_or(false);
  spec.email_immutable = in.flag("email_immutable").value_or(false);
  spec.repeated_keys_all_invalid =
      in.choice<bool>("repeated_keys", {{"later_invalid", false}, {"all_invalid", true}}).value_or(false);
  spec.groups_must_exist = in.flag("groups_must_exist").value_or(false);
  spec.max_groups_per_user =
      static_cast<std::size_t>(in.number("max_groups_per_user", 1, 100000).value_or(1000));
  if (const auto percent = in.number("max_invalid_percent", 0, 100))
    spec.max_invalid_percent = static_cast<unsigned>(*percent);
  if (const auto percent = in.number("max_removal_percent", 0, 100))
    spec.max_removal_percent = static_cast<unsigned>(*percent);
  const auto key = in.required_text("key");

  const auto* columns = in.tables("columns");
  if (!columns || columns->empty()) in.fail("columns", "is required: one [[files.columns]] table per column");
  for (std::size_t i = 0; i < columns->size(); ++i) {
    TableReader column_in(*(*columns)[i].as_table(), path + ".columns[" + std::to_string(i) + "]", source);
    spec.columns.push_back(read_column(column_in));
  }
  if (const auto* lists = in.tables("lists")) {
    if (spec.header == HeaderMode::None)
      in.fail("lists", "needs a header row: list columns (emails[0].value …) are found by their names");
    for (std::size_t i = 0; i < lists->size(); ++i) {
      TableReader list_in(*(*lists)[i].as_table(), path + ".lists[" + std::to_string(i) + "]", source);
      spec.lists.push_back(read_list(list_in, source, path + ".lists[" + std::to_string(i) + "]"));
      add_list_columns(spec, i);
    }
  }
  // Cross-checks: one key column, named by `key`; distinct headers and positions; positions without a header.
  std::set<std::string> headers;
  std::set<std::size_t> positions;
  std::optional<std::size_t> key_column;
  for (std::size_t i = 0; i < spec.columns.size(); ++i) {
    const auto& column = spec.columns[i];
    if (!headers.insert(ascii_lower(column.header)).second)
      in.fail("columns", "the header '" + column.header + "' is listed twice");
    if (column.position && !positions.insert(*column.position).second)
      in.fail("columns", "position " + std::to_string(*column.position) + " is used twice");
    if (spec.header == HeaderMode::None && !column.position)
      in.fail("columns",
              "'" + column.header + "' needs a position: this file has no header row (header = \"none\")");
    if (column.target.kind == TargetKind::Key) {
      if (key_column) in.fail("columns", "only one column may have target = \"key\"");
      key_column = i;
    }
  }
  if (!key_column)
    in.fail("columns", spec.semantics == Semantics::GroupOps
                           ? "one column needs target = \"key\": the group's unique id"
                           : "one column needs target = \"key\": the user's unique id");
  check_targets_fit(in, spec);
  if (ascii_lower(spec.columns[*key_column].header) != ascii_lower(key))
    in.fail("key", "is '" + key + "' but the key column is '" + spec.columns[*key_column].header + "'");
  spec.key_column = *key_column;
  for (const auto& set : in.text_sets("row_requires_any")) {
    for (const auto& header : set) {
      if (!headers.contains(ascii_lower(header)))
        in.fail("row_requires_any", "names '" + header + "', which is not one of the file's columns");
    }
    spec.row_requires_any.push_back(set);
  }
  for (auto& column : spec.columns) {
    const auto kind = column.target.kind;
    if (kind == TargetKind::OrgId || kind == TargetKind::Skip || kind == TargetKind::Password ||
        kind == TargetKind::ListItem)
      continue;
    if (kind == TargetKind::Key && !column.also) continue;
    const auto& target = kind == TargetKind::Key ? *column.also : column.target;
    if (std::find(spec.slots.begin(), spec.slots.end(), target) != spec.slots.end())
      in.fail("columns", "two columns feed " + target_text(target) + "; each target takes one column");
    column.slot = spec.slots.size();
    spec.slots.push_back(target);
  }
  return spec;
}

}  // namespace

std::string target_text(const Target& target) {
  switch (target.kind) {
    case TargetKind::Key: return "key";
    case TargetKind::OrgId: return "org_id";
    case TargetKind::Skip: return "skip";
    case TargetKind::Groups: return "groups";
    case TargetKind::Operation: return "operation";
    case TargetKind::GroupName: return "group_name";
    case TargetKind::Password: return "password";
    case TargetKind::ListItem: return "list item";
    case TargetKind::Field: return std::string(field_name(target.field));
    case TargetKind::Contact:
      return "contact:" + std::string(contact_kind_name(target.contact)) + ":" + target.name;
    case TargetKind::Attribute: return "attribute:" + target.name;
  }
  return {};
}

std::optional<Target> parse_target(std::string_view text) {
  Target target;
  if (text == "key") return Target::of(TargetKind::Key);
  if (text == "org_id") return Target::of(TargetKind::OrgId);
  if (text == "skip") return Target::of(TargetKind::Skip);
  if (text == "groups") return Target::of(TargetKind::Groups);
  if (text == "operation") return Target::of(TargetKind::Operation);
  if (text == "group_name") return Target::of(TargetKind::GroupName);
  if (text == "password") return Target::of(TargetKind::Password);
  for (std::size_t i = 0; i < kUserFieldCount; ++i) {
    if (text == field_name(static_cast<UserField>(i))) {
      target.kind = TargetKind::Field;
      target.field = static_cast<UserField>(i);
      return target;
    }
  }
  const auto valid_name = [](std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
  };
  if (text.starts_with("attribute:") && valid_name(text.substr(10))) {
    target.kind = TargetKind::Attribute;
    target.name = text.substr(10);
    return target;
  }
  for (const auto kind : {ContactKind::Email, ContactKind::Phone}) {
    const std::string prefix = "contact:" + std::string(contact_kind_name(kind)) + ":";
    if (text.starts_with(prefix) && valid_name(text.substr(prefix.size()))) {
      target.kind = TargetKind::Contact;
      target.contact = kind;
      target.name = text.substr(prefix.size());
      return target;
    }
  }
  return std::nullopt;
}

const ColumnSpec* FileSpec::column_for(const Target& target) const {
  for (const auto& column : columns) {
    if (column.target == target || column.also == target) return &column;
  }
  return nullptr;
}

std::string_view semantics_name(Semantics semantics) {
  switch (semantics) {
    case Semantics::Snapshot: return "snapshot";
    case Semantics::Upsert: return "upsert";
    case Semantics::InsertOnly: return "insert_only";
    case Semantics::DeleteList: return "delete_list";
    case Semantics::GroupOps: return "group_ops";
    case Semantics::MembershipReset: return "membership_reset";
  }
  return "";
}

std::string_view semantics_description(Semantics semantics) {
  switch (semantics) {
    case Semantics::Snapshot: return "snapshot (users missing from the file are removed)";
    case Semantics::Upsert: return "upsert (insert or update; users missing from the file stay)";
    case Semantics::InsertOnly: return "insert only (new users are added; existing users are not changed)";
    case Semantics::DeleteList: return "delete list (each user listed is removed)";
    case Semantics::GroupOps: return "group operations (each row creates, renames or deletes a group)";
    case Semantics::MembershipReset:
      return "membership reset (each group named gets exactly the members listed)";
  }
  return "";
}

const ColumnSpec* FileSpec::column_of(TargetKind kind) const {
  for (const auto& column : columns) {
    if (column.target.kind == kind) return &column;
  }
  return nullptr;
}

const FileSpec* Profile::file_for(std::string_view file_name) const {
  for (const auto& file : files) {
    if (file.name == file_name) return &file;
  }
  return files.size() == 1 ? &files.front() : nullptr;
}

std::vector<std::string> Profile::file_names() const {
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.name);
  return names;
}

std::string Profile::no_rules_for(std::string_view file_name) const {
  return "profile '" + name + "' has no rules for a file named " + std::string(file_name) +
         "; its files are " + base::join(file_names());
}

tl::expected<Profile, std::string> load_profile(std::string_view toml_text, std::string_view source_name) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    const auto& where = error.source().begin;
    return tl::unexpected(std::string(source_name) + ":" + std::to_string(where.line) + ": " +
                          std::string(error.description()));
  }
  try {
    Profile profile;
    TableReader in(table, "", source_name);
    profile.name = in.required_text("name");
    const bool valid_name =
        profile.name.size() <= 64 && std::all_of(profile.name.begin(), profile.name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        });
    if (!valid_name) in.fail("name", "must be lower-case letters, digits, '-' or '_' (at most 64)");
    profile.title = in.required_text("title");
    profile.source = in.text("source").value_or("");
    const auto* files = in.tables("files");
    if (!files || files->empty()) in.fail("files", "is required: one [[files]] table per accepted file");
    std::set<std::string> names;
    for (std::size_t i = 0; i < files->size(); ++i) {
      const std::string path = "files[" + std::to_string(i) + "]";
      TableReader file_in(*(*files)[i].as_table(), path, source_name);
      auto spec = read_file(file_in, source_name, path);
      file_in.refuse_unknown_keys();
      if (!names.insert(spec.name).second)
        in.fail("files", "the file name '" + spec.name + "' is listed twice");
      profile.files.push_back(std::move(spec));
    }
    in.refuse_unknown_keys();
    profile.definition = std::string(toml_text);
    profile.sha256 = base::sha256_hex(profile.definition);
    return profile;
  } catch (const std::invalid_argument& error) {
    return tl::unexpected(std::string(error.what()));
  }
}

std::string sample_header(const FileSpec& spec) {
  if (spec.header == HeaderMode::None) return {};
  std::string line;
  for (const auto& column : spec.columns) {
    if (!column.shown()) continue;
    if (!line.empty()) line += spec.delimiter;
    line += column.header;
  }
  return line;
}

std::string sample_row(const FileSpec& spec, std::string_view org_id) {
  std::vector<const ColumnSpec*> ordered;
  for (const auto& column : spec.columns) {
    if (column.shown()) ordered.push_back(&column);
  }
  if (spec.header == HeaderMode::None) {
    std::sort(ordered.begin(), ordered.end(),
              [](const ColumnSpec* a, const ColumnSpec* b) { return a->position < b->position; });
  }
  std::string line;
  bool first = true;
  for (const auto* column : ordered) {
    if (!first) line += spec.delimiter;
    first = false;
    std::string cell = column->sample;
    if (const auto at = cell.find("{org_id}"); at != std::string::npos) cell.replace(at, 8, org_id);
    const bool quote = cell.find(spec.delimiter) != std::string::npos || cell.find('"') != std::string::npos;
    if (quote) {
      std::string quoted = "\"";
      for (const char c : cell) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      cell = quoted + "\"";
    }
    line += cell;
  }
  return line;
}

}  // namespace intake::ingest
