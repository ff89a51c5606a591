#include "ingest/pipeline.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "base/durable_file.hpp"
#include "base/hex.hpp"
#include "base/sha256.hpp"
#include "base/unique_fd.hpp"
#include "base/utc_time.hpp"
#include "ingest/plan.hpp"
#include "ingest/report.hpp"
#include "ingest/snapshot.hpp"
#include "store/directory.hpp"
#include "store/ingests.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"

namespace intake::ingest {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

class FileSource : public ByteSource {
 public:
  explicit FileSource(const fs::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~FileSource() override {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }
  std::size_t read(std::span<char> buffer) override {
    while (true) {
      const ssize_t got = ::read(fd_, buffer.data(), buffer.size());
      if (got < 0 && errno == EINTR) continue;
      return got > 0 ? static_cast<std::size_t>(got) : 0;
    }
  }

 private:
  int fd_;
};

std::optional<std::string> sha256_of(const fs::path& path) {
  const base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  return base::sha256_of_fd(fd.get());
}

// Sortable and unique: the receive time to the millisecond, a counter within the millisecond, and a
// random suffix (two processes never share an id).
std::string new_ingest_id(Clock::time_point now) {
  static std::mutex mutex;
  static std::int64_t last_ms = 0;
  static int sequence = 0;
  std::lock_guard lock(mutex);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (ms <= last_ms) {
    ms = last_ms;
    ++sequence;
  } else {
    sequence = 0;
  }
  last_ms = ms;
  std::string stamp = base::format_stored_time(Clock::time_point(std::chrono::milliseconds(ms)));
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
              stamp.end());
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04d", sequence % 10000);
  return stamp + "-" + suffix + "-" + base::random_hex(2).value_or("0000");
}

std::string rfc5322_date(Clock::time_point now) {
  const std::time_t seconds = Clock::to_time_t(now);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char out[64];
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return out;
}

// The tenant's report in reports/ and, when it has report addresses, a message in the outbox.
void publish_report(const IngestSettings& settings, const store::Tenant& tenant,
                    const nlohmann::json& report) {
  const fs::path reports = settings.data_dir / "tenants" / tenant.name / "reports";
  std::error_code ec;
  fs::create_directories(reports, ec);
  // Reports can be rendered again from the database: written atomically, not fsynced (the journal
  // and the archive are what must survive a power cut).
  const auto written =
      base::write_file_atomically(reports / report_file_name(report["received_at"], report["file"]),
                                  render_report_text(report), base::Existing::Replace, base::Sync::No, 0644);
  if (!written && settings.on_error) settings.on_error(report["id"].get<std::string>(), written.error());
  if (!tenant.report_emails.empty()) {
    const fs::path outbox = settings.data_dir / "outbox";
    fs::create_directories(outbox, ec);
    const auto queued =
        base::write_file_atomically(outbox / (report["id"].get<std::string>() + ".eml"),
                                    render_report_email(report, tenant.report_emails, settings.mail_from_host,
                                                        rfc5322_date(Clock::now())),
                                    base::Existing::Replace, base::Sync::No, 0644);
    if (!queued && settings.on_error) settings.on_error(report["id"].get<std::string>(), queued.error());
  }
}

double seconds_between(const std::optional<std::string>& from, const std::optional<std::string>& to) {
  if (!from || !to) return 0;
  const auto a = base::parse_stored_time(*from), b = base::parse_stored_time(*to);
  if (!a || !b) return 0;
  return std::chrono::duration<double>(*b - *a).count();
}

}  // namespace

tl::expected<std::string, std::string> journal_upload(const IngestSettings& settings,
                                                      const UploadToJournal& upload) {
  const auto now = Clock::now();
  const std::string id = new_ingest_id(now);
  const std::string received_at = base::format_stored_time(now);
  const fs::path folder = settings.data_dir / "archive" / upload.tenant / received_at.substr(0, 4) /
                          received_at.substr(5, 2) / received_at.substr(8, 2);
  std::error_code ec;
  const bool created = fs::create_directories(folder, ec);
  if (ec) return tl::unexpected("cannot create the archive folder " + folder.string() + ": " + ec.message());
  if (created) {
    // New day folders must survive a power cut too: fsync each level into its parent.
    for (fs::path level = folder; level != settings.data_dir && level.has_parent_path();
         level = level.parent_path()) {
      base::fsync_directory(level.parent_path());
    }
  }
  const fs::path archived = folder / (id + "-" + upload.file_name);
  try {
    auto db = store::Database::open(settings.data_dir / "intake.db");
    const auto tenant = store::TenantRepository(db).find(upload.tenant);
    if (!tenant) return tl::unexpected("unknown tenant " + upload.tenant);
    store::IngestRecord record;
    record.id = id;
    record.tenant_id = tenant->id;
    record.file_name = upload.file_name;
    record.kind = upload.file_name;
    record.size = static_cast<std::int64_t>(upload.size);
    record.archive_path = archived.string();
    record.client_ip = upload.client_ip;
    record.key_fingerprint = upload.key_fingerprint;
    record.session_id = upload.session_id;
    record.received_at = received_at;
    if (!upload.sha256.empty()) record.sha256 = upload.sha256;
    record.status = "queued";
    // The row first (committed, fsynced), then the move: a crash in between leaves a queued row
    // without its file, which resume marks failed while the file stays in upload/ unacknowledged.
    store::IngestRepository(db).insert(record);
    fs::rename(upload.path, archived, ec);
    if (ec) {
      store::IngestRepository(db).set_status(id, "failed", "could not be archived: " + ec.message());
      return tl::unexpected("cannot move the upload into the archive: " + ec.message());
    }
  } catch (const store::DatabaseError& error) {
    return tl::unexpected(std::string("cannot record the upload: ") + error.what());
  }
  base::fsync_directory(folder);
  base::fsync_directory(upload.path.parent_path());
  return id;
}

void journal_partial(const IngestSettings& settings, const UploadToJournal& upload,
                     const std::string& reason) {
  try {
    auto db = store::Database::open(settings.data_dir / "intake.db");
    const auto tenant = store::TenantRepository(db).find(upload.tenant);
    if (!tenant) return;
    const auto now = Clock::now();
    store::IngestRecord record;
    record.id = new_ingest_id(now);
    record.tenant_id = tenant->id;
    record.file_name = upload.file_name;
    record.kind = upload.file_name;
    record.size = static_cast<std::int64_t>(upload.size);
    record.client_ip = upload.client_ip;
    record.key_fingerprint = upload.key_fingerprint;
    record.session_id = upload.session_id;
    record.received_at = base::format_stored_time(now);
    record.status = "partial";
    record.status_message = reason + "; the partial file stays in upload/ for resume";
    store::IngestRepository(db).insert(record);
  } catch (const store::DatabaseError&) {
    // Best effort: a partial upload is information for support, never a reason to fail the session.
  }
}

tl::expected<std::string, std::string> process_ingest(const IngestSettings& settings, const std::string& id,
                                                      Release release) {
  auto db = store::Database::open(settings.data_dir / "intake.db");
  return process_ingest(settings, db, id, release);
}

tl::expected<std::string, std::string> process_ingest(const IngestSettings& settings, store::Database& db,
                                                      const std::string& id, Release release) {
  store::IngestRepository ingests(db);
  auto record = ingests.find(id);
  if (!record) return tl::unexpected("no ingest " + id + "; `intake history` lists them");
  if (store::is_final_status(record->status)) return record->status;
  if (record->status == "held" && release == Release::No) return record->status;
  const auto tenant = store::TenantRepository(db).find(record->tenant);
  const auto started = Clock::now();

  ReportInputs report;
  report.id = id;
  report.tenant = record->tenant;
  report.file_name = record->file_name;
  report.received_at = record->received_at;
  // Concludes the ingest inside the caller's transaction; nullopt if another process concluded it first.
  const auto finish = [&](const std::string& status, const std::string& message,
                          const std::vector<RowIssue>& issues) -> std::optional<nlohmann::json> {
    report.status = status;
    report.message = message;
    report.errors.clear();
    for (const auto& issue : issues) report.errors.push_back({issue.line, issue.column, issue.message});
    report.queued_seconds = seconds_between(record->received_at, base::format_stored_time(started));
    report.processing_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const auto json = report_json(report);
    std::vector<store::RowError> errors;
    for (const auto& issue : issues) {
      errors.push_back({static_cast<std::int64_t>(issue.line), issue.column, issue.message});
    }
    const store::IngestCounts counts{
        static_cast<std::int64_t>(report.rows),      static_cast<std::int64_t>(report.added),
        static_cast<std::int64_t>(report.updated),   static_cast<std::int64_t>(report.removed),
        static_cast<std::int64_t>(report.unchanged), static_cast<std::int64_t>(report.skipped),
        static_cast<std::int64_t>(report.invalid)};
    if (!ingests.finish(id, status, message, counts,
                        json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), errors)) {
      return std::nullopt;
    }
    return json;
  };
  const auto current_status = [&] { return ingests.find(id).value().status; };

  if (!tenant || !record->archive_path || !fs::exists(*record->archive_path)) {
    store::Transaction transaction(db);
    finish("failed",
           "the archived file is missing: the server most likely stopped between recording the upload and "
           "archiving it, before the client was answered — look for the file in the tenant's upload/",
           {});
    transaction.commit();
    return current_status();
  }
  const fs::path archived = *record->archive_path;
  const auto sha = sha256_of(archived);
  if (!sha) return tl::unexpected("cannot read " + archived.string());
  report.sha256 = *sha;
  if (record->sha256 && *record->sha256 != *sha) {
    // The archive is immutable once journalled: a file that changed since is never applied.
    report.sha256 = *record->sha256;
    store::Transaction transaction(db);
    const auto json =
        finish("failed",
               "the archived file no longer matches what was received (sha256 " + *record->sha256 +
                   " at upload, " + *sha + " now): it was not applied; upload the file again",
               {});
    transaction.commit();
    if (json) publish_report(settings, *tenant, *json);
    if (settings.on_error) {
      settings.on_error(id, "the archived file " + archived.string() +
                                " changed after it was received (sha256 " + *record->sha256 +
                                " journalled, " + *sha + " now); not applied");
    }
    return current_status();
  }
  ingests.start(id, *sha);

  if (release == Release::No && ingests.last_applied_sha256(tenant->id, record->kind) == *sha) {
    store::Transaction transaction(db);
    const auto json =
        finish("duplicate", "identical to the last applied " + record->file_name + "; nothing changed", {});
    transaction.commit();
    if (json) publish_report(settings, *tenant, *json);
    return current_status();
  }

  const auto* rules = snapshot_rules(tenant->profile);
  if (!rules) {
    store::Transaction transaction(db);
    finish("failed",
           "tenant profile '" + tenant->profile +
               "' has no ingest rules; set a built-in profile with "
               "`intake tenant set " +
               tenant->name + " --profile livesafe`",
           {});
    transaction.commit();
    return current_status();
  }
  FileSource source(archived);
  CsvReader reader(source);
  // A row of any real profile takes more than 32 bytes; the estimate only reserves address space.
  auto parsed =
      parse_snapshot(reader, *rules, tenant->org_id, 1000, static_cast<std::size_t>(record->size) / 32);
  report.rows = parsed.rows;
  report.invalid = parsed.invalid;
  report.ignored_columns = parsed.ignored_columns;

  const auto conclude = [&](const std::string& status, const std::string& message,
                            const std::vector<RowIssue>& issues) {
    store::Transaction transaction(db);
    const auto json = finish(status, message, issues);
    transaction.commit();
    if (json) publish_report(settings, *tenant, *json);
    return current_status();
  };
  if (parsed.rejection) {
    return conclude("rejected", "the file was not applied: " + parsed.rejection->message,
                    {*parsed.rejection});
  }
  if (parsed.rows > 0 &&
      parsed.invalid * 100 > static_cast<std::size_t>(settings.max_invalid_rows_percent) * parsed.rows) {
    return conclude("rejected",
                    std::to_string(parsed.invalid) + " of " + std::to_string(parsed.rows) +
                        " rows are invalid (more than " + std::to_string(settings.max_invalid_rows_percent) +
                        "%); nothing was applied — fix the rows listed below and upload the file again",
                    parsed.errors);
  }

  // Everything from reading the directory to the final status happens under one write transaction:
  // another process (a release, a second server) can neither interleave nor conclude it twice.
  store::Transaction transaction(db);
  const auto status_now = current_status();
  const bool expected_status =
      release == Release::Yes ? status_now == "held" : (status_now == "queued" || status_now == "processing");
  if (!expected_status) {
    if (release == Release::Yes)
      return tl::unexpected("upload " + id + " is " + status_now + " now, not held");
    return status_now;
  }
  store::DirectoryRepository directory(db);
  SnapshotPlanner planner(parsed.users, parsed.invalid_ids, parsed.by_username);
  directory.for_each_user_by_external_id(tenant->id, [&](const store::StoredUserView& user) {
    planner.add_known({user.id, user.external_id, user.first_name, user.last_name, user.email, user.phone,
                       user.group, user.manual, user.removed});
  });
  const auto plan = planner.finish();
  report.added = plan.adds.size();
  report.updated = plan.updates.size();
  report.removed = plan.removals.size();
  report.unchanged = plan.unchanged;
  report.skipped = plan.skipped.size();
  auto issues = parsed.errors;
  issues.insert(issues.end(), plan.skipped.begin(), plan.skipped.end());

  // Files of a tenant apply in order; an older snapshot never lands on top of a newer one.
  if (const auto newer = ingests.applied_after(tenant->id, record->kind, id)) {
    if (release == Release::Yes) {
      return tl::unexpected(
          "a newer " + record->file_name + " (" + *newer +
          ") has been applied since; releasing this older snapshot would undo it — discard it "
          "instead");
    }
    const auto json = finish("failed",
                             "a newer " + record->file_name + " (" + *newer +
                                 ") was applied first; this older file was not applied",
                             {});
    transaction.commit();
    if (json) publish_report(settings, *tenant, *json);
    return current_status();
  }
  if (release == Release::No && needs_hold(plan, settings.max_removal_percent)) {
    const std::string message = "held: it would remove " + std::to_string(plan.removals.size()) + " of " +
                                std::to_string(plan.active_synced) + " users (more than " +
                                std::to_string(settings.max_removal_percent) +
                                "%); support must release it (intake ingest release " + id +
                                ") or discard it";
    const auto json = finish("held", message, issues);
    transaction.commit();
    if (json) publish_report(settings, *tenant, *json);
    return current_status();
  }

  // The directory changes and the status `applied` commit together, or not at all.
  store::DirectoryUser user;  // refilled for each write
  for (const auto* writes : {&plan.adds, &plan.updates}) {
    for (const auto& write : *writes) {
      user.id = write.id;
      user.external_id.assign(write.row->external_id);
      user.first_name.assign(write.row->first_name);
      user.last_name.assign(write.row->last_name);
      user.email.assign(write.row->email);
      user.phone.assign(write.row->phone);
      const auto user_id = directory.upsert_synced_user(tenant->id, user, id);
      if (write.group_changed) directory.set_user_group(tenant->id, user_id, write.row->group, id);
    }
  }
  for (const auto user_id : plan.removals) directory.remove_user(user_id, id);
  const auto json = finish(
      "applied", release == Release::Yes ? "released by support past the mass-removal guard" : "", issues);
  transaction.commit();
  if (json) publish_report(settings, *tenant, *json);
  return current_status();
}

IngestQueue::IngestQueue(IngestSettings settings, std::size_t workers)
    : settings_(std::move(settings)), pool_(std::max<std::size_t>(1, workers)) {}

IngestQueue::~IngestQueue() { stop(); }

void IngestQueue::submit(const std::string& tenant, const std::string& id) {
  std::lock_guard lock(mutex_);
  auto found = strands_.find(tenant);
  if (found == strands_.end()) {
    found = strands_.emplace(tenant, boost::asio::make_strand(pool_.get_executor())).first;
  }
  ++unfinished_[tenant];
  boost::asio::post(found->second, [this, id, tenant] {
    struct Concluded {  // however the job ends
      IngestQueue& queue;
      const std::string& tenant;
      ~Concluded() {
        {
          std::lock_guard done_lock(queue.mutex_);
          if (--queue.unfinished_[tenant] == 0) queue.unfinished_.erase(tenant);
        }
        queue.concluded_.notify_all();
      }
    } concluded{*this, tenant};
    ::pthread_setname_np(::pthread_self(), "intake-ingest");  // for top -H, perf and gdb
    {
      std::lock_guard start_lock(mutex_);
      if (stopping_) {  // shutting down: it stays queued in the database, the next start runs it
        left_queued_.push_back(id);
        return;
      }
      running_.push_back(id);
    }
    struct Running {  // however the job ends
      IngestQueue& queue;
      const std::string& id;
      ~Running() {
        std::lock_guard lock(queue.mutex_);
        std::erase(queue.running_, id);
      }
    } running{*this, id};
    // A failure (say the database locked past its busy timeout) is retried here, on the tenant's
    // strand, so that no later file of the tenant overtakes it; after that it stays queued/processing
    // and runs again at the next start (resume).
    constexpr std::array kBackoff{std::chrono::seconds(1), std::chrono::seconds(5), std::chrono::seconds(15)};
    // Each worker keeps its connection and its prepared statements (opening one reads the schema and
    // checks migrations on every job otherwise); dropped after any failure, so a retry starts afresh.
    thread_local std::unique_ptr<store::Database> db;
    std::string error;
    for (std::size_t attempt = 0; attempt <= kBackoff.size(); ++attempt) {
      try {
        if (!db)
          db = std::make_unique<store::Database>(store::Database::open(settings_.data_dir / "intake.db"));
        auto status = process_ingest(settings_, *db, id);
        if (status) return;
        error = status.error();
      } catch (const std::exception& failure) {
        error = failure.what();
      }
      db.reset();
      if (attempt < kBackoff.size()) {
        std::unique_lock backoff_lock(mutex_);
        if (concluded_.wait_for(backoff_lock, kBackoff[attempt], [&] { return stopping_; })) {
          error += " (the server is stopping)";
          break;
        }
      }
    }
    if (settings_.on_error) settings_.on_error(id, error + " (it runs again at the next start)");
  });
}

bool IngestQueue::wait_for_backlog(const std::string& tenant, std::size_t max_waiting,
                                   std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return concluded_.wait_for(lock, timeout, [&] {
    const auto found = unfinished_.find(tenant);
    return found == unfinished_.end() || found->second <= max_waiting;
  });
}

std::size_t IngestQueue::resume() {
  auto db = store::Database::open(settings_.data_dir / "intake.db");
  const auto pending = store::IngestRepository(db).unfinished();
  for (const auto& record : pending) submit(record.tenant, record.id);
  return pending.size();
}

void IngestQueue::stop_taking() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  concluded_.notify_all();  // a back-off waiting on it ends
}

bool IngestQueue::stop(std::chrono::steady_clock::time_point deadline) {
  stop_taking();
  std::unique_lock lock(mutex_);
  // Queued jobs now end at once; wait for every submitted job to conclude, not only the running ones.
  if (!concluded_.wait_until(lock, deadline, [&] { return unfinished_.empty(); })) return false;
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

void IngestQueue::stop() { pool_.join(); }

}  // namespace intake::ingest
