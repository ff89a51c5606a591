#include "store/tenants.hpp"

#include "base/text.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

constexpr std::string_view kColumns =
    "id, name, org_id, profile, enabled, created_at, updated_at, upload_quota_bytes, upload_quota_files, "
    "phone_region, mode, roles, auto_create_users, report_mail";

std::vector<std::string> split_roles(std::string_view text) {
  const auto pieces = base::split(text, ',');
  return {pieces.begin(), pieces.end()};
}

std::optional<std::uint64_t> optional_count(const Statement& row, int column) {
  if (row.is_null(column)) return std::nullopt;
  return static_cast<std::uint64_t>(row.integer(column));
}

void set_optional_count(Database& db, std::int64_t id, std::string_view column,
                        std::optional<std::uint64_t> value) {
  auto update = db.prepare("UPDATE tenants SET " + std::string(column) + " = ?1 WHERE id = ?2");
  if (value) {
    update.bind(1, static_cast<std::int64_t>(*value));
  } else {
    update.bind_null(1);
  }
  update.bind(2, id).run();
}

Tenant row_to_tenant(const Statement& row) {
  Tenant tenant;
  tenant.id = row.integer(0);
  tenant.name = row.text(1);
  tenant.org_id = row.text(2);
  tenant.profile = row.text(3);
  tenant.enabled = row.integer(4) != 0;
  tenant.created_at = row.text(5);
  tenant.updated_at = row.text(6);
  tenant.upload_quota_bytes = optional_count(row, 7);
  tenant.upload_quota_files = optional_count(row, 8);
  tenant.phone_region = row.text(9);
  tenant.mode = parse_tenant_mode(row.text(10)).value_or(TenantMode::Apply);
  tenant.roles = split_roles(row.text(11));
  tenant.auto_create_users = row.integer(12) != 0;
  tenant.report_mail = parse_report_mail(row.text(13)).value_or(ReportMail::Each);
  return tenant;
}

struct ListTable {
  std::string_view table;
  std::string_view column;
};
constexpr ListTable kFileNames{"tenant_file_names", "file_name"};
constexpr ListTable kReportEmails{"tenant_report_emails", "email"};
constexpr ListTable kNetworks{"tenant_allowed_networks", "cidr"};

// The tenant's list tables are replaced whole: the CLI sets a list, it does not patch it.
void replace_list(Database& db, std::int64_t tenant_id, ListTable list,
                  const std::vector<std::string>& values) {
  db.prepare("DELETE FROM " + std::string(list.table) + " WHERE tenant_id = ?1").bind(1, tenant_id).run();
  auto insert = db.prepare("INSERT OR IGNORE INTO " + std::string(list.table) + " (tenant_id, " +
                           std::string(list.column) + ") VALUES (?1, ?2)");
  for (const auto& value : values) {
    insert.bind(1, tenant_id).bind(2, value).run();
    insert.reset();
  }
}

std::vector<std::string> read_list(Database& db, std::int64_t tenant_id, ListTable list) {
  auto select = db.prepare("SELECT " + std::string(list.column) + " FROM " + std::string(list.table) +
                           " WHERE tenant_id = ?1 ORDER BY rowid");
  select.bind(1, tenant_id);
  std::vector<std::string> values;
  while (select.step()) values.push_back(select.text(0));
  return values;
}

}  // namespace

std::string_view tenant_mode_name(TenantMode mode) {
  return mode == TenantMode::Validate ? "validate" : "apply";
}

std::optional<TenantMode> parse_tenant_mode(std::string_view name) {
  if (name == "apply") return TenantMode::Apply;
  if (name == "validate") return TenantMode::Validate;
  return std::nullopt;
}

std::string_view report_mail_name(ReportMail mail) {
  switch (mail) {
    case ReportMail::Each: return "each";
    case ReportMail::Daily: return "daily";
    case ReportMail::Off: return "off";
  }
  return "each";
}

std::optional<ReportMail> parse_report_mail(std::string_view name) {
  for (const auto mail : {ReportMail::Each, ReportMail::Daily, ReportMail::Off})
    if (report_mail_name(mail) == name) return mail;
  return std::nullopt;
}

Tenant TenantRepository::with_lists(Tenant tenant) {
  tenant.file_names = read_list(db_, tenant.id, kFileNames);
  tenant.report_emails = read_list(db_, tenant.id, kReportEmails);
  tenant.allowed_networks = read_list(db_, tenant.id, kNetworks);
  return tenant;
}

tl::expected<Tenant, StoreError> TenantRepository::add(const Tenant& tenant) {
  if (find(tenant.name)) {
    return tl::unexpected(StoreError{
        StoreProblem::AlreadyExists,
        "tenant '" + tenant.name + "' already exists; see `intake tenant show " + tenant.name + "`"});
  }
  db_.prepare(
         std::string(
             "INSERT INTO tenants (name, org_id, profile, enabled, phone_region, mode, roles, "
             "auto_create_users, report_mail, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
             "?8, ?9, ") +
         kSqlNow + ", " + kSqlNow + ")")
      .bind(1, tenant.name)
      .bind(2, tenant.org_id)
      .bind(3, tenant.profile)
      .bind(4, std::int64_t{tenant.enabled ? 1 : 0})
      .bind(5, tenant.phone_region)
      .bind(6, tenant_mode_name(tenant.mode))
      .bind(7, base::join(tenant.roles, ","))
      .bind(8, std::int64_t{tenant.auto_create_users ? 1 : 0})
      .bind(9, report_mail_name(tenant.report_mail))
      .run();
  const auto id = db_.last_insert_id();
  replace_list(db_, id, kFileNames, tenant.file_names);
  replace_list(db_, id, kReportEmails, tenant.report_emails);
  replace_list(db_, id, kNetworks, tenant.allowed_networks);
  return *find(tenant.name);
}

std::optional<Tenant> TenantRepository::find(std::string_view name) {
  auto select = db_.prepare("SELECT " + std::string(kColumns) + " FROM tenants WHERE name = ?1");
  select.bind(1, name);
  if (!select.step()) return std::nullopt;
  return with_lists(row_to_tenant(select));
}

std::vector<Tenant> TenantRepository::list() {
  auto select = db_.prepare("SELECT " + std::string(kColumns) + " FROM tenants ORDER BY name");
  std::vector<Tenant> tenants;
  while (select.step()) tenants.push_back(row_to_tenant(select));
  for (auto& tenant : tenants) tenant = with_lists(std::move(tenant));
  return tenants;
}

tl::expected<Tenant, StoreError> TenantRepository::update(std::string_view name,
                                                          const TenantChanges& changes) {
  const auto existing = find(name);
  if (!existing) {
    return tl::unexpected(
        StoreError{StoreProblem::NotFound,
                   "no tenant named '" + std::string(name) + "'; `intake tenant list` shows the tenants"});
  }
  const auto id = existing->id;
  if (changes.profile) {
    db_.prepare("UPDATE tenants SET profile = ?1 WHERE id = ?2").bind(1, *changes.profile).bind(2, id).run();
  }
  if (changes.phone_region) {
    db_.prepare("UPDATE tenants SET phone_region = ?1 WHERE id = ?2")
        .bind(1, *changes.phone_region)
        .bind(2, id)
        .run();
  }
  if (changes.mode) {
    db_.prepare("UPDATE tenants SET mode = ?1 WHERE id = ?2")
        .bind(1, tenant_mode_name(*changes.mode))
        .bind(2, id)
        .run();
  }
  if (changes.roles) {
    db_.prepare("UPDATE tenants SET roles = ?1 WHERE id = ?2")
        .bind(1, base::join(*changes.roles, ","))
        .bind(2, id)
        .run();
  }
  if (changes.auto_create_users) {
    db_.prepare("UPDATE tenants SET auto_create_users = ?1 WHERE id = ?2")
        .bind(1, std::int64_t{*changes.auto_create_users ? 1 : 0})
        .bind(2, id)
        .run();
  }
  if (changes.report_mail) {
    db_.prepare("UPDATE tenants SET report_mail = ?1 WHERE id = ?2")
        .bind(1, report_mail_name(*changes.report_mail))
        .bind(2, id)
        .run();
  }
  if (changes.enabled) {
    db_.prepare("UPDATE tenants SET enabled = ?1 WHERE id = ?2")
        .bind(1, std::int64_t{*changes.enabled ? 1 : 0})
        .bind(2, id)
        .run();
  }
  if (changes.upload_quota_bytes)
    set_optional_count(db_, id, "upload_quota_bytes", *changes.upload_quota_bytes);
  if (changes.upload_quota_files)
    set_optional_count(db_, id, "upload_quota_files", *changes.upload_quota_files);
  if (changes.file_names) replace_list(db_, id, kFileNames, *changes.file_names);
  if (changes.report_emails) {
    replace_list(db_, id, kReportEmails, *changes.report_emails);
  }
  if (changes.allowed_networks) {
    replace_list(db_, id, kNetworks, *changes.allowed_networks);
  }
  db_.prepare(std::string("UPDATE tenants SET updated_at = ") + kSqlNow + " WHERE id = ?1").bind(1, id).run();
  return *find(name);
}

}  // namespace intake::store
