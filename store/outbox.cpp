#include "store/outbox.hpp"

#include "base/text.hpp"
#include "store/errors.hpp"
#include "store/hooks.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"

namespace intake::store {
namespace {

const std::string kSelect =
    "SELECT d.id, d.ingest_id, d.tenant_id, t.name, d.kind, d.ingest_status, d.target, d.status, d.attempts, "
    "d.created_at, d.next_attempt_at, d.last_attempt_at, d.delivered_at, d.outcome, "
    "COALESCE(d.retried_at, d.created_at), d.hook_id, d.event, d.sequence, d.payload "
    "FROM deliveries d JOIN tenants t ON t.id = d.tenant_id ";

Delivery row_to_delivery(const Statement& row) {
  Delivery d;
  d.id = row.integer(0);
  d.ingest_id = row.optional_text(1);
  d.tenant_id = row.integer(2);
  d.tenant = row.text(3);
  d.kind = parse_delivery_kind(row.text(4)).value_or(DeliveryKind::ReportFile);
  d.ingest_status = parse_ingest_status(row.text(5));
  d.target = row.text(6);
  d.status = parse_delivery_status(row.text(7)).value_or(DeliveryStatus::Failed);
  d.attempts = row.integer(8);
  d.created_at = row.text(9);
  d.next_attempt_at = row.text(10);
  d.last_attempt_at = row.optional_text(11);
  d.delivered_at = row.optional_text(12);
  d.outcome = row.text(13);
  d.retrying_since = row.text(14);
  if (!row.is_null(15)) d.hook_id = row.integer(15);
  d.event = row.text(16);
  if (!row.is_null(17)) d.sequence = row.integer(17);
  d.payload = row.optional_text(18);
  return d;
}

struct NewDelivery {
  DeliveryKind kind;
  std::string target;
  std::optional<std::int64_t> hook_id;
  std::string event;
  std::optional<std::int64_t> sequence;
  std::optional<std::string> payload;
};

void insert(Database& db, const std::string& ingest_id, std::int64_t tenant_id, IngestStatus status,
            const NewDelivery& d) {
  auto statement = db.prepare(
      std::string("INSERT INTO deliveries (ingest_id, tenant_id, kind, ingest_status, target, status, "
                  "hook_id, event, sequence, payload, created_at, next_attempt_at) VALUES (?1, ?2, ?3, "
                  "?4, ?5, ?6, ?7, ?8, ?9, ?10, ") +
      kSqlNow + ", " + kSqlNow + ")");
  statement.bind(1, ingest_id)
      .bind(2, tenant_id)
      .bind(3, delivery_kind_name(d.kind))
      .bind(4, ingest_status_name(status))
      .bind(5, d.target)
      .bind(6, delivery_status_name(DeliveryStatus::Pending))
      .bind(8, d.event)
      .bind_optional(10, d.payload);
  if (d.hook_id) {
    statement.bind(7, *d.hook_id);
  } else {
    statement.bind_null(7);
  }
  if (d.sequence) {
    statement.bind(9, *d.sequence);
  } else {
    statement.bind_null(9);
  }
  statement.run();
}

}  // namespace

std::string_view delivery_kind_name(DeliveryKind kind) {
  switch (kind) {
    case DeliveryKind::ReportFile: return "report_file";
    case DeliveryKind::Email: return "email";
    case DeliveryKind::Webhook: return "webhook";
    case DeliveryKind::Command: return "command";
  }
  return "report_file";
}

std::optional<DeliveryKind> parse_delivery_kind(std::string_view name) {
  for (const auto kind : kDeliveryKinds)
    if (delivery_kind_name(kind) == name) return kind;
  return std::nullopt;
}

std::string_view delivery_status_name(DeliveryStatus status) {
  switch (status) {
    case DeliveryStatus::Pending: return "pending";
    case DeliveryStatus::Delivered: return "delivered";
    case DeliveryStatus::Failed: return "failed";
  }
  return "failed";
}

std::optional<DeliveryStatus> parse_delivery_status(std::string_view name) {
  for (const auto status : {DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed})
    if (delivery_status_name(status) == name) return status;
  return std::nullopt;
}

void OutboxRepository::enqueue_for(const std::string& ingest_id, std::int64_t tenant_id, IngestStatus status,
                                   const std::string& report) {
  insert(db_, ingest_id, tenant_id, status, {DeliveryKind::ReportFile, "reports/", {}, {}, {}, {}});
  auto tenant = db_.prepare("SELECT report_mail FROM tenants WHERE id = ?1");
  tenant.bind(1, tenant_id);
  if (tenant.step() && parse_report_mail(tenant.text(0)) == ReportMail::Each) {
    auto addresses =
        db_.prepare("SELECT email FROM tenant_report_emails WHERE tenant_id = ?1 ORDER BY rowid");
    addresses.bind(1, tenant_id);
    std::vector<std::string> to;
    while (addresses.step()) to.push_back(addresses.text(0));
    if (!to.empty())
      insert(db_, ingest_id, tenant_id, status, {DeliveryKind::Email, base::join(to, ", "), {}, {}, {}, {}});
  }
  // Every event of the tenant is numbered, hooks or not, so that a receiver can tell a gap.
  const std::string event = status == IngestStatus::Held ? "ingest.held" : "ingest.concluded";
  auto numbered =
      db_.prepare("UPDATE tenants SET event_seq = event_seq + 1 WHERE id = ?1 RETURNING event_seq");
  numbered.bind(1, tenant_id);
  const std::int64_t sequence = numbered.step() ? numbered.integer(0) : 0;
  numbered.reset();
  for (const auto& hook : HookRepository(db_).subscribed(tenant_id, event)) {
    insert(db_, ingest_id, tenant_id, status,
           {hook.kind == HookKind::Command ? DeliveryKind::Command : DeliveryKind::Webhook, hook.target,
            hook.id, event, sequence, report});
  }
}

bool OutboxRepository::enqueue_digest(std::int64_t tenant_id, std::string_view until, const std::string& to,
                                      const std::string& payload) {
  db_.prepare(
         "UPDATE tenants SET last_digest_until = ?2 WHERE id = ?1 AND (last_digest_until IS NULL OR "
         "last_digest_until < ?2)")
      .bind(1, tenant_id)
      .bind(2, until)
      .run();
  if (db_.changes() == 0) return false;
  auto statement = db_.prepare(
      std::string("INSERT INTO deliveries (tenant_id, kind, target, status, event, payload, created_at, "
                  "next_attempt_at) VALUES (?1, ?2, ?3, ?4, 'digest', ?5, ") +
      kSqlNow + ", " + kSqlNow + ")");
  statement.bind(1, tenant_id)
      .bind(2, delivery_kind_name(DeliveryKind::Email))
      .bind(3, to)
      .bind(4, delivery_status_name(DeliveryStatus::Pending))
      .bind(5, payload)
      .run();
  return true;
}

std::optional<std::string> OutboxRepository::last_digest_until(std::int64_t tenant_id) {
  auto select = db_.prepare("SELECT last_digest_until FROM tenants WHERE id = ?1");
  select.bind(1, tenant_id);
  if (!select.step()) return std::nullopt;
  return select.optional_text(0);
}

std::vector<Delivery> OutboxRepository::claim_due(std::string_view now, std::string_view stale_claim,
                                                  std::optional<DeliveryKind> kind,
                                                  std::optional<std::string> ingest_id, std::int64_t limit) {
  Transaction transaction(db_);
  auto select = db_.prepare(kSelect +
                            "WHERE d.status = ?1 AND d.next_attempt_at <= ?2 AND (d.claimed_at IS NULL OR "
                            "d.claimed_at < ?3) AND (?4 IS NULL OR d.kind = ?4) AND (?5 IS NULL OR "
                            "d.ingest_id = ?5) ORDER BY d.next_attempt_at, d.id LIMIT ?6");
  select.bind(1, delivery_status_name(DeliveryStatus::Pending)).bind(2, now).bind(3, stale_claim);
  if (kind) {
    select.bind(4, delivery_kind_name(*kind));
  } else {
    select.bind_null(4);
  }
  select.bind_optional(5, ingest_id).bind(6, limit);
  std::vector<Delivery> claimed;
  while (select.step()) claimed.push_back(row_to_delivery(select));
  select.reset();
  auto claim = db_.prepare("UPDATE deliveries SET claimed_at = ?2 WHERE id = ?1");
  for (const auto& delivery : claimed) {
    claim.bind(1, delivery.id).bind(2, now).run();
    claim.reset();
  }
  transaction.commit();
  return claimed;
}

void OutboxRepository::record_delivered(std::int64_t id, std::string_view now, const std::string& outcome) {
  db_.prepare(
         "UPDATE deliveries SET status = ?2, attempts = attempts + 1, claimed_at = NULL, last_attempt_at = "
         "?3, "
         "delivered_at = ?3, outcome = ?4 WHERE id = ?1")
      .bind(1, id)
      .bind(2, delivery_status_name(DeliveryStatus::Delivered))
      .bind(3, now)
      .bind(4, outcome)
      .run();
}

void OutboxRepository::record_retry(std::int64_t id, std::string_view now, std::string_view next_attempt_at,
                                    const std::string& outcome) {
  db_.prepare(
         "UPDATE deliveries SET attempts = attempts + 1, claimed_at = NULL, last_attempt_at = ?2, "
         "next_attempt_at = ?3, outcome = ?4 WHERE id = ?1")
      .bind(1, id)
      .bind(2, now)
      .bind(3, next_attempt_at)
      .bind(4, outcome)
      .run();
}

void OutboxRepository::record_failed(std::int64_t id, std::string_view now, const std::string& outcome) {
  db_.prepare(
         "UPDATE deliveries SET status = ?2, attempts = attempts + 1, claimed_at = NULL, last_attempt_at = "
         "?3, "
         "outcome = ?4 WHERE id = ?1")
      .bind(1, id)
      .bind(2, delivery_status_name(DeliveryStatus::Failed))
      .bind(3, now)
      .bind(4, outcome)
      .run();
}

std::size_t OutboxRepository::release_claims() {
  db_.prepare("UPDATE deliveries SET claimed_at = NULL WHERE claimed_at IS NOT NULL").run();
  return static_cast<std::size_t>(db_.changes());
}

std::optional<std::string> OutboxRepository::next_due() {
  auto select = db_.prepare("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = ?1");
  select.bind(1, delivery_status_name(DeliveryStatus::Pending));
  if (!select.step()) return std::nullopt;
  return select.optional_text(0);
}

std::optional<Delivery> OutboxRepository::find(std::int64_t id) {
  auto select = db_.prepare(kSelect + "WHERE d.id = ?1");
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  return row_to_delivery(select);
}

std::vector<Delivery> OutboxRepository::list(const DeliveryFilter& filter) {
  auto select =
      db_.prepare(kSelect +
                  "WHERE (?1 IS NULL OR d.status = ?1) AND (?2 IS NULL OR d.ingest_id = ?2) AND "
                  "(?3 IS NULL OR t.name = ?3) AND (?5 IS NULL OR d.hook_id = ?5) ORDER BY d.id DESC "
                  "LIMIT ?4");
  if (filter.status) {
    select.bind(1, delivery_status_name(*filter.status));
  } else {
    select.bind_null(1);
  }
  select.bind_optional(2, filter.ingest_id).bind_optional(3, filter.tenant).bind(4, filter.limit);
  if (filter.hook_id) {
    select.bind(5, *filter.hook_id);
  } else {
    select.bind_null(5);
  }
  std::vector<Delivery> out;
  while (select.step()) out.push_back(row_to_delivery(select));
  return out;
}

std::vector<Delivery> OutboxRepository::of_ingest(const std::string& ingest_id) {
  DeliveryFilter filter;
  filter.ingest_id = ingest_id;
  filter.limit = 1000;
  return list(filter);
}

tl::expected<Delivery, std::string> OutboxRepository::retry(std::int64_t id, std::string_view now,
                                                            Again again) {
  const auto found = find(id);
  if (!found) return tl::unexpected("no delivery " + std::to_string(id) + "; `intake outbox` lists them");
  if (again == Again::Replay && !found->hook_id)
    return tl::unexpected("delivery " + std::to_string(id) +
                          " is not a hook's; `intake outbox retry` retries it");
  if (again == Again::Retry && found->status == DeliveryStatus::Delivered)
    return tl::unexpected("delivery " + std::to_string(id) + " was delivered at " +
                          found->delivered_at.value_or("?") + "; there is nothing to retry");
  db_.prepare(
         "UPDATE deliveries SET status = ?2, next_attempt_at = ?3, retried_at = ?3, claimed_at = NULL WHERE "
         "id = ?1")
      .bind(1, id)
      .bind(2, delivery_status_name(DeliveryStatus::Pending))
      .bind(3, now)
      .run();
  return *find(id);
}

}  // namespace intake::store
