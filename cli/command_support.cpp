#include <algorithm>
#include <iostream>
#include <thread>

#include "base/text.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "delivery/hooks.hpp"
#include "delivery/mail.hpp"
#include "delivery/report_file.hpp"
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

tl::expected<base::Sealer, std::string> secrets_sealer(Context& context) {
  return base::Sealer::open_or_create(context.data_dir() / "secrets.key");
}

std::unique_ptr<delivery::Dispatcher> make_dispatcher(Context& context,
                                                      delivery::DispatcherSettings settings) {
  const auto& config = context.config().delivery;
  const auto data_dir = context.data_dir();
  settings.database = data_dir / "intake.db";
  settings.workers = config.workers;
  delivery::RetrySchedule files, mail;
  files.backoff = mail.backoff = config.backoff;
  // A report file waits out a full disk however long it lasts; an e-mail is given up after its window.
  files.window = std::chrono::hours(24 * 365);
  mail.window = config.mail_retry_window;
  delivery::RetrySchedule hooks = mail;
  hooks.window = config.hook_retry_window;
  settings.schedules = {{store::DeliveryKind::ReportFile, files},
                        {store::DeliveryKind::Email, mail},
                        {store::DeliveryKind::Webhook, hooks},
                        {store::DeliveryKind::Command, hooks}};
  delivery::MailSettings mail_settings;
  mail_settings.smtp_url = config.smtp_url;
  mail_settings.require_tls = config.smtp_require_tls;
  mail_settings.username = config.smtp_user;
  mail_settings.password_file = config.smtp_password_file;
  mail_settings.ca_file = config.smtp_ca_file;
  mail_settings.message_id_domain = context.public_host();
  mail_settings.from =
      config.mail_from.empty() ? "Intake <intake@" + context.public_host() + ">" : config.mail_from;
  mail_settings.envelope_from = config.mail_envelope_from;
  mail_settings.timeout = config.smtp_timeout;
  mail_settings.pickup_dir = data_dir / "outbox";
  std::map<store::DeliveryKind, delivery::Deliverer> deliverers{
      {store::DeliveryKind::ReportFile,
       [data_dir](const delivery::DeliveryJob& job) { return delivery::deliver_report_file(data_dir, job); }},
      {store::DeliveryKind::Email, [data_dir, mail_settings](const delivery::DeliveryJob& job) {
         const auto now = std::chrono::system_clock::now();
         return delivery::send_mail(mail_settings,
                                    job.delivery.event == "digest"
                                        ? delivery::digest_message(mail_settings, job, now)
                                        : delivery::report_message(mail_settings, job, data_dir, now));
       }}};
  delivery::HookSettings hook_settings;
  hook_settings.ca_file = config.webhook_ca_file;
  hook_settings.webhook_timeout = config.webhook_timeout;
  hook_settings.command_timeout = config.command_hook_timeout;
  deliverers[store::DeliveryKind::Command] = [hook_settings](const delivery::DeliveryJob& job) {
    return delivery::run_command_hook(hook_settings, job);
  };
  // Webhooks need the key that opens their secrets; without it they wait (and the outbox says why).
  if (auto sealer = secrets_sealer(context)) {
    deliverers[store::DeliveryKind::Webhook] =
        [hook_settings, sealer = std::make_shared<base::Sealer>(std::move(*sealer))](
            const delivery::DeliveryJob& job) { return delivery::send_webhook(hook_settings, *sealer, job); };
  }
  return std::make_unique<delivery::Dispatcher>(std::move(settings), std::move(deliverers));
}

void deliver_report_file(Context& context, const std::string& id) {
  delivery::DispatcherSettings settings;
  settings.on_attempt = [](const store::Delivery&, const delivery::AttemptResult& result,
                           store::DeliveryStatus after) {
    if (after != store::DeliveryStatus::Delivered)
      std::cerr << "warning: the report file could not be written yet (" << result.outcome
                << "); the server tries again\n";
  };
  make_dispatcher(context, std::move(settings))->deliver_due(store::DeliveryKind::ReportFile, id);
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
