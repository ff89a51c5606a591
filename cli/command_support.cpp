#include <algorithm>
#include <iostream>
#include <thread>

#include "base/text.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "ingest/password_hasher.hpp"
#include "store/audit.hpp"
#include "store/ssh_keys.hpp"

namespace intake::cli {

store::Tenant require_tenant(Context& context, const std::string& name) {
  auto tenant = store::TenantRepository(context.db()).find(name);
  if (!tenant) throw UserError("no tenant named '" + name + "'; `intake tenant list` shows the tenants");
  return *tenant;
}

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

void audit(Context& context, const std::string& action, const std::string& tenant,
           const nlohmann::json& details) {
  store::AuditLog(context.db()).record(context.actor(), action, tenant, compact_json(details));
}

std::size_t count_active_keys(Context& context, std::int64_t tenant_id) {
  store::KeyRepository keys(context.db());
  const auto now = keys.now();
  std::size_t active = 0;
  for (const auto& key : keys.list(tenant_id))
    active += store::key_state(key, now) == store::KeyState::Active;
  return active;
}

ingest::IngestSettings ingest_settings(Context& context, unsigned hash_threads,
                                       std::function<void(const std::string&, const std::string&)> on_error) {
  const auto& config = context.config().ingest;
  ingest::IngestSettings settings;
  settings.data_dir = context.data_dir();
  settings.max_invalid_rows_percent = config.max_invalid_rows_percent;
  settings.max_removal_percent = config.max_removal_percent;
  settings.mail_from_host = context.public_host();
  settings.on_error = std::move(on_error);
  if (hash_threads == 0) {
    hash_threads = config.password_hash_threads;
    if (hash_threads == 0) hash_threads = std::max(2u, std::thread::hardware_concurrency()) - 1;
  }
  settings.password_hasher = std::make_shared<ingest::PasswordHasher>(
      hash_threads, base::PasswordHashCost{std::size_t{config.password_hash_memory_mib} * 1024,
                                           config.password_hash_passes});
  return settings;
}

std::string render_table(const std::vector<std::vector<std::string>>& cells) {
  // Cells may hold what a customer's file or client sent: never raw control characters on a terminal.
  auto rows = cells;
  for (auto& row : rows) {
    for (auto& cell : row) cell = base::terminal_safe(cell);
  }
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace intake::cli
