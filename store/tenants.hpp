#pragma once
// Tenants: the customers who log in and upload. Repository over prepared statements.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "store/errors.hpp"

namespace intake::store {

class Database;

// `validate`: uploads are parsed and reported with the changes they would make; nothing is applied
// (onboarding: "we tell you if the file is OK, then you enable sync").
enum class TenantMode { Apply, Validate };
std::string_view tenant_mode_name(TenantMode mode);  // "apply", "validate"
std::optional<TenantMode> parse_tenant_mode(std::string_view name);
// How the tenant's report addresses get reports: a message per report, one digest a day, or none.
enum class ReportMail { Each, Daily, Off };
std::string_view report_mail_name(ReportMail mail);  // "each", "daily", "off"
std::optional<ReportMail> parse_report_mail(std::string_view name);

struct Tenant {
  std::int64_t id = 0;
  std::string name;  // the SSH user name
  std::string org_id;
  std::string profile;
  std::vector<std::string> file_names;  // empty: the profile's own names
  std::string phone_region;             // ISO 3166 region for national phone numbers; empty: E.164 only
  TenantMode mode = TenantMode::Apply;
  std::vector<std::string> roles;  // the roles a file may assign (Limeade ONE); empty: any, as given
  bool auto_create_users = false;  // a membership file may create stub users (Limeade ONE)
  std::vector<std::string> report_emails;
  ReportMail report_mail = ReportMail::Each;
  std::vector<std::string> allowed_networks;  // IPv4 CIDRs; empty: any address
  bool enabled = true;
  // What the tenant may keep in upload/ at once; empty: the server's default.
  std::optional<std::uint64_t> upload_quota_bytes;
  std::optional<std::uint64_t> upload_quota_files;
  std::string created_at;
  std::string updated_at;
};

// Fields left empty are not changed.
struct TenantChanges {
  std::optional<std::string> profile;
  std::optional<std::vector<std::string>> file_names;
  std::optional<std::string> phone_region;  // "": none
  std::optional<TenantMode> mode;
  std::optional<std::vector<std::string>> roles;
  std::optional<bool> auto_create_users;
  std::optional<std::vector<std::string>> report_emails;
  std::optional<ReportMail> report_mail;
  std::optional<std::vector<std::string>> allowed_networks;
  std::optional<bool> enabled;
  // Present with no value: back to the server's default.
  std::optional<std::optional<std::uint64_t>> upload_quota_bytes;
  std::optional<std::optional<std::uint64_t>> upload_quota_files;
};

class TenantRepository {
 public:
  explicit TenantRepository(Database& db) : db_(db) {}

  // Ignores id and timestamps in `tenant`. AlreadyExists when the name is taken.
  tl::expected<Tenant, StoreError> add(const Tenant& tenant);
  std::optional<Tenant> find(std::string_view name);
  std::vector<Tenant> list();
  // NotFound when there is no such tenant.
  tl::expected<Tenant, StoreError> update(std::string_view name, const TenantChanges& changes);

 private:
  Tenant with_lists(Tenant tenant);

  Database& db_;
};

}  // namespace intake::store
