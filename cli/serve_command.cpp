// intake serve: the composition root of the running server.
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <thread>

#include "base/text.hpp"
#include "cli/commands.hpp"
#include "cli/upload_adapters.hpp"
#include "delivery/digest.hpp"
#include "ingest/profile_catalog.hpp"
#include "keys/fingerprint.hpp"
#include "server/event_log.hpp"
#include "server/server.hpp"
#include "server/server_store.hpp"
#include "server/sftp/sftp_session.hpp"
#include "store/profiles.hpp"

namespace intake::cli {
namespace {

struct ServeOptions {
  std::string listen;
  std::string user;
};

// Drops root for `user` after the socket and the host keys are open. Irreversible by design.
void drop_privileges(const std::string& user) {
  const passwd* account = ::getpwnam(user.c_str());
  if (!account)
    throw UserError("--user " + user + ": no such account; create it (adduser --system " + user + ")");
  if (account->pw_uid == 0) throw UserError("--user " + user + " is root; name an unprivileged account");
  const uid_t uid = account->pw_uid;
  const gid_t gid = account->pw_gid;
  if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    throw UserError("cannot switch to user " + user + ": " + std::strerror(errno));
  }
  if (::setuid(0) == 0) throw UserError("dropping privileges failed: root could be regained");
  server::log_event(spdlog::level::info, "", "privileges.dropped",
                    {{"user", user}, {"uid", std::to_string(uid)}});
}

// Each session holds its socket, its three folders and up to max_open_handles files, and Linux starts
// a process with a soft limit of 1,024 descriptors: raise it to the hard limit, and say so when even
// that is short of the worst case.
void raise_descriptor_limit(const server::ServerSettings& settings) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  const auto worst_case =
      static_cast<rlim_t>(settings.max_connections) * (settings.sftp.max_open_handles + 4) + 64;
  const bool short_of_it = limit.rlim_cur < worst_case;
  server::log_event(short_of_it ? spdlog::level::warn : spdlog::level::info, "", "limits.descriptors",
                    {{"limit", std::to_string(limit.rlim_cur)},
                     {"worst_case", std::to_string(worst_case)},
                     {"advice", short_of_it ? "raise LimitNOFILE (systemd) or the hard limit, or lower "
                                              "max_connections or max_open_handles"
                                            : "ok"}});
}

// A profile of the operator's that this intake no longer loads is said at start, with the tenants it
// leaves without one (each of their uploads then fails with the same reason), never skipped silently.
void report_unloadable_profiles(Context& context) {
  store::ProfileRepository profiles(context.db());
  for (const auto& stored : profiles.list()) {
    if (const auto loaded = ingest::load_stored_profile(stored); !loaded) {
      server::log_event(spdlog::level::err, "", "profile.unloadable",
                        {{"profile", stored.name},
                         {"tenants", base::join(profiles.tenants_using(stored.name), ",")},
                         {"error", loaded.error()}});
    }
  }
}

// Report files a crash left half-written in DATA_DIR/staging (never visible to tenants). Only those an
// hour old: a CLI command (a release) may be writing one right now.
void sweep_staging(const std::filesystem::path& data_dir) {
  std::error_code ec;
  const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::size_t removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir / "staging", ec)) {
    if (entry.is_regular_file(ec) && entry.last_write_time(ec) < cutoff &&
        std::filesystem::remove(entry.path(), ec))
      ++removed;
  }
  if (removed > 0)
    server::log_event(spdlog::level::info, "", "staging.swept", {{"count", std::to_string(removed)}});
}

void serve(Context& context, const ServeOptions& options) {
  Config config = context.config();
  if (!options.listen.empty()) config.server.listen = options.listen;
  if (auto problem = server::configure_logging(config.server.log_format, config.server.log_level);
      !problem.empty()) {
    throw UserError(context.config_path().string() + ": " + problem);
  }
  raise_descriptor_limit(config.server);
  // Host keys are created (as `intake hostkeys` does) and loaded before privileges are dropped.
  auto host_keys = keys::ensure_host_keys(context.data_dir() / "hostkeys");
  if (!host_keys) throw UserError(host_keys.error());
  auto server = server::Server::open(config.server, *host_keys);
  if (!server) throw UserError(server.error());

  if (::geteuid() == 0) {
    if (!options.user.empty()) {
      drop_privileges(options.user);
    } else {
      server::log_event(spdlog::level::warn, "", "running_as_root",
                        {{"advice", "start with --user NAME to drop privileges after opening the port"}});
    }
  }
  server::ServerStore store([&] {
    try {
      return store::Database::open(context.data_dir() / "intake.db");
    } catch (const store::DatabaseError& error) {
      throw UserError(std::string(error.what()) +
                      "; the data dir must be writable by the account the server runs as");
    }
  }());
  for (const auto& key : *host_keys) {
    if (key.created) {
      store.audit("hostkey.create", "",
                  {{"path", key.path.string()}, {"fingerprint", keys::sha256_fingerprint(key.public_key)}});
    }
  }
  const auto database = context.data_dir() / "intake.db";
  report_unloadable_profiles(context);
  sweep_staging(context.data_dir());
  ProfileNamePolicy names(store::Database::open(database));
  TenantQuotas quotas(store::Database::open(database));
  auto ingest_settings =
      cli::ingest_settings(context, 0, [](const std::string& id, const std::string& error) {
        server::log_event(spdlog::level::err, "", "ingest.error", {{"id", id}, {"error", error}});
      });
  // The outbox: report files, e-mails and hooks queued with each conclusion, delivered from here.
  delivery::DispatcherSettings dispatch;
  dispatch.on_attempt = [](const store::Delivery& d, const delivery::AttemptResult& result,
                           store::DeliveryStatus after) {
    server::log_event(after == store::DeliveryStatus::Failed    ? spdlog::level::err
                      : after == store::DeliveryStatus::Pending ? spdlog::level::warn
                                                                : spdlog::level::info,
                      d.tenant, "delivery." + std::string(store::delivery_status_name(after)),
                      {{"delivery", std::to_string(d.id)},
                       {"ingest", d.ingest_id.value_or("")},
                       {"kind", std::string(store::delivery_kind_name(d.kind))},
                       {"target", d.target},
                       {"attempt", std::to_string(d.attempts + 1)},
                       {"outcome", result.outcome}});
  };
  dispatch.on_error = [](const std::string& error) {
    server::log_event(spdlog::level::err, "", "outbox.error", {{"error", error}});
  };
  auto dispatcher = make_dispatcher(context, std::move(dispatch));
  ingest_settings.on_concluded = [&dispatcher](const std::string&) { dispatcher->wake(); };
  dispatcher->start();
  const unsigned workers =
      config.ingest.workers ? config.ingest.workers : std::max(1u, std::thread::hardware_concurrency());
  ingest::RetryPolicy retry;
  retry.backoff.assign(config.ingest.retry_backoff.begin(), config.ingest.retry_backoff.end());
  ingest::IngestQueue queue(ingest_settings, workers, retry);
  // Passwords left in archived files by a crash between an ingest's conclusion and their blanking.
  if (auto db = store::Database::open(database);
      const auto blanked = ingest::redact_concluded_archives(ingest_settings, db)) {
    server::log_event(spdlog::level::info, "", "archive.redacted", {{"count", std::to_string(blanked)}});
  }
  // Everything left queued or processing by a crash runs again, oldest first (exactly once: a final
  // ingest is never reprocessed, and applying commits with its status).
  if (const auto resumed = queue.resume()) {
    server::log_event(spdlog::level::info, "", "ingest.resumed", {{"count", std::to_string(resumed)}});
  }
  JournalSink sink(ingest_settings, queue, config.ingest.backlog_wait);
  server::sftp::GhostRegistry ghosts(config.server.sftp.ghost_ttl);
  const auto tenants_dir = context.data_dir() / "tenants";
  server::sftp::NameClaims claims;
  server::sftp::SftpFactory sftp({config.server.sftp, tenants_dir, &sink, &names, &ghosts, &claims, &quotas});

  auto sweep_settings = config.server.sftp;
  auto shutdown_grace = config.server.shutdown_grace;
  const bool config_file_at_start = std::filesystem::exists(context.config_path());
  const auto reload = [&]() -> std::optional<server::ServerSettings> {
    // A file that vanished is an accident (a bad deploy, a wrong path), not "use every default": the
    // safelist and limits would silently reset.
    auto fresh = config_file_at_start && !std::filesystem::exists(context.config_path())
                     ? tl::expected<Config, std::string>(
                           tl::unexpect, "config file " + context.config_path().string() +
                                             " is gone; the running settings stay until it is back")
                     : context.reread_config();
    if (!fresh) {
      server::log_event(spdlog::level::err, "", "config.reload_failed", {{"error", fresh.error()}});
      return std::nullopt;
    }
    if (!options.listen.empty()) fresh->server.listen = options.listen;
    sftp.update_settings(fresh->server.sftp);
    sweep_settings = fresh->server.sftp;
    shutdown_grace = fresh->server.shutdown_grace;
    return fresh->server;
  };
  std::optional<std::chrono::steady_clock::time_point> last_archive_sweep;  // at start, then daily
  auto digests_db = store::Database::open(database);
  const auto housekeeping = [&] {
    sweep_uploads(tenants_dir, sweep_settings, claims);
    try {
      if (delivery::queue_daily_digests(digests_db, std::chrono::system_clock::now(),
                                        config.delivery.daily_digest_hour) > 0)
        dispatcher->wake();
    } catch (const store::DatabaseError& error) {
      server::log_event(spdlog::level::err, "", "digest.error", {{"error", error.what()}});
    }
    if (!last_archive_sweep ||
        std::chrono::steady_clock::now() - *last_archive_sweep > std::chrono::hours(24)) {
      last_archive_sweep = std::chrono::steady_clock::now();
      sweep_archive(ingest_settings, config.ingest.archive_days);
    }
  };
  // SIGTERM: no ingest starts any more (queued ones stay queued in the database), and the one applying
  // gets the sessions' grace to finish; past it, it is abandoned (its transaction rolls back) and runs
  // again at the next start, so that systemd never has to SIGKILL a server that drains a backlog.
  std::chrono::steady_clock::time_point stop_deadline;
  const auto stopping = [&] {
    stop_deadline = std::chrono::steady_clock::now() + shutdown_grace;
    queue.stop_taking();
  };
  (*server)->run(store, &sftp, {reload, housekeeping, stopping});
  const bool drained = queue.stop(stop_deadline);
  // Deliveries under way finish (each is bounded by its timeout); the rest wait in the outbox.
  dispatcher->stop();
  const auto left = queue.left_queued();
  std::string abandoned;
  for (const auto& id : queue.running()) abandoned += (abandoned.empty() ? "" : ",") + id;
  if (!left.empty() || !drained) {
    server::log_event(spdlog::level::warn, "", "ingest.left",
                      {{"queued", std::to_string(left.size())},
                       {"abandoned", abandoned},  // empty when drained: nothing runs any more
                       {"note", "they run at the next start, in upload order"}});
  }
  if (!drained) {
    spdlog::default_logger()->flush();
    std::_Exit(0);  // an ingest is still applying: its transaction rolls back with the process
  }
}

}  // namespace

void add_serve_command(CLI::App& app, Context& context) {
  auto options = std::make_shared<ServeOptions>();
  auto* serve_command =
      app.add_subcommand("serve", "Run the SFTP server (stops on SIGTERM/SIGINT, reloads on SIGHUP)");
  serve_command->add_option("--listen", options->listen,
                            "IPv4 ADDRESS:PORT to listen on (default: config, 0.0.0.0:2222)");
  serve_command->add_option("--user", options->user,
                            "When started as root: the account to run as after opening the port");
  serve_command->callback([&context, options] { serve(context, *options); });
}

}  // namespace intake::cli
