#include "delivery/hooks.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "base/base64.hpp"
#include "base/sha256.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"
#include "base/utc_time.hpp"
#include "delivery/curl_setup.hpp"
#include "ingest/report.hpp"

extern char** environ;

namespace intake::delivery {

namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::size_t kOutputTail = 2048;  // of a command's output, kept in the outcome

// The report the event carries: the delivery's snapshot from the moment of the event, or else (an
// event queued without one) the ingest's report as it stands.
nlohmann::json event_report(const DeliveryJob& job) {
  if (job.delivery.payload) {
    auto snapshot = nlohmann::json::parse(*job.delivery.payload, nullptr, false);
    if (snapshot.is_object() && snapshot.contains("counts")) return snapshot;
  }
  return job.report;
}

std::string tail_of(const std::string& text) {
  std::string tail = text.size() > kOutputTail ? "…" + text.substr(text.size() - kOutputTail) : text;
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
  return tail;
}

}  // namespace

std::string hook_message_id(const DeliveryJob& job) { return job.ingest.id + "." + job.delivery.event; }

std::string hook_event_body(const DeliveryJob& job) {
  const auto report = event_report(job);
  const auto& ingest = job.ingest;
  nlohmann::json data{{"tenant", ingest.tenant},
                      {"sequence", job.delivery.sequence.value_or(0)},
                      {"ingest_id", ingest.id},
                      {"file", ingest.file_name},
                      {"received_at", ingest.received_at},
                      {"status", report.value("status", "")},
                      {"message", report.value("message", "")},
                      {"counts", report.value("counts", nlohmann::json::object())},
                      {"entities", report.value("entities", nlohmann::json::object())},
                      {"changes", report.value("changes", nlohmann::json::array())},
                      {"report_file", "reports/" + ingest::report_file_name(ingest.id, ingest.file_name)}};
  // The report keeps the first 1,000 changes; the results file lists every row.
  data["changes_truncated"] = data["changes"].size() >= 1000;
  if (report.contains("results_file"))
    data["results_file"] = "reports/" + report["results_file"].get<std::string>();
  if (report.contains("profile")) data["profile"] = report["profile"];
  const nlohmann::json event{
      {"type", job.delivery.event}, {"timestamp", job.delivery.created_at}, {"data", std::move(data)}};
  return event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string new_webhook_secret() {
  std::string bytes(24, '\0');
  ::RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  return std::string(kSecretPrefix) + base::base64_encode(bytes);
}

tl::expected<std::string, std::string> sign_webhook(std::string_view secret, std::string_view id,
                                                    std::int64_t timestamp, std::string_view body) {
  if (!secret.starts_with(kSecretPrefix))
    return tl::unexpected(std::string("a webhook secret starts with whsec_"));
  const auto key = base::base64_decode(secret.substr(kSecretPrefix.size()));
  if (!key || key->empty()) return tl::unexpected(std::string("a webhook secret is whsec_ and base64"));
  std::string signed_content;
  signed_content.reserve(id.size() + body.size() + 24);
  signed_content.append(id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  return "v1," + base::base64_encode(base::hmac_sha256(*key, signed_content));
}

AttemptResult send_webhook(const HookSettings& settings, const base::Sealer& sealer, const DeliveryJob& job) {
  if (!job.hook || !job.hook->sealed_secret) return {Verdict::GiveUp, "the hook has no signing secret", {}};
  const auto secret = sealer.open(*job.hook->sealed_secret);
  if (!secret) return {Verdict::Retry, "cannot open the hook's secret: " + secret.error(), {}};
  const auto body = hook_event_body(job);
  const auto id = hook_message_id(job);
  const auto timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  const auto signature = sign_webhook(secret->view(), id, timestamp, body);
  if (!signature) return {Verdict::GiveUp, signature.error(), {}};

  auto curl = new_curl(settings.webhook_timeout, settings.ca_file);
  if (!curl) return {Verdict::Retry, "cannot start libcurl", {}};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, job.hook->target.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
  curl_easy_setopt(c, CURLOPT_USERAGENT, settings.user_agent.c_str());
  CurlList headers;
  for (const auto& line :
       {std::string("Content-Type: application/json"), "webhook-id: " + id,
        "webhook-timestamp: " + std::to_string(timestamp), "webhook-signature: " + *signature})
    headers.append(line);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  std::string answer;
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* data, std::size_t, std::size_t size, void* out) {
        auto& kept = *static_cast<std::string*>(out);
        if (kept.size() < 300) kept.append(data, std::min<std::size_t>(size, 300 - kept.size()));
        return size;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
  char error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);

  const CURLcode result = curl_easy_perform(c);
  if (result != CURLE_OK) return {Verdict::Retry, error[0] ? error : curl_easy_strerror(result), {}};
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  curl_off_t retry_after = 0;
  curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &retry_after);
  std::string outcome = "HTTP " + std::to_string(code);
  while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
  if (!answer.empty()) outcome += ": " + base::escape_for_log(answer);
  if (code >= 200 && code < 300) return {Verdict::Delivered, outcome, {}};
  if (code == 410) {
    AttemptResult gone{
        Verdict::GiveUp, outcome + " (the receiver says the endpoint is gone; the hook is disabled)", {}};
    gone.disable_hook = true;
    return gone;
  }
  std::optional<std::chrono::seconds> wait;
  if (retry_after > 0) wait = std::chrono::seconds(retry_after);
  return {Verdict::Retry, outcome, wait};
}

AttemptResult run_command_hook(const HookSettings& settings, const DeliveryJob& job) {
  if (!job.hook) return {Verdict::GiveUp, "the hook is gone", {}};
  const auto body = hook_event_body(job);
  int to_child[2], from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0)
    return {Verdict::Retry, std::string("pipe: ") + std::strerror(errno), {}};
  base::UniqueFd child_in(to_child[0]), write_end(to_child[1]);
  if (::pipe2(from_child, O_CLOEXEC) != 0)
    return {Verdict::Retry, std::string("pipe: ") + std::strerror(errno), {}};
  base::UniqueFd read_end(from_child[0]), child_out(from_child[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, child_in.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, child_out.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, child_out.get(), 2);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  // Only what the hook needs: no secret of the server's environment passes on.
  std::vector<std::string> variables{
      "PATH=/usr/local/bin:/usr/bin:/bin",
      "INTAKE_EVENT=" + job.delivery.event,
      "INTAKE_TENANT=" + job.ingest.tenant,
      "INTAKE_INGEST_ID=" + job.ingest.id,
      "INTAKE_STATUS=" + std::string(job.delivery.ingest_status
                                         ? store::ingest_status_name(*job.delivery.ingest_status)
                                         : ""),
      "INTAKE_SEQUENCE=" + std::to_string(job.delivery.sequence.value_or(0)),
      "INTAKE_MESSAGE_ID=" + hook_message_id(job),
      "INTAKE_DELIVERY_ID=" + std::to_string(job.delivery.id)};
  std::vector<char*> environment;
  for (auto& variable : variables) environment.push_back(variable.data());
  environment.push_back(nullptr);
  std::string program = job.hook->target;
  char* argv[] = {program.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, program.c_str(), &actions, &attributes, argv, environment.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  child_in.reset();
  child_out.reset();
  if (spawned != 0) return {Verdict::Retry, "cannot run " + program + ": " + std::strerror(spawned), {}};

  // Feed stdin and drain the output together (either may fill its pipe), until the program ends both
  // or the timeout passes.
  ::fcntl(write_end.get(), F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() + settings.command_timeout;
  std::size_t written = 0;
  std::string output;
  bool timed_out = false;
  while (read_end) {
    if (written == body.size()) write_end.reset();
    pollfd fds[2] = {{read_end.get(), POLLIN, 0}, {write_end.get(), POLLOUT, 0}};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    if (::poll(fds, write_end ? 2 : 1, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    if (write_end && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const auto n = ::write(write_end.get(), body.data() + written, body.size() - written);
      if (n > 0) {
        written += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN) {
        write_end.reset();  // the program does not read its input: its business
        written = body.size();
      }
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[4096];
      const auto n = ::read(read_end.get(), buffer, sizeof buffer);
      if (n > 0) {
        output.append(buffer, static_cast<std::size_t>(n));
        if (output.size() > 2 * kOutputTail) output.erase(0, output.size() - kOutputTail);
      } else if (n == 0 || errno != EINTR) {
        read_end.reset();
      }
    }
  }
  if (timed_out) ::kill(-pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const auto tail = tail_of(output);
  const auto said = tail.empty() ? std::string() : ": " + base::escape_for_log(tail);
  if (timed_out)
    return {
        Verdict::Retry, "killed after " + std::to_string(settings.command_timeout.count()) + " s" + said, {}};
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {Verdict::Delivered, "exit 0" + said, {}};
  if (WIFEXITED(status)) return {Verdict::Retry, "exit " + std::to_string(WEXITSTATUS(status)) + said, {}};
  return {Verdict::Retry, std::string("killed by signal ") + std::to_string(WTERMSIG(status)) + said, {}};
}

}  // namespace intake::delivery
