// intake outbox [--failed|--pending] | outbox retry ID: what the server has to deliver, and what it
// could not.
#include <iostream>

#include "base/text.hpp"
#include "base/utc_time.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "delivery/digest.hpp"
#include "store/outbox.hpp"

namespace intake::cli {
namespace {

struct OutboxOptions {
  bool failed = false, pending = false, json = false;
  std::string tenant;
  std::int64_t limit = 100;
  std::int64_t id = 0;
};

void list(Context& context, const OutboxOptions& o) {
  store::DeliveryFilter filter;
  if (o.failed) filter.status = store::DeliveryStatus::Failed;
  if (o.pending) filter.status = store::DeliveryStatus::Pending;
  if (!o.tenant.empty()) filter.tenant = require_tenant(context, o.tenant).name;
  filter.limit = o.limit;
  const auto deliveries = store::OutboxRepository(context.db()).list(filter);
  if (o.json) {
    print_json(deliveries_json(deliveries));
    return;
  }
  if (deliveries.empty()) {
    std::cout << "no deliveries match\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{
      {"ID", "INGEST", "TENANT", "KIND", "TO", "STATUS", "ATTEMPTS", "WHEN", "OUTCOME"}};
  for (const auto& d : deliveries) {
    const auto when = d.status == store::DeliveryStatus::Pending
                          ? "next " + d.next_attempt_at
                          : d.delivered_at.value_or(d.last_attempt_at.value_or(""));
    rows.push_back({std::to_string(d.id), d.ingest_id.value_or("-"), d.tenant,
                    std::string(store::delivery_kind_name(d.kind)), d.target,
                    std::string(store::delivery_status_name(d.status)), std::to_string(d.attempts), when,
                    d.outcome});
  }
  std::cout << render_table(rows);
}

void retry(Context& context, const OutboxOptions& o) {
  auto& db = context.db();
  store::Transaction transaction(db);
  const auto retried =
      store::OutboxRepository(db).retry(o.id, base::format_stored_time(std::chrono::system_clock::now()));
  if (!retried) throw UserError(retried.error());
  audit(context, "outbox.retry", retried->tenant,
        {{"delivery", retried->id},
         {"kind", store::delivery_kind_name(retried->kind)},
         {"target", retried->target}});
  transaction.commit();
  if (o.json) {
    print_json(delivery_json(*retried));
  } else {
    std::cout << "delivery " << o.id << " is pending again; the server attempts it within a second or so "
              << "(`intake outbox` shows the outcome)\n";
  }
}

// A tenant's digest of the uploads since its last one, queued now (the server sends it).
void digest(Context& context, const OutboxOptions& o) {
  const auto tenant = require_tenant(context, o.tenant);
  if (tenant.report_emails.empty())
    throw UserError("tenant " + tenant.name + " has no report address; add one with `intake tenant set " +
                    tenant.name + " --report-email ADDRESS`");
  const auto now = std::chrono::system_clock::now();
  const auto last = store::OutboxRepository(context.db()).last_digest_until(tenant.id);
  const auto since = last ? base::parse_stored_time(*last) : std::nullopt;
  const delivery::DigestWindow window{since.value_or(now - std::chrono::hours(24)), now};
  if (!delivery::queue_digest(context.db(), tenant.name, window))
    throw UserError("a digest up to now was queued already; `intake outbox --tenant " + tenant.name +
                    "` shows it");
  std::cout << "digest of " << tenant.name << "'s uploads from " << base::format_stored_time(window.since)
            << " to " << base::format_stored_time(window.until) << " queued for "
            << base::join(tenant.report_emails, ", ") << "\n";
}

}  // namespace

void add_outbox_commands(CLI::App& app, Context& context) {
  auto o = std::make_shared<OutboxOptions>();
  auto* outbox = app.add_subcommand(
      "outbox", "Deliveries of reports (files, e-mails, webhooks, command hooks), newest first");
  auto* failed = outbox->add_flag("--failed", o->failed, "Only those given up");
  outbox->add_flag("--pending", o->pending, "Only those still to be delivered")->excludes(failed);
  outbox->add_option("--tenant", o->tenant, "Only this tenant's");
  outbox->add_option("--limit", o->limit, "At most this many")->check(CLI::PositiveNumber);
  outbox->add_flag("--json", o->json, "Print JSON");
  outbox->callback([&context, o, outbox] {
    if (outbox->get_subcommands().empty()) list(context, *o);
  });
  auto* retry_command =
      outbox->add_subcommand("retry", "Attempt a failed delivery again, with a fresh retry window");
  retry_command->add_option("ID", o->id, "Delivery id (from `intake outbox --failed`)")->required();
  retry_command->add_flag("--json", o->json, "Print JSON");
  retry_command->callback([&context, o] { retry(context, *o); });
  auto* digest_command = outbox->add_subcommand(
      "digest",
      "E-mail a tenant's digest of its uploads since the last one now (as --report-mail daily does)");
  digest_command->add_option("TENANT", o->tenant, "Tenant name")->required();
  digest_command->callback([&context, o] { digest(context, *o); });
}

}  // namespace intake::cli
