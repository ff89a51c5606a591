#pragma once
// Ingest profiles as data: what a vendor's files look like and how each applies to the directory.
// One TOML format (docs/PROFILES.md), one loader; the built-in profiles are embedded copies of
// ingest/profiles/<name>.toml read by that same loader. Pure: text in, a Profile or an error out.
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "store/directory.hpp"

namespace intake::ingest {

enum class HeaderMode {
  Required,
  Optional,
  None
};  // Optional: the first line is a header if it looks like one
// What a file does to the directory (docs/PROFILES.md, "Semantics"):
//   Snapshot         every user the file synced; users missing from it are removed
//   Upsert           insert or update the users listed, never remove
//   InsertOnly       insert the users listed; an existing user is left as it is and reported
//   DeleteList       one user id per row: each is removed (kept in history; a later file brings it back)
//   GroupOps         one group per row: create or rename it, or delete it and its memberships
//   MembershipReset  (group, user) pairs: each group the file names gets exactly the members listed
enum class Semantics { Snapshot, Upsert, InsertOnly, DeleteList, GroupOps, MembershipReset };
std::string_view semantics_name(Semantics semantics);  // as a profile writes it: "snapshot", …
// What a file of that semantics does, in a sentence for people: "snapshot (users missing … removed)".
std::string_view semantics_description(Semantics semantics);
// Whether the file's rows are users (one row each, keyed by user id) — else groups or memberships.
inline bool rows_are_users(Semantics semantics) {
  return semantics == Semantics::Snapshot || semantics == Semantics::Upsert ||
         semantics == Semantics::InsertOnly;
}
enum class UnknownColumns { Ignore, Reject };
// Role: one of the tenant's roles when it has a list (`intake tenant set T --roles a,b`), else as given.
enum class Check { None, Email, Phone, Language, Timestamp, Role };

// The user fields and contact kinds of the directory model (store/directory.hpp) a column can feed.
using store::contact_kind_name;
using store::ContactKind;
using store::field_name;
using store::kUserFieldCount;
using store::UserField;

// Operation and GroupName: a group_ops file's flag and the group's display name. Password: a secret,
// hashed before anything else sees it and never part of an image (written for new users only).
// ListItem: one field of one item of an indexed column group (FileSpec::lists), made by the loader.
enum class TargetKind {
  Key,
  OrgId,
  Skip,
  Field,
  Contact,
  Attribute,
  Groups,
  Operation,
  GroupName,
  Password,
  ListItem
};

// Where a column's value goes. Written in a profile as "key", "org_id", "skip", "groups", "operation",
// "group_name", "password", a field name ("email", "first_name", …), "contact:phone:mobile" (kind and
// type) or "attribute:NAME".
struct Target {
  TargetKind kind = TargetKind::Field;
  UserField field = UserField::Email;
  ContactKind contact = ContactKind::Phone;
  std::string name;  // Contact: its type; Attribute: its key
  bool operator==(const Target&) const = default;

  static Target of(TargetKind kind) { return Target{kind, UserField::Email, ContactKind::Phone, {}}; }
  static Target of(UserField field) { return Target{TargetKind::Field, field, ContactKind::Phone, {}}; }
};
std::string target_text(const Target& target);  // as written in a profile
std::optional<Target> parse_target(std::string_view text);

struct ColumnSpec {
  std::string header;                   // matched case-insensitively, surrounding spaces ignored
  std::optional<std::size_t> position;  // 1-based; how files without a header row are read
  Target target;
  std::optional<Target> also;    // a key column may feed a field too (SAP: mail is the key and the e-mail)
  bool required = false;         // the cell must not be empty
  bool header_required = false;  // the header row must have this column
  std::size_t min_length = 0;
  std::size_t max_length = 256;      // in characters; every field has one
  std::vector<std::string> allowed;  // an enumeration, matched case-insensitively, stored as listed
  std::string pattern;               // an ECMAScript regular expression the whole value must match
  std::string pattern_message;       // what a value breaking `pattern` is told ("… must be …")
  Check check = Check::None;
  std::string timestamp_format;          // Check::Timestamp: "yyyyMMddHHmmss'Z'" or "iso8601"
  std::optional<char> list_separator;    // several values in one cell (groups)
  std::string default_value;             // used when the cell is empty
  bool unique = false;                   // no two rows of a file may share the value
  bool clear_when_absent = false;        // a file without this column clears the field (it is authoritative)
  std::vector<std::string> skip_values;  // Skip columns: the values that skip a row
  std::vector<std::string> delete_values;  // Operation columns: the flags that delete (the others upsert)
  std::string sample;                      // the onboarding pack's sample cell ("{org_id}": the tenant's id)
  std::size_t slot = 0;                    // filled by the loader: index into FileSpec::slots
  // Columns a list makes (FileSpec::lists): its items' fields (ListItem, "emails[0].value"), and the
  // list's outputs (`list_output`: the JSON list and the primary item's value), which no file column
  // matches: the parser fills them from the items.
  std::optional<std::size_t> of_list;
  std::size_t list_item = 0, list_field = 0;
  bool list_output = false;
  // Shown in the onboarding pack's columns and sample: not a list's outputs, only its first item.
  bool shown() const { return !list_output && list_item == 0; }
};

// An indexed column group: "emails[0].value", "emails[0].type", "emails[1].value", … make one ordered
// list per row (SecureAuth's SCIM-style columns), stored as JSON in `target`; the primary item's first
// field may feed a user field or contact too.
struct ListSpec {
  std::string prefix;              // "emails": headers emails[N].FIELD
  std::vector<ColumnSpec> fields;  // header: the field's name; the first is the item's value
  Target target;                   // attribute:emails
  std::optional<Target> primary_to;
  std::string primary_field;         // the field that says TRUE for the primary item; empty: the first is
  bool first_field_required = true;  // an item needs its first field (an e-mail's value; not an address's)
  std::size_t min_items = 0, max_items = 10;
  // Filled by the loader: the item columns (item-major, FileSpec::columns indices) and the outputs.
  std::vector<std::size_t> item_columns;
  std::size_t output_column = 0;
  std::optional<std::size_t> primary_column;
};

// One accepted file and its rules.
struct FileSpec {
  std::string name;         // the file name the vendor documents
  bool exact_name = true;   // the vendor requires exactly this name (no dates, no timestamps)
  std::string description;  // what the file is for, in the vendor's words
  HeaderMode header = HeaderMode::Required;
  char delimiter = ',';
  bool utf16 = true;  // UTF-16 accepted besides UTF-8
  Semantics semantics = Semantics::Snapshot;
  std::vector<ColumnSpec> columns;  // as the profile lists them, then the columns its lists make
  std::vector<ListSpec> lists;
  std::size_t key_column = 0;  // index into columns: a user id, or a group id for group_ops
  // Each row needs, for at least one of these sets, every column of the set non-empty.
  std::vector<std::vector<std::string>> row_requires_any;
  UnknownColumns unknown_columns = UnknownColumns::Ignore;
  bool adopt_manual_by_email = false;      // a manual user whose e-mail is in the file becomes the file's
  bool email_immutable = false;            // an existing user's e-mail cannot change (the row is invalid)
  bool repeated_keys_all_invalid = false;  // a repeated key makes every row of it invalid, not the later
  bool groups_must_exist = false;          // a row naming an unknown group is invalid
  std::size_t max_groups_per_user = 1000;
  std::optional<unsigned> max_invalid_percent;  // else the server's setting
  std::optional<unsigned> max_removal_percent;  // else the server's setting
  // Filled by the loader: the distinct targets the file manages (not key, org_id, skip), in column order.
  std::vector<Target> slots;

  const ColumnSpec& key() const { return columns[key_column]; }
  const ColumnSpec* column_for(const Target& target) const;
  const ColumnSpec* column_of(TargetKind kind) const;  // the first column of that kind
  // Whether a key may repeat: a group's members are one row each; group operations apply in order.
  bool keys_repeat() const {
    return semantics == Semantics::GroupOps || semantics == Semantics::MembershipReset;
  }
};

struct Profile {
  std::string name;    // what `--profile` takes
  std::string title;   // the vendor document it follows
  std::string source;  // which seed document
  std::vector<FileSpec> files;
  std::string definition;  // the TOML text it was loaded from
  std::string sha256;      // of `definition`: each ingest records which definition it used

  // The spec for an uploaded file name: the spec of that name, else the profile's only spec (a tenant
  // may agree its own file names at set-up, e.g. one file per sub-account).
  const FileSpec* file_for(std::string_view file_name) const;
  std::vector<std::string> file_names() const;
  // "profile 'cosafe' has no rules for a file named x.csv; its files are cosafe_users.csv".
  std::string no_rules_for(std::string_view file_name) const;
};

// Errors name the source, the line and the key: "cosafe.toml:12: files[0].columns[3].target: …".
tl::expected<Profile, std::string> load_profile(std::string_view toml_text, std::string_view source_name);

std::span<const Profile> builtin_profiles();
const Profile* find_builtin_profile(std::string_view name);
std::string builtin_profile_names();  // "cosafe, livesafe, sap-ias" for messages

// The onboarding pack's sample: the header line and one row ("{org_id}" filled in).
std::string sample_header(const FileSpec& spec);
std::string sample_row(const FileSpec& spec, std::string_view org_id);

}  // namespace intake::ingest
