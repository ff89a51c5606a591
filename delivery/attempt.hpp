#pragma once
// One attempt at a delivery, as its deliverer judges it.
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "store/hooks.hpp"
#include "store/ingests.hpp"
#include "store/outbox.hpp"

namespace intake::delivery {

enum class Verdict {
  Delivered,
  Retry,   // a passing failure: the receiver is down, busy, or answered 4xx
  GiveUp,  // a permanent refusal (5xx, 410): retrying would not help, only a person can
};

struct AttemptResult {
  Verdict verdict = Verdict::Retry;
  std::string outcome;  // what the receiver said, for `intake outbox` and the history: "250 OK", "HTTP 500"
  std::optional<std::chrono::seconds> retry_after;  // the receiver asked to wait at least this long
  bool disable_hook = false;                        // the receiver said the endpoint is gone for good (410)
};

// What a deliverer is handed: the outbox row, the ingest it is about, and that ingest's report as it
// stands (ingest/report.hpp current_report).
struct DeliveryJob {
  store::Delivery delivery;
  store::IngestRecord ingest;
  nlohmann::json report;
  std::optional<store::Hook> hook;  // a webhook's or command hook's delivery
};

using Deliverer = std::function<AttemptResult(const DeliveryJob& job)>;

}  // namespace intake::delivery
