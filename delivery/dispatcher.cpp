#include "delivery/dispatcher.hpp"

#include <random>

#include "ingest/report.hpp"
#include "store/sqlite.hpp"

namespace intake::delivery {

namespace {

double thread_random01() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

std::string seconds_text(std::chrono::seconds seconds) {
  const auto count = seconds.count();
  if (count % 86400 == 0) return std::to_string(count / 86400) + " d";
  if (count % 3600 == 0) return std::to_string(count / 3600) + " h";
  return std::to_string(count) + " s";
}

}  // namespace

Dispatcher::Dispatcher(DispatcherSettings settings, std::map<store::DeliveryKind, Deliverer> deliverers)
    : settings_(std::move(settings)), deliverers_(std::move(deliverers)) {
  if (!settings_.random01) settings_.random01 = thread_random01;
}

Dispatcher::~Dispatcher() { stop(); }

void Dispatcher::start() {
  {
    auto db = store::Database::open(settings_.database);
    store::OutboxRepository(db).release_claims();
  }
  for (unsigned i = 0; i < std::max(1u, settings_.workers); ++i) threads_.emplace_back([this] { work(); });
}

void Dispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    ++wakes_;
  }
  wake_.notify_all();
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
  threads_.clear();
}

std::size_t Dispatcher::deliver_due(std::optional<store::DeliveryKind> kind,
                                    std::optional<std::string> ingest_id) {
  auto db = store::Database::open(settings_.database);
  std::size_t attempted = 0;
  while (const auto batch = attempt_batch(db, kind, ingest_id)) attempted += batch;
  return attempted;
}

const RetrySchedule& Dispatcher::schedule_for(store::DeliveryKind kind) const {
  static const RetrySchedule kDefault;
  const auto found = settings_.schedules.find(kind);
  return found == settings_.schedules.end() ? kDefault : found->second;
}

AttemptResult Dispatcher::attempt(store::Database& db, const store::Delivery& claimed) const {
  const auto deliverer = deliverers_.find(claimed.kind);
  const auto ingest = claimed.ingest_id ? store::IngestRepository(db).find(*claimed.ingest_id) : std::nullopt;
  const auto hook = claimed.hook_id ? store::HookRepository(db).find(*claimed.hook_id) : std::nullopt;
  if (deliverer == deliverers_.end())
    return {Verdict::Retry,
            "this server delivers no " + std::string(store::delivery_kind_name(claimed.kind)) +
                " (not configured)",
            {}};
  if (!claimed.ingest_id) {  // about the tenant, not one upload (a daily digest): its payload says it all
    store::IngestRecord none;
    none.tenant = claimed.tenant;
    try {
      return deliverer->second(
          {claimed, none, nlohmann::json::parse(claimed.payload.value_or("{}"), nullptr, false), hook});
    } catch (const std::exception& error) {
      return {Verdict::Retry, error.what(), {}};
    }
  }
  if (!ingest) return {Verdict::GiveUp, "its upload is no longer in the journal", {}};
  if (hook && (hook->removed_at || hook->disabled_at))
    return {Verdict::GiveUp, std::string("its hook was ") + (hook->removed_at ? "removed" : "disabled"), {}};
  try {
    return deliverer->second({claimed, *ingest, ingest::current_report(*ingest), hook});
  } catch (const std::exception& error) {
    return {Verdict::Retry, error.what(), {}};
  }
}

store::DeliveryStatus Dispatcher::record(store::Database& db, const store::Delivery& claimed,
                                         AttemptResult& result) {
  store::OutboxRepository outbox(db);
  const auto after = settings_.now();
  const auto at = base::format_stored_time(after);
  switch (result.verdict) {
    case Verdict::Delivered:
      outbox.record_delivered(claimed.id, at, result.outcome);
      return store::DeliveryStatus::Delivered;
    case Verdict::GiveUp:
      outbox.record_failed(claimed.id, at, result.outcome);
      if (result.disable_hook && claimed.hook_id)
        store::HookRepository(db).disable(*claimed.hook_id, result.outcome);
      return store::DeliveryStatus::Failed;
    case Verdict::Retry: break;
  }
  const auto& schedule = schedule_for(claimed.kind);
  const auto since = base::parse_stored_time(claimed.retrying_since).value_or(after);
  const auto next = next_attempt(schedule, static_cast<unsigned>(claimed.attempts + 1), since, after,
                                 result.retry_after, settings_.random01());
  if (next) {
    outbox.record_retry(claimed.id, at, base::format_stored_time(*next), result.outcome);
    return store::DeliveryStatus::Pending;
  }
  result.outcome += "; given up after " + std::to_string(claimed.attempts + 1) + " attempts over " +
                    seconds_text(schedule.window) + " (`intake outbox retry " + std::to_string(claimed.id) +
                    "` tries again)";
  outbox.record_failed(claimed.id, at, result.outcome);
  return store::DeliveryStatus::Failed;
}

std::size_t Dispatcher::attempt_batch(store::Database& db, std::optional<store::DeliveryKind> kind,
                                      const std::optional<std::string>& ingest_id) {
  const auto now = settings_.now();
  // Claimed, and their outcomes recorded, a batch at a time: two commits (two fsyncs) for the batch
  // rather than two for every delivery, which is what keeps up with hundreds of conclusions a second.
  const auto claimed = store::OutboxRepository(db).claim_due(
      base::format_stored_time(now), base::format_stored_time(now - settings_.stale_claim), kind, ingest_id,
      settings_.batch);
  if (claimed.empty()) return 0;
  std::vector<AttemptResult> results;
  for (const auto& delivery : claimed) results.push_back(attempt(db, delivery));
  std::vector<store::DeliveryStatus> after;
  {
    store::Transaction transaction(db);
    for (std::size_t i = 0; i < claimed.size(); ++i) after.push_back(record(db, claimed[i], results[i]));
    transaction.commit();
  }
  if (settings_.on_attempt)
    for (std::size_t i = 0; i < claimed.size(); ++i) settings_.on_attempt(claimed[i], results[i], after[i]);
  return claimed.size();
}

void Dispatcher::work() {
  std::optional<store::Database> db;
  for (;;) {
    std::uint64_t seen = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      seen = wakes_;
    }
    auto wait = settings_.poll;
    try {
      if (!db) db.emplace(store::Database::open(settings_.database));
      if (attempt_batch(*db, {}, {}) > 0) continue;
      if (const auto due = store::OutboxRepository(*db).next_due()) {
        if (const auto at = base::parse_stored_time(*due)) {
          const auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*at - settings_.now());
          wait = std::clamp(until, std::chrono::milliseconds(0), settings_.poll);
        }
      }
    } catch (const std::exception& error) {
      if (settings_.on_error) settings_.on_error(error.what());
      db.reset();  // the database is busy or gone: a fresh connection after the poll interval
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [&] { return stopping_ || wakes_ != seen; });
  }
}

}  // namespace intake::delivery
