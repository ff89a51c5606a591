// intake users add|set|remove, intake groups add|remove: users and groups made by hand (Cosafe and SAP
// tenants have them beside the synced ones). Files never change them, except that a Cosafe file adopts
// a hand-made user whose e-mail it lists.
#include <iostream>

#include "base/email.hpp"
#include "base/text.hpp"
#include "cli/commands.hpp"
#include "ingest/phone.hpp"
#include "store/directory.hpp"
#include "store/sqlite.hpp"

namespace intake::cli {
namespace {

struct ManualUserOptions {
  std::string tenant, id;
  std::map<std::string, std::string> fields;  // option name -> value, only those given
  std::string phone;
  std::vector<std::string> groups;
};

struct ManualGroupOptions {
  std::string tenant, id, name;
};

std::string checked_identifier(const std::string& what, const std::string& value) {
  if (value.empty() || base::utf8_characters(value) > 256)
    throw UserError(what + " must have from 1 to 256 characters");
  if (!base::is_valid_utf8(value)) throw UserError(what + " is not valid UTF-8 text");
  if (const auto bad = base::forbidden_character(value))
    throw UserError(what + " contains " + *bad + "; type it without control characters");
  return value;
}

const store::UserField kEditable[] = {store::UserField::LoginName,   store::UserField::Email,
                                      store::UserField::FirstName,   store::UserField::LastName,
                                      store::UserField::DisplayName, store::UserField::Title,
                                      store::UserField::Language};

std::string option_of(store::UserField field) {
  std::string name(store::field_name(field));
  for (char& c : name) c = c == '_' ? '-' : c;
  return "--" + name;
}

void add_field_options(CLI::App* command, ManualUserOptions& options) {
  for (const auto field : kEditable) {
    const std::string name(store::field_name(field));
    command->add_option_function<std::string>(
        option_of(field), [&options, name](const std::string& value) { options.fields[name] = value; },
        "The user's " + name);
  }
  command->add_option("--phone", options.phone,
                      "Phone number: international (+15713124645), or national in the tenant's phone region");
}

// The write views `o`, whose phone is normalised in place: `o` must outlive the write.
store::UserWrite write_of(ManualUserOptions& o, const store::Tenant& tenant) {
  store::UserWrite write;
  for (const auto field : kEditable) {
    const auto found = o.fields.find(std::string(store::field_name(field)));
    if (found == o.fields.end()) continue;
    if (!found->second.empty()) checked_identifier(option_of(field), found->second);
    if (field == store::UserField::Email && !found->second.empty()) {
      if (const auto checked = base::check_email(found->second, base::EmailCharset::Utf8); !checked)
        throw UserError("--email: " + checked.error());
    }
    write.fields[static_cast<std::size_t>(field)] = found->second;
  }
  if (!o.phone.empty()) {
    // The tenant's phone region applies here as in its files.
    const auto phone = ingest::normalise_phone(o.phone, tenant.phone_region);
    if (!phone) throw UserError("--phone " + phone.error());
    o.phone = *phone;
    write.contacts.push_back({store::ContactKind::Phone, "mobile", o.phone, 0, true});
  }
  return write;
}

void add_user(Context& context, ManualUserOptions o) {
  const auto tenant = require_tenant(context, o.tenant);
  auto write = write_of(o, tenant);
  checked_identifier("the user id", o.id);
  write.external_id = o.id;
  store::DirectoryRepository directory(context.db());
  store::Transaction transaction(context.db());
  const auto existing = directory.find_user(tenant.id, o.id);  // a removed one comes back
  if (existing && !existing->removed_at)
    throw UserError("user '" + o.id + "' exists already; change it with `intake users set " + tenant.name +
                    " " + o.id + " …`");
  std::vector<std::int64_t> group_ids;
  for (const auto& group : o.groups) {
    const auto found = directory.find_group(tenant.id, group);
    if (!found)
      throw UserError("group '" + group + "' does not exist; create it with `intake groups add " +
                      tenant.name + " " + group + "`");
    group_ids.push_back(found->id);
  }
  write.id = existing ? existing->id : 0;
  const auto id = directory.write_user(tenant.id, write, context.actor());
  for (const auto group_id : group_ids) directory.add_membership(id, group_id);
  audit(context, "user.add", tenant.name, {{"user", o.id}, {"fields", o.fields}, {"groups", o.groups}});
  transaction.commit();
  std::cout << "added user " << o.id << " to " << tenant.name << " (by hand: files leave it alone)\n";
}

store::DirectoryUser require_manual_user(store::DirectoryRepository& directory, const store::Tenant& tenant,
                                         const std::string& id) {
  const auto user = directory.find_user(tenant.id, id);
  if (!user || user->removed_at)
    throw UserError("no user '" + id + "' in " + tenant.name + "; `intake users " + tenant.name +
                    "` lists them");
  if (user->origin_file)
    throw UserError("user '" + id + "' is synced by " + *user->origin_file +
                    "; change it in that file (the next upload would undo a change made here)");
  return *user;
}

void set_user(Context& context, ManualUserOptions o) {
  const auto tenant = require_tenant(context, o.tenant);
  store::DirectoryRepository directory(context.db());
  store::Transaction transaction(context.db());
  const auto user = require_manual_user(directory, tenant, o.id);
  auto write = write_of(o, tenant);
  write.id = user.id;
  write.external_id = user.external_id;
  directory.write_user(tenant.id, write, context.actor());
  audit(context, "user.set", tenant.name, {{"user", o.id}, {"fields", o.fields}});
  transaction.commit();
  std::cout << "changed user " << o.id << "\n";
}

void remove_user(Context& context, const ManualUserOptions& o) {
  const auto tenant = require_tenant(context, o.tenant);
  store::DirectoryRepository directory(context.db());
  store::Transaction transaction(context.db());
  const auto user = require_manual_user(directory, tenant, o.id);
  directory.remove_user(user.id, context.actor());
  audit(context, "user.remove", tenant.name, {{"user", o.id}});
  transaction.commit();
  std::cout << "removed user " << o.id << " (kept in history: `intake users " << tenant.name
            << " --status removed`)\n";
}

void add_group(Context& context, const ManualGroupOptions& o) {
  const auto tenant = require_tenant(context, o.tenant);
  const auto id = checked_identifier("the group id", o.id);
  const auto name = o.name.empty() ? id : checked_identifier("--name", o.name);
  store::DirectoryRepository directory(context.db());
  store::Transaction transaction(context.db());
  if (!directory.add_group(tenant.id, id, name)) throw UserError("group '" + id + "' exists already");
  audit(context, "group.add", tenant.name, {{"group", id}, {"name", name}});
  transaction.commit();
  std::cout << "added group " << id << " to " << tenant.name << "\n";
}

void remove_group(Context& context, const ManualGroupOptions& o) {
  const auto tenant = require_tenant(context, o.tenant);
  store::DirectoryRepository directory(context.db());
  store::Transaction transaction(context.db());
  if (!directory.remove_group(tenant.id, o.id, context.actor()))
    throw UserError("no group '" + o.id + "' in " + tenant.name + "; `intake groups " + tenant.name +
                    "` lists them");
  audit(context, "group.remove", tenant.name, {{"group", o.id}});
  transaction.commit();
  std::cout << "removed group " << o.id << " and its memberships\n";
}

}  // namespace

void add_directory_commands(CLI::App* users, CLI::App* groups, Context& context) {
  auto user_options = std::make_shared<ManualUserOptions>();
  const auto user_command = [&](const char* name, const char* what) {
    auto* command = users->add_subcommand(name, what);
    command->add_option("TENANT", user_options->tenant, "Tenant name")->required();
    command->add_option("ID", user_options->id, "The user's id (the profile's key)")->required();
    return command;
  };
  auto* add = user_command("add", "Add a user by hand (files leave it alone)");
  add_field_options(add, *user_options);
  add->add_option("--group", user_options->groups, "A group (id) to add it to (repeatable)");
  add->callback([&context, user_options] { add_user(context, *user_options); });
  auto* set = user_command("set", "Change a user added by hand");
  add_field_options(set, *user_options);
  set->callback([&context, user_options] { set_user(context, *user_options); });
  user_command("remove", "Remove a user added by hand (kept in history)")->callback([&context, user_options] {
    remove_user(context, *user_options);
  });

  auto group_options = std::make_shared<ManualGroupOptions>();
  const auto group_command = [&](const char* name, const char* what) {
    auto* command = groups->add_subcommand(name, what);
    command->add_option("TENANT", group_options->tenant, "Tenant name")->required();
    command->add_option("ID", group_options->id, "The group's id, as files name it")->required();
    return command;
  };
  auto* add_group_command =
      group_command("add", "Add a group by hand (files may add members, never remove it)");
  add_group_command->add_option("--name", group_options->name, "Display name (default: the id)");
  add_group_command->callback([&context, group_options] { add_group(context, *group_options); });
  group_command("remove", "Remove a group added by hand, with its memberships")
      ->callback([&context, group_options] { remove_group(context, *group_options); });
}

}  // namespace intake::cli
