#pragma once
// The ingest hooks: a webhook (an HTTPS POST signed per the Standard Webhooks specification) and a
// command hook (a program run with the same JSON on stdin), both told of one event.
#include <chrono>
#include <filesystem>
#include <string>

#include "base/sealed_secret.hpp"
#include "delivery/attempt.hpp"

namespace intake::delivery {

// The event as JSON, the same at every attempt: {"type", "timestamp", "data": {tenant, sequence,
// ingest_id, file, status, message, counts, entities, the first 1,000 changes, where the report and the
// results file are}}. Pure.
std::string hook_event_body(const DeliveryJob& job);
// "<ingest id>.<event>": stable across retries and replays, so that a receiver can drop a repeat.
std::string hook_message_id(const DeliveryJob& job);

// "whsec_<base64 of 24 random bytes>": a new webhook's signing secret.
std::string new_webhook_secret();
// Standard Webhooks: "v1,<base64 HMAC-SHA256 of id.timestamp.body under the secret's bytes>"; the
// error says what is wrong with a secret that is not "whsec_<base64>".
tl::expected<std::string, std::string> sign_webhook(std::string_view secret, std::string_view id,
                                                    std::int64_t timestamp, std::string_view body);

struct HookSettings {
  std::filesystem::path ca_file;  // trusted CAs for webhook receivers; empty: the system's
  std::chrono::seconds webhook_timeout = std::chrono::seconds(15);
  std::chrono::seconds command_timeout = std::chrono::seconds(60);
  std::string user_agent = "Intake-Webhooks/1";
};

// Posts the event to the hook's URL. 2xx: delivered; 410: given up and the hook disabled; anything
// else (and a refused connection, a bad certificate, a timeout): retried, after Retry-After if given.
AttemptResult send_webhook(const HookSettings& settings, const base::Sealer& sealer, const DeliveryJob& job);

// Runs the hook's program (no shell, its own process group, killed after the timeout) with the event
// on stdin and INTAKE_* variables; exit 0: delivered; otherwise retried, with the exit status and the
// tail of its output recorded.
AttemptResult run_command_hook(const HookSettings& settings, const DeliveryJob& job);

}  // namespace intake::delivery
