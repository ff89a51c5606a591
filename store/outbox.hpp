#pragma once
// The transactional outbox: every side effect of an ingest's conclusion is a `deliveries` row written
// in the conclusion's own transaction (so a crash can never lose one), then delivered by a dispatcher
// that claims due rows, attempts them and records the outcome (delivery/dispatcher.hpp).
//
// Times are stored-format UTC text (base/utc_time.hpp) passed in by the caller, so that the
// dispatcher's clock can be injected; the formats compare as text.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "store/ingest_status.hpp"

namespace intake::store {

class Database;

enum class DeliveryKind { ReportFile, Email, Webhook, Command };
inline constexpr std::array kDeliveryKinds{DeliveryKind::ReportFile, DeliveryKind::Email,
                                           DeliveryKind::Webhook, DeliveryKind::Command};
std::string_view delivery_kind_name(DeliveryKind kind);  // "report_file", "email", …
std::optional<DeliveryKind> parse_delivery_kind(std::string_view name);

// pending: to be attempted (again) at next_attempt_at; delivered; failed: given up (a permanent
// refusal, or retried past the retry window) until someone retries it by hand.
enum class DeliveryStatus { Pending, Delivered, Failed };
std::string_view delivery_status_name(DeliveryStatus status);
std::optional<DeliveryStatus> parse_delivery_status(std::string_view name);

struct Delivery {
  std::int64_t id = 0;
  std::optional<std::string> ingest_id;
  std::int64_t tenant_id = 0;
  std::string tenant;
  DeliveryKind kind = DeliveryKind::ReportFile;
  std::optional<IngestStatus> ingest_status;  // the status it tells of
  std::string target;
  std::optional<std::int64_t> hook_id;
  std::string event;                     // hooks: ingest.concluded, ingest.held
  std::optional<std::int64_t> sequence;  // hooks: the tenant's event number
  std::optional<std::string> payload;    // hooks: the report (JSON) as it was at the event
  DeliveryStatus status = DeliveryStatus::Pending;
  std::int64_t attempts = 0;
  std::string created_at, next_attempt_at;
  std::optional<std::string> last_attempt_at, delivered_at;
  std::string outcome;
  std::string retrying_since;  // its retry window's start: when queued, or retried by hand
};

struct DeliveryFilter {
  std::optional<DeliveryStatus> status;
  std::optional<std::string> ingest_id, tenant;
  std::int64_t limit = 100;
  std::optional<std::int64_t> hook_id;
};

class OutboxRepository {
 public:
  explicit OutboxRepository(Database& db) : db_(db) {}

  // What an ingest reaching `status` (final, or held) must cause, queued inside the caller's
  // transaction: its report file; the report e-mail when the tenant has addresses and mails each
  // report; one delivery per hook subscribed to the event, numbered with the tenant's next event
  // number and carrying `report` (the report JSON as it stands now). Called by the journal's status
  // change, so no conclusion can skip it.
  void enqueue_for(const std::string& ingest_id, std::int64_t tenant_id, IngestStatus status,
                   const std::string& report);

  // A daily digest (report_mail daily): an e-mail to `to` about the tenant's uploads received before
  // `until`, with `payload` (the digest's JSON), queued once per `until` — false when that digest was
  // queued already (by this or another process).
  bool enqueue_digest(std::int64_t tenant_id, std::string_view until, const std::string& to,
                      const std::string& payload);
  std::optional<std::string> last_digest_until(std::int64_t tenant_id);

  // Claims up to `limit` of the oldest due deliveries (pending, next_attempt_at <= now, not claimed
  // since `stale_claim`) for one attempt each, in one transaction; `kind` narrows them (a CLI command
  // delivers report files itself), `ingest_id` too.
  std::vector<Delivery> claim_due(std::string_view now, std::string_view stale_claim,
                                  std::optional<DeliveryKind> kind = {},
                                  std::optional<std::string> ingest_id = {}, std::int64_t limit = 1);
  // The attempt's outcome: delivered; to be tried again at `next_attempt_at`; or given up (a batch's
  // outcomes in the caller's one transaction).
  void record_delivered(std::int64_t id, std::string_view now, const std::string& outcome);
  void record_retry(std::int64_t id, std::string_view now, std::string_view next_attempt_at,
                    const std::string& outcome);
  void record_failed(std::int64_t id, std::string_view now, const std::string& outcome);
  // Claims left by a dispatcher that stopped (kill -9) are released at start.
  std::size_t release_claims();
  // When the next pending delivery is due (the dispatcher sleeps until then).
  std::optional<std::string> next_due();

  std::optional<Delivery> find(std::int64_t id);
  std::vector<Delivery> list(const DeliveryFilter& filter);       // newest first
  std::vector<Delivery> of_ingest(const std::string& ingest_id);  // newest first
  // A failed (or pending) delivery is attempted again at once, with a fresh retry window. `Replay`
  // also sends a delivered one again (a hook's receiver lost it), with the same id.
  enum class Again { Retry, Replay };
  tl::expected<Delivery, std::string> retry(std::int64_t id, std::string_view now,
                                            Again again = Again::Retry);

 private:
  Database& db_;
};

}  // namespace intake::store
