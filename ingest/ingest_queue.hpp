#pragma once
// Runs ingests on a pool of workers: strictly in submission order per tenant, tenants in parallel.
//
// Each tenant has a line of ingest ids; one of them runs at a time. An attempt that fails keeps its
// place at the head of the line and is tried again after a back-off timer — on no worker's time: the
// pool serves other tenants meanwhile, so one tenant's full disk or locked file never stalls another.
// Transient failures (the database busy, locked or full, the disk full, no memory) are retried for as
// long as they last; any other failure that repeats the same way `max_identical_failures` times
// concludes the ingest `failed` with its reason, so a poisonous file never comes back at every start.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ingest/pipeline.hpp"

namespace intake::ingest {

struct RetryPolicy {
  // The waits before the 2nd, 3rd, … attempt; the last repeats.
  std::vector<std::chrono::milliseconds> backoff{std::chrono::seconds(1), std::chrono::seconds(5),
                                                 std::chrono::seconds(15), std::chrono::seconds(60),
                                                 std::chrono::minutes(5)};
  unsigned max_identical_failures = 3;
};

// One attempt's failure, as the queue judges it.
struct AttemptFailure {
  std::string message;
  bool transient = false;  // worth waiting out however long it lasts
};

// What to do after an attempt failed `identical` times in a row the same way (pure, for tests).
enum class AfterFailure { Retry, Conclude };
AfterFailure after_failure(const AttemptFailure& failure, unsigned identical, const RetryPolicy& policy);

class IngestQueue {
 public:
  IngestQueue(IngestSettings settings, std::size_t workers, RetryPolicy retry = {});
  ~IngestQueue();
  void submit(const std::string& tenant, const std::string& id);
  // Flow control: waits until `tenant` has at most `max_waiting` files submitted and not yet
  // concluded, or `timeout` passes; false on timeout. Keeps a tenant that uploads faster than its
  // files are applied from building a backlog (its reports would lag ever further behind).
  bool wait_for_backlog(const std::string& tenant, std::size_t max_waiting,
                        std::chrono::milliseconds timeout);
  // Queues every ingest left queued or processing (at start, after a crash), oldest first.
  std::size_t resume();

  // Shutdown. From `stop_taking` on, no attempt starts (the ingest stays queued in the database and
  // runs at the next start) and retry timers end at once. `stop` then waits until `deadline` for the
  // attempts already running; true when none is left and the workers have ended. On false the
  // ingests named by `running()` are still applying: exiting now rolls their transactions back and the
  // next start runs them again.
  void stop_taking();
  bool stop(std::chrono::steady_clock::time_point deadline);
  std::vector<std::string> running();
  std::vector<std::string> left_queued();  // submitted, not concluded because of stop_taking
  void stop();                             // waits for every submitted ingest (tests, tools)

 private:
  struct Line {
    std::deque<std::string> ids;  // the head is running or waiting for its retry
    bool busy = false;
    unsigned attempts = 0;  // of the head, failed so far
    unsigned identical_failures = 0;
    std::string last_failure;
    std::shared_ptr<boost::asio::steady_timer> retry;
  };
  void start_head(const std::string& tenant);  // with mutex_ held
  void attempt(const std::string& tenant, const std::string& id);
  void concluded(const std::string& tenant);  // the head is done: the next one starts
  // Shutting down: the line's ingests stay queued in the database for the next start.
  void leave_queued(const std::string& tenant);
  void record_retry(const std::string& id, const AttemptFailure& failure, unsigned attempt,
                    std::chrono::milliseconds wait);
  bool conclude_failed(const std::string& id, const AttemptFailure& failure, unsigned attempts);

  IngestSettings settings_;
  RetryPolicy retry_;
  boost::asio::thread_pool pool_;
  std::mutex mutex_;
  std::map<std::string, Line> lines_;
  std::condition_variable concluded_;
  bool stopping_ = false;
  std::vector<std::string> running_;
  std::vector<std::string> left_queued_;
};

}  // namespace intake::ingest
