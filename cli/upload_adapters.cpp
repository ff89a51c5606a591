#include "cli/upload_adapters.hpp"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "base/text.hpp"
#include "base/utc_time.hpp"
#include "ingest/profile_catalog.hpp"
#include "server/event_log.hpp"
#include "store/ingests.hpp"
#include "store/tenants.hpp"

namespace intake::cli {

namespace fs = std::filesystem;

std::optional<std::string> ProfileNamePolicy::refusal(const std::string& tenant_name,
                                                      const std::string& name) {
  std::vector<std::string> expected;
  {
    std::lock_guard lock(mutex_);
    const auto tenant = store::TenantRepository(db_).find(tenant_name);
    if (!tenant) return "unknown tenant";
    expected = tenant->file_names;
    if (expected.empty()) {
      const auto profile = ingest::find_profile(db_, tenant->profile);
      // A profile that does not load (logged at start): the file is taken, and its ingest fails with
      // the reason in the history and the report, rather than an upload refused with no reason.
      if (!profile) return std::nullopt;
      expected = (*profile)->file_names();
    }
  }
  if (std::find(expected.begin(), expected.end(), name) != expected.end()) return std::nullopt;
  return "'" + name + "' is not accepted: name the file exactly " + base::join(expected) +
         " (no dates or timestamps)";
}

server::sftp::UploadQuota TenantQuotas::quota_of(const std::string& tenant_name,
                                                 const server::sftp::UploadQuota& defaults) {
  std::lock_guard lock(mutex_);
  const auto tenant = store::TenantRepository(db_).find(tenant_name);
  if (!tenant) return defaults;
  return {tenant->upload_quota_bytes.value_or(defaults.bytes),
          tenant->upload_quota_files.value_or(defaults.files)};
}

namespace {

ingest::UploadToJournal to_journal(const server::sftp::UploadOrigin& origin, const std::string& name,
                                   const std::filesystem::path& path, std::uint64_t size,
                                   const std::string& sha256 = {}) {
  return {origin.tenant,     name,  path, size, origin.client_ip, origin.key_fingerprint,
          origin.session_id, sha256};
}

}  // namespace

tl::expected<void, std::string> JournalSink::completed(const server::sftp::CompletedUpload& upload) {
  auto id = ingest::journal_upload(
      settings_, to_journal(upload.origin, upload.name, upload.path, upload.size, upload.sha256));
  if (!id) return tl::unexpected(id.error());
  server::log_event(spdlog::level::info, upload.origin.session_id, "ingest.queued",
                    {{"tenant", upload.origin.tenant}, {"id", *id}, {"name", upload.name}});
  queue_.submit(upload.origin.tenant, *id);
  return {};
}

void JournalSink::before_write(const std::string& tenant) {
  // The next upload waits until the tenant's previous file is applied, so completion -> applied stays
  // about one file's processing time instead of a queue that grows for as long as the tenant uploads
  // faster than its files apply (bench: p50 1512 ms -> 39 ms; letting one file wait gave 68 ms).
  if (backlog_wait_.count() == 0) return;
  if (!queue_.wait_for_backlog(tenant, 0, backlog_wait_)) {
    server::log_event(spdlog::level::info, "", "upload.backlog",
                      {{"tenant", tenant}, {"waited_seconds", std::to_string(backlog_wait_.count())}});
  }
}

void JournalSink::partial(const server::sftp::PartialUpload& upload) {
  ingest::journal_partial(settings_, to_journal(upload.origin, upload.name, {}, upload.size), upload.reason);
}

void sweep_uploads(const fs::path& tenants_dir, const server::SftpSettings& settings,
                   server::sftp::NameClaims& claims) {
  std::vector<server::sftp::UploadFile> files;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (const auto& tenant : fs::directory_iterator(tenants_dir, ec)) {
    const auto tenant_name = tenant.path().filename().string();
    for (const auto& entry : fs::directory_iterator(tenant.path() / "upload", ec)) {
      std::error_code entry_ec;
      if (!entry.is_regular_file(entry_ec) || entry_ec) continue;
      const auto written = entry.last_write_time(entry_ec);
      const auto size = entry.file_size(entry_ec);
      if (entry_ec) continue;
      const auto name = entry.path().filename().string();
      files.push_back({tenant_name, name,
                       std::chrono::duration_cast<std::chrono::seconds>(
                           std::max(now - written, fs::file_time_type::duration::zero())),
                       size, server::sftp::is_temporary_name(settings, name),
                       claims.held(tenant_name, name)});
    }
  }
  struct statvfs disk {};
  std::uint64_t bytes_to_free = 0;
  if (::statvfs(tenants_dir.c_str(), &disk) == 0) {
    const auto free_bytes = static_cast<std::uint64_t>(disk.f_bavail) * disk.f_frsize;
    if (free_bytes < settings.disk_reserve) bytes_to_free = settings.disk_reserve - free_bytes;
  }
  for (const auto& item : server::sftp::plan_upload_sweep(std::move(files), settings, bytes_to_free)) {
    // Claimed while removing: an upload opening the name right now waits for nothing and is refused.
    const auto claim = claims.try_claim(item.tenant, {item.name});
    if (!claim) continue;
    std::error_code remove_ec;
    if (fs::remove(tenants_dir / item.tenant / "upload" / item.name, remove_ec)) {
      server::log_event(spdlog::level::info, "", "upload.partial_swept",
                        {{"tenant", item.tenant}, {"name", item.name}, {"reason", item.reason}});
    }
  }
}

}  // namespace intake::cli

namespace intake::cli {

void sweep_archive(const ingest::IngestSettings& settings, unsigned days) {
  std::error_code ec;
  const fs::path archive = settings.data_dir / "archive";
  if (!fs::exists(archive, ec)) return;
  auto db = store::Database::open(settings.data_dir / "intake.db");
  store::IngestRepository ingests(db);
  for (auto it = fs::recursive_directory_iterator(archive, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code entry_ec;
    if (!it->is_regular_file(entry_ec) || entry_ec) continue;
    // Archived names are "<id>-<file name>"; the id has exactly two '-' of its own. Age comes from the
    // ingest's received time: a file's mtime is whatever the client set (put -p, FSETSTAT).
    const auto name = it->path().filename().string();
    std::size_t dash = name.find('-');
    for (int i = 0; i < 2 && dash != std::string::npos; ++i) dash = name.find('-', dash + 1);
    if (dash == std::string::npos) continue;
    const auto record = ingests.find(name.substr(0, dash));
    if (!record || !store::is_final(record->status)) continue;
    const auto received = base::parse_stored_time(record->received_at);
    if (!received || *received > std::chrono::system_clock::now() - std::chrono::hours(24) * days) continue;
    if (fs::remove(it->path(), entry_ec)) {
      server::log_event(spdlog::level::info, "", "archive.swept", {{"path", it->path().string()}});
    }
  }
}

}  // namespace intake::cli
