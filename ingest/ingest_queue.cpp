#include "ingest/ingest_queue.hpp"

#include <pthread.h>

#include <boost/asio/post.hpp>
#include <filesystem>

#include "store/ingests.hpp"
#include "store/sqlite.hpp"

namespace intake::ingest {
namespace {

// The disk full, I/O failing, out of memory or descriptors: conditions that pass.
bool transient_system_error(const std::error_code& code) {
  if (code.category() == std::system_category() && code.value() == EDQUOT)
    return true;  // a quota is a full disk
  return code == std::errc::no_space_on_device || code == std::errc::io_error ||
         code == std::errc::not_enough_memory || code == std::errc::too_many_files_open ||
         code == std::errc::too_many_files_open_in_system;
}

std::string seconds_text(std::chrono::milliseconds wait) {
  return std::to_string((wait.count() + 999) / 1000) + " s";
}

}  // namespace

AfterFailure after_failure(const AttemptFailure& failure, unsigned identical, const RetryPolicy& policy) {
  if (failure.transient) return AfterFailure::Retry;
  return identical >= policy.max_identical_failures ? AfterFailure::Conclude : AfterFailure::Retry;
}

IngestQueue::IngestQueue(IngestSettings settings, std::size_t workers, RetryPolicy retry)
    : settings_(std::move(settings)), retry_(std::move(retry)), pool_(std::max<std::size_t>(1, workers)) {
  if (retry_.backoff.empty()) retry_.backoff.push_back(std::chrono::seconds(1));
}

IngestQueue::~IngestQueue() {
  stop_taking();
  pool_.join();
}

void IngestQueue::submit(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mutex_);
  if (stopping_) {  // it stays queued in the database: the next start runs it
    left_queued_.push_back(id);
    return;
  }
  auto& line = lines_[tenant];
  line.ids.push_back(id);
  if (!line.busy) start_head(tenant);
}

void IngestQueue::start_head(const std::string& tenant) {
  auto& line = lines_.at(tenant);
  line.busy = true;
  boost::asio::post(pool_, [this, tenant, id = line.ids.front()] { attempt(tenant, id); });
}

void IngestQueue::concluded(const std::string& tenant) {
  auto found = lines_.find(tenant);
  auto& line = found->second;
  line.ids.pop_front();
  line.busy = false;
  line.attempts = 0;
  line.identical_failures = 0;
  line.last_failure.clear();
  line.retry.reset();
  if (stopping_) return leave_queued(tenant);
  if (line.ids.empty()) {
    lines_.erase(found);
  } else {
    start_head(tenant);
  }
  concluded_.notify_all();
}

void IngestQueue::leave_queued(const std::string& tenant) {
  const auto found = lines_.find(tenant);
  left_queued_.insert(left_queued_.end(), found->second.ids.begin(), found->second.ids.end());
  lines_.erase(found);
  concluded_.notify_all();
}

void IngestQueue::attempt(const std::string& tenant, const std::string& id) {
  ::pthread_setname_np(::pthread_self(), "intake-ingest");  // for top -H, perf and gdb
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return leave_queued(tenant);
    running_.push_back(id);
  }
  // Each worker keeps its connection and its prepared statements (opening one reads the schema and
  // checks migrations on every job otherwise); dropped after any failure, so a retry starts afresh.
  thread_local std::unique_ptr<store::Database> db;
  std::optional<AttemptFailure> failure;
  try {
    if (!db) db = std::make_unique<store::Database>(store::Database::open(settings_.data_dir / "intake.db"));
    if (auto status = process_ingest(settings_, *db, id); !status)
      failure = AttemptFailure{status.error(), false};
  } catch (const store::DatabaseError& error) {
    failure = AttemptFailure{error.what(), error.is_transient()};
  } catch (const std::filesystem::filesystem_error& error) {
    failure = AttemptFailure{error.what(), transient_system_error(error.code())};
  } catch (const std::bad_alloc&) {
    failure = AttemptFailure{"out of memory", true};
  } catch (const std::exception& error) {
    failure = AttemptFailure{error.what(), false};
  }
  if (failure) db.reset();

  std::unique_lock lock(mutex_);
  std::erase(running_, id);
  if (!failure) return concluded(tenant);
  auto& line = lines_.at(tenant);
  ++line.attempts;
  line.identical_failures = failure->message == line.last_failure ? line.identical_failures + 1 : 1;
  line.last_failure = failure->message;
  const auto attempts = line.attempts;
  if (after_failure(*failure, line.identical_failures, retry_) == AfterFailure::Conclude) {
    lock.unlock();
    const bool done = conclude_failed(id, *failure, attempts);
    lock.lock();
    if (done) return concluded(tenant);
  }
  if (stopping_) return leave_queued(tenant);
  const auto wait = retry_.backoff[std::min<std::size_t>(attempts, retry_.backoff.size()) - 1];
  auto timer = std::make_shared<boost::asio::steady_timer>(pool_.get_executor(), wait);
  line.retry = timer;
  lock.unlock();
  record_retry(id, *failure, attempts, wait);
  // Cancelled by stop_taking: the attempt then sees the queue stopping and leaves the line queued.
  timer->async_wait([this, tenant, id](const boost::system::error_code&) { attempt(tenant, id); });
}

void IngestQueue::record_retry(const std::string& id, const AttemptFailure& failure, unsigned attempt,
                               std::chrono::milliseconds wait) {
  const std::string note = "attempt " + std::to_string(attempt) + " failed (" + failure.message +
                           "); trying again in " + seconds_text(wait) + ", the tenant's later files wait";
  if (settings_.on_error) settings_.on_error(id, note);
  try {  // for `intake history`; when the database is the problem, the log has it
    auto db = store::Database::open(settings_.data_dir / "intake.db");
    store::IngestRepository(db).note(id, note);
  } catch (const std::exception&) {
  }
}

bool IngestQueue::conclude_failed(const std::string& id, const AttemptFailure& failure, unsigned attempts) {
  try {
    auto db = store::Database::open(settings_.data_dir / "intake.db");
    {
      store::Transaction transaction(db);
      const auto changed = store::IngestRepository(db).change_status(
          id, store::IngestStatus::Failed,
          {"failed the same way " + std::to_string(attempts) + " times, so it is not tried again: " +
               failure.message + "; upload the file again once the cause is fixed",
           {},
           {},
           {}},
          settings_.actor, "ingest.conclude");
      if (!changed) return false;
      transaction.commit();
    }
    if (settings_.on_concluded) settings_.on_concluded(id);
    redact_concluded_archives(settings_, db);  // a file with passwords has them blanked now
    if (settings_.on_error)
      settings_.on_error(id, "concluded failed after " + std::to_string(attempts) + " attempts");
    return true;
  } catch (const std::exception& error) {
    if (settings_.on_error)
      settings_.on_error(id, std::string("could not conclude it failed: ") + error.what());
    return false;
  }
}

bool IngestQueue::wait_for_backlog(const std::string& tenant, std::size_t max_waiting,
                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return concluded_.wait_for(lock, timeout, [&] {
    const auto found = lines_.find(tenant);
    return found == lines_.end() || found->second.ids.size() <= max_waiting;
  });
}

std::size_t IngestQueue::resume() {
  auto db = store::Database::open(settings_.data_dir / "intake.db");
  const auto pending = store::IngestRepository(db).unfinished();
  for (const auto& record : pending) submit(record.tenant, record.id);
  return pending.size();
}

void IngestQueue::stop_taking() {
  std::lock_guard lock(mutex_);
  stopping_ = true;
  for (auto& [tenant, line] : lines_) {
    if (line.retry) line.retry->cancel();  // a waiting retry ends at once
  }
  concluded_.notify_all();
}

bool IngestQueue::stop(std::chrono::steady_clock::time_point deadline) {
  stop_taking();
  std::unique_lock lock(mutex_);
  // Every line ends: concluded, or left queued by the stop.
  if (!concluded_.wait_until(lock, deadline, [&] { return lines_.empty(); })) return false;
  lock.unlock();
  pool_.join();
  return true;
}

std::vector<std::string> IngestQueue::running() {
  std::lock_guard lock(mutex_);
  return running_;
}

std::vector<std::string> IngestQueue::left_queued() {
  std::lock_guard lock(mutex_);
  return left_queued_;
}

void IngestQueue::stop() {
  {
    std::unique_lock lock(mutex_);
    concluded_.wait(lock, [&] { return lines_.empty(); });
  }
  pool_.join();
}

}  // namespace intake::ingest
