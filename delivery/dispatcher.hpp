#pragma once
// Delivers the outbox (store/outbox.hpp): a few threads of `intake serve` claim due deliveries, hand
// each to the deliverer of its kind, and record the outcome — delivered, retried on the schedule, or
// given up. At least once: a delivery is marked done only after its receiver took it, so after a
// crash an attempt may repeat, with the same id (a report file is replaced by the same file; an e-mail
// keeps its Message-ID). A CLI command uses `deliver_due` on its own thread for the report files of
// what it concluded.
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "delivery/attempt.hpp"
#include "delivery/retry_schedule.hpp"

namespace intake::delivery {

struct DispatcherSettings {
  std::filesystem::path database;
  unsigned workers = 2;
  std::map<store::DeliveryKind, RetrySchedule> schedules;  // a kind without one: the default schedule
  std::function<base::WallTime()> now = [] { return std::chrono::system_clock::now(); };
  std::function<double()> random01;  // for the jitter; none: a thread-local generator
  // How often the outbox is looked at when nothing woke the dispatcher (a CLI command queued something).
  std::chrono::milliseconds poll{1000};
  // A claim older than this is taken as abandoned (its dispatcher stopped mid-attempt).
  std::chrono::seconds stale_claim = std::chrono::minutes(15);
  // Deliveries claimed (and their outcomes recorded) in one transaction. A slow receiver holds up the
  // rest of its batch, so keep it small.
  std::int64_t batch = 8;
  // Told of every attempt, with what becomes of the delivery (for the log).
  std::function<void(const store::Delivery&, const AttemptResult&, store::DeliveryStatus after)> on_attempt;
  std::function<void(const std::string& error)> on_error;  // the outbox itself could not be read
};

class Dispatcher {
 public:
  Dispatcher(DispatcherSettings settings, std::map<store::DeliveryKind, Deliverer> deliverers);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Releases the claims a stopped dispatcher left, then starts the workers.
  void start();
  void wake();  // something was queued: look now
  void stop();  // waits for the attempts under way

  // Attempts every delivery due now (of `kind`, about `ingest_id`, when given) on the caller's thread;
  // returns how many were attempted.
  std::size_t deliver_due(std::optional<store::DeliveryKind> kind = {},
                          std::optional<std::string> ingest_id = {});

 private:
  void work();
  // Claims a batch of due deliveries on `db`, attempts each, and records their outcomes; how many.
  std::size_t attempt_batch(store::Database& db, std::optional<store::DeliveryKind> kind,
                            const std::optional<std::string>& ingest_id);
  AttemptResult attempt(store::Database& db, const store::Delivery& claimed) const;
  // Records the outcome (adding why it was given up, when it was) inside the caller's transaction.
  store::DeliveryStatus record(store::Database& db, const store::Delivery& claimed, AttemptResult& result);
  const RetrySchedule& schedule_for(store::DeliveryKind kind) const;

  DispatcherSettings settings_;
  std::map<store::DeliveryKind, Deliverer> deliverers_;
  std::vector<std::thread> threads_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::uint64_t wakes_ = 0;
  bool stopping_ = false;
};

}  // namespace intake::delivery
