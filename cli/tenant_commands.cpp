// intake tenant add | show | list | set | enable | disable
#include <pwd.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "base/email.hpp"
#include "base/hex.hpp"
#include "base/ipv4.hpp"
#include "base/text.hpp"
#include "cli/commands.hpp"
#include "cli/config.hpp"
#include "cli/onboarding.hpp"
#include "cli/views.hpp"
#include "ingest/phone.hpp"
#include "ingest/profile_catalog.hpp"
#include "store/audit.hpp"
#include "store/ssh_keys.hpp"
#include "store/tenant_rules.hpp"

namespace intake::cli {
namespace {

namespace fs = std::filesystem;

struct TenantOptions {
  std::string name;
  std::string org_id;
  std::string profile;
  std::vector<std::string> file_names;
  std::vector<std::string> report_emails;
  std::vector<std::string> allowed_networks;
  bool clear_file_names = false;
  bool clear_report_emails = false;
  bool clear_allowed_networks = false;
  std::string phone_region;        // a region, or "none"
  std::string mode;                // apply | validate
  std::string upload_quota;        // a size, or "default"
  std::string upload_quota_files;  // a count, or "default"
  std::string roles;               // comma-separated, or "any"
  std::string auto_create_users;   // on | off
  std::string report_mail;         // each | off
  bool json = false;
};

// "default" clears the override; anything else must be a positive size (or count).
std::optional<std::uint64_t> quota_value(const std::string& text, bool size) {
  if (text == "default") return std::nullopt;
  std::optional<std::uint64_t> value;
  if (size) {
    value = parse_size(text);
  } else {
    std::uint64_t count = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), count);
    if (ec == std::errc{} && end == text.data() + text.size()) value = count;
  }
  if (!value || *value == 0) {
    throw UserError("'" + text + "' is not a quota: give " +
                    (size ? std::string("a size such as 5G or 500M") : std::string("a number of files")) +
                    ", or \"default\" for the server's setting");
  }
  return value;
}

void require(const store::Check& check) {
  if (!check) throw UserError(check.error());
}

std::string random_org_id() {
  auto id = base::random_hex(16);
  if (!id) throw UserError("cannot get random bytes for the organisation id; give one with --org-id");
  return *id;
}

void check_name(const std::string& name) {
  require(store::check_tenant_name(name));
  // Also refuse any system account of this host (uid below 1000), whatever its name.
  if (const passwd* account = ::getpwnam(name.c_str()); account && account->pw_uid < 1000) {
    throw UserError("tenant name '" + name +
                    "' is a system account on this host; choose a name for the customer");
  }
}

std::shared_ptr<const ingest::Profile> check_profile(Context& context, const std::string& name) {
  auto profile = ingest::find_profile(context.db(), name);
  if (!profile) throw UserError(profile.error());
  return *profile;
}

std::vector<std::string> checked_file_names(const std::vector<std::string>& names) {
  for (const auto& name : names) require(store::check_file_name(name));
  return names;
}

std::string checked_phone_region(const std::string& region) {
  if (region == "none") return {};
  const auto checked = ingest::checked_phone_region(region);
  if (!checked) throw UserError("--phone-region: " + checked.error());
  return *checked;
}

store::ReportMail checked_report_mail(const std::string& mail) {
  const auto parsed = store::parse_report_mail(mail);
  if (!parsed)
    throw UserError("--report-mail '" + mail +
                    "' is not a choice; use each (a message per report), daily (one digest a day, at "
                    "daily_digest_hour UTC) or off (reports only in reports/)");
  return *parsed;
}

store::TenantMode checked_mode(const std::string& mode) {
  const auto parsed = store::parse_tenant_mode(mode);
  if (!parsed)
    throw UserError("--mode '" + mode +
                    "' is not a mode; use validate (uploads are checked and reported, nothing applied) or "
                    "apply (sync)");
  return *parsed;
}

// "default,manager" -> {"default", "manager"}; "any": no list (a file's role is kept as given).
std::vector<std::string> checked_roles(const std::string& text) {
  if (text == "any") return {};
  std::vector<std::string> roles;
  for (const auto piece : base::split(text, ',')) {
    const auto role = base::trim(piece);
    if (role.empty() || role.size() > 64 || base::forbidden_character(role))
      throw UserError(
          "--roles '" + text +
          "': give role names separated by commas, each 1 to 64 characters (e.g. default,manager), "
          "or \"any\"");
    roles.emplace_back(role);
  }
  if (roles.empty()) throw UserError("--roles is empty: give role names separated by commas, or \"any\"");
  return roles;
}

bool checked_switch(const std::string& option, const std::string& value) {
  if (value == "on") return true;
  if (value == "off") return false;
  throw UserError(option + " '" + value + "': give on or off");
}

std::vector<std::string> checked_emails(const std::vector<std::string>& emails) {
  for (const auto& email : emails) require(base::check_email(email));
  return emails;
}

std::vector<std::string> normalised_networks(const std::vector<std::string>& cidrs) {
  std::vector<std::string> out;
  for (const auto& cidr : cidrs) {
    const auto network = base::parse_ipv4_network(cidr);
    if (!network) throw UserError("--allow-ip: " + network.error());
    out.push_back(network->to_string());
  }
  return out;
}

// DATA_DIR/tenants/<name>/{upload,reports}: the tenant's virtual root, private to the server user.
void create_tenant_folders(Context& context, const std::string& name) {
  const fs::path root = context.data_dir() / "tenants" / name;
  for (const fs::path& dir : {context.data_dir() / "tenants", root, root / "upload", root / "reports"}) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      throw UserError("cannot create " + dir.string() + ": " + std::strerror(errno));
    }
  }
}

nlohmann::json pack_for(Context& context, const store::Tenant& tenant) {
  return onboarding_pack({tenant, count_active_keys(context, tenant.id), context.host_keys(),
                          context.public_host(), context.public_port(),
                          ingest::find_profile(context.db(), tenant.profile).value_or(nullptr).get()});
}

void print_pack(Context& context, const store::Tenant& tenant, bool json) {
  const auto pack = pack_for(context, tenant);
  if (json) {
    print_json({{"tenant", tenant_json(tenant)}, {"onboarding", pack}});
  } else {
    std::cout << render_onboarding_pack(pack);
  }
}

void add_tenant(Context& context, const TenantOptions& options) {
  check_name(options.name);
  store::Tenant tenant;
  tenant.name = options.name;
  tenant.org_id = options.org_id.empty() ? random_org_id() : options.org_id;
  require(store::check_org_id(tenant.org_id));
  tenant.profile = check_profile(context, options.profile)->name;
  tenant.file_names = checked_file_names(options.file_names);
  tenant.phone_region = checked_phone_region(options.phone_region);
  tenant.mode = checked_mode(options.mode);
  tenant.roles = checked_roles(options.roles);
  tenant.auto_create_users = checked_switch("--auto-create-users", options.auto_create_users);
  tenant.report_emails = checked_emails(options.report_emails);
  tenant.report_mail = checked_report_mail(options.report_mail);
  tenant.allowed_networks = normalised_networks(options.allowed_networks);

  auto& db = context.db();
  store::Transaction transaction(db);
  auto added = store::TenantRepository(db).add(tenant);
  if (!added) throw UserError(added.error().message);
  audit(context, "tenant.add", added->name, tenant_json(*added));
  create_tenant_folders(context, added->name);  // before commit: a tenant never exists without its folders
  transaction.commit();
  print_pack(context, *added, options.json);
}

void set_tenant(Context& context, const TenantOptions& options, const std::string& action,
                store::TenantChanges changes) {
  auto& db = context.db();
  store::Transaction transaction(db);
  store::TenantRepository tenants(db);
  const auto before = require_tenant(context, options.name);
  auto after = tenants.update(options.name, changes);
  if (!after) throw UserError(after.error().message);
  nlohmann::json diff = nlohmann::json::object();
  const auto old_view = tenant_json(before);
  const auto new_view = tenant_json(*after);
  for (const auto& [field, value] : new_view.items()) {
    if (field != "updated_at" && old_view[field] != value)
      diff[field] = {{"from", old_view[field]}, {"to", value}};
  }
  if (!diff.empty()) audit(context, action, after->name, diff);
  transaction.commit();

  if (options.json) {
    print_json({{"tenant", new_view}, {"changed", diff}});
  } else if (diff.empty()) {
    std::cout << "tenant " << after->name << ": nothing changed\n";
  } else {
    std::cout << "tenant " << after->name << " updated:\n";
    for (const auto& [field, change] : diff.items()) {
      std::cout << "  " << field << ": " << change["from"].dump() << " -> " << change["to"].dump() << "\n";
    }
    if (diff.contains("enabled")) {
      std::cout << (after->enabled ? "Logins are accepted again from the next login on.\n"
                                   : "Logins are refused from now on, and a running server ends the tenant's "
                                     "sessions within seconds.\n");
    }
  }
}

void list_tenants(Context& context, bool json) {
  auto& db = context.db();
  const auto tenants = store::TenantRepository(db).list();
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{{"NAME", "PROFILE", "ENABLED", "KEYS", "ORG ID", "CREATED"}};
  for (const auto& tenant : tenants) {
    const auto active = count_active_keys(context, tenant.id);
    auto view = tenant_json(tenant);
    view["active_keys"] = active;
    out.push_back(view);
    rows.push_back({tenant.name, tenant.profile, tenant.enabled ? "yes" : "no", std::to_string(active),
                    tenant.org_id, tenant.created_at});
  }
  if (json) {
    print_json(out);
  } else if (tenants.empty()) {
    std::cout << "no tenants yet; create one with `intake tenant add NAME`\n";
  } else {
    std::cout << render_table(rows);
  }
}

}  // namespace

void add_tenant_commands(CLI::App& app, Context& context) {
  auto* tenant = app.add_subcommand("tenant", "Create and manage tenants (customers who upload)");
  tenant->require_subcommand(1);
  auto options = std::make_shared<TenantOptions>();

  auto* add = tenant->add_subcommand("add", "Create a tenant and print its onboarding pack");
  add->add_option("NAME", options->name, "SSH user name: [a-z0-9][a-z0-9._-]{2,31}")->required();
  add->add_option("--org-id", options->org_id,
                  "Organisation id customers put in their files (default: random 32 hex characters)");
  add->add_option("--profile", options->profile, "Ingest profile")->default_val("livesafe");
  add->add_option("--file-name", options->file_names,
                  "Expected upload file name, instead of the profile's (repeatable)");
  add->add_option("--phone-region", options->phone_region,
                  "Country whose national phone numbers files may use, e.g. US (default: none, E.164 only)")
      ->default_val("none");
  add->add_option("--mode", options->mode,
                  "validate: check and report uploads without applying them (onboarding); apply: sync")
      ->default_val("apply");
  const auto roles_help =
      "The roles a file may assign, comma-separated (e.g. default,manager), or \"any\" (kept as given)";
  const auto stubs_help =
      "on: a membership file may create stub users for ids it does not know (Limeade ONE's Auto User "
      "Creation); off: such rows are invalid";
  add->add_option("--roles", options->roles, roles_help)->default_val("any");
  add->add_option("--auto-create-users", options->auto_create_users, stubs_help)->default_val("off");
  add->add_option("--report-email", options->report_emails, "Where reports are mailed (repeatable)");
  const auto report_mail_help =
      "each: e-mail every report to the report addresses; daily: one digest a day; off: neither";
  add->add_option("--report-mail", options->report_mail, report_mail_help)->default_val("each");
  add->add_option("--allow-ip", options->allowed_networks,
                  "IPv4 address or CIDR allowed to log in (repeatable; default: any)");
  add->add_flag("--json", options->json, "Print JSON");
  add->callback([&context, options] { add_tenant(context, *options); });

  auto* show = tenant->add_subcommand("show", "Print a tenant's onboarding pack");
  show->add_option("NAME", options->name, "Tenant name")->required();
  show->add_flag("--json", options->json, "Print JSON");
  show->callback(
      [&context, options] { print_pack(context, require_tenant(context, options->name), options->json); });

  auto* list = tenant->add_subcommand("list", "List tenants");
  list->add_flag("--json", options->json, "Print JSON");
  list->callback([&context, options] { list_tenants(context, options->json); });

  for (const bool enable : {false, true}) {
    auto* toggle = tenant->add_subcommand(
        enable ? "enable" : "disable",
        enable ? "Accept the tenant's logins again" : "Refuse the tenant's logins (from the next login on)");
    toggle->add_option("NAME", options->name, "Tenant name")->required();
    toggle->add_flag("--json", options->json, "Print JSON");
    toggle->callback([&context, options, enable] {
      store::TenantChanges changes;
      changes.enabled = enable;
      set_tenant(context, *options, enable ? "tenant.enable" : "tenant.disable", changes);
    });
  }

  auto* set = tenant->add_subcommand("set", "Change a tenant's settings (a list option replaces the list)");
  set->add_option("NAME", options->name, "Tenant name")->required();
  set->add_option("--profile", options->profile, "Ingest profile");
  set->add_option("--file-name", options->file_names, "Expected upload file names (repeatable)");
  set->add_option("--phone-region", options->phone_region,
                  "Country whose national phone numbers files may use (e.g. US), or \"none\"");
  set->add_option("--mode", options->mode, "validate (check and report only) or apply (sync)");
  set->add_option("--roles", options->roles, roles_help);
  set->add_option("--auto-create-users", options->auto_create_users, stubs_help);
  set->add_option("--report-email", options->report_emails, "Report e-mail addresses (repeatable)");
  set->add_option("--allow-ip", options->allowed_networks, "Allowed IPv4 addresses or CIDRs (repeatable)");
  set->add_flag("--clear-file-names", options->clear_file_names, "Use the profile's file names again");
  set->add_flag("--clear-report-emails", options->clear_report_emails, "Remove every report address");
  set->add_option("--report-mail", options->report_mail, report_mail_help);
  set->add_flag("--clear-allow-ip", options->clear_allowed_networks, "Allow any IPv4 address again");
  set->add_option("--upload-quota", options->upload_quota,
                  "Most bytes the tenant may keep in upload/ at once (e.g. 5G), or \"default\"");
  set->add_option("--upload-quota-files", options->upload_quota_files,
                  "Most files the tenant may keep in upload/ at once, or \"default\"");
  set->add_flag("--json", options->json, "Print JSON");
  set->callback([&context, options, set] {
    store::TenantChanges changes;
    if (set->count("--upload-quota")) changes.upload_quota_bytes = quota_value(options->upload_quota, true);
    if (set->count("--upload-quota-files"))
      changes.upload_quota_files = quota_value(options->upload_quota_files, false);
    if (set->count("--phone-region")) changes.phone_region = checked_phone_region(options->phone_region);
    if (set->count("--mode")) changes.mode = checked_mode(options->mode);
    if (set->count("--report-mail")) changes.report_mail = checked_report_mail(options->report_mail);
    if (set->count("--roles")) changes.roles = checked_roles(options->roles);
    if (set->count("--auto-create-users"))
      changes.auto_create_users = checked_switch("--auto-create-users", options->auto_create_users);
    if (set->count("--profile")) changes.profile = check_profile(context, options->profile)->name;
    if (options->clear_file_names) changes.file_names = std::vector<std::string>{};
    if (!options->file_names.empty()) changes.file_names = checked_file_names(options->file_names);
    if (options->clear_report_emails) changes.report_emails = std::vector<std::string>{};
    if (!options->report_emails.empty()) changes.report_emails = checked_emails(options->report_emails);
    if (options->clear_allowed_networks) changes.allowed_networks = std::vector<std::string>{};
    if (!options->allowed_networks.empty()) {
      changes.allowed_networks = normalised_networks(options->allowed_networks);
    }
    set_tenant(context, *options, "tenant.set", changes);
  });
}

}  // namespace intake::cli
