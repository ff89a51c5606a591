#pragma once
// Adapters the composition root plugs into the SFTP server: which names a tenant may upload (from
// its profile or its own file names), each tenant's quota, where completed uploads go, and the
// housekeeping of what is left in upload/.
#include <filesystem>
#include <mutex>

#include "ingest/ingest_queue.hpp"
#include "ingest/pipeline.hpp"
#include "server/sftp/name_claims.hpp"
#include "server/sftp/sftp_session.hpp"
#include "server/sftp/upload_sink.hpp"
#include "server/sftp/upload_sweep.hpp"
#include "store/sqlite.hpp"

namespace intake::cli {

// A tenant's file names (`tenant set --file-name`), else its profile's. Read per OPEN, so a change
// made with the CLI applies to the next upload.
class ProfileNamePolicy : public server::sftp::UploadNamePolicy {
 public:
  explicit ProfileNamePolicy(store::Database db) : db_(std::move(db)) {}
  std::optional<std::string> refusal(const std::string& tenant, const std::string& name) override;

 private:
  std::mutex mutex_;
  store::Database db_;
};

// Completed uploads go into the ingest journal and onto the ingest queue; partial ones are recorded.
class JournalSink : public server::sftp::UploadSink {
 public:
  // `backlog_wait`: how long an OPEN for writing may wait while an earlier file of the tenant is still
  // waiting for ingest or being applied (0: never).
  JournalSink(ingest::IngestSettings settings, ingest::IngestQueue& queue, std::chrono::seconds backlog_wait)
      : settings_(std::move(settings)), queue_(queue), backlog_wait_(backlog_wait) {}
  tl::expected<void, std::string> completed(const server::sftp::CompletedUpload& upload) override;
  void partial(const server::sftp::PartialUpload& upload) override;
  void before_write(const std::string& tenant) override;

 private:
  ingest::IngestSettings settings_;
  ingest::IngestQueue& queue_;
  std::chrono::seconds backlog_wait_;
};

// Removes what plan_upload_sweep chooses from every tenant's upload/ (never a name being written).
void sweep_uploads(const std::filesystem::path& tenants_dir, const server::SftpSettings& settings,
                   server::sftp::NameClaims& claims);

// Each tenant's upload quota from the tenant record (`intake tenant set --upload-quota…`).
class TenantQuotas : public server::sftp::UploadQuotas {
 public:
  explicit TenantQuotas(store::Database db) : db_(std::move(db)) {}
  server::sftp::UploadQuota quota_of(const std::string& tenant,
                                     const server::sftp::UploadQuota& defaults) override;

 private:
  std::mutex mutex_;
  store::Database db_;
};

// Removes archived files older than `days` whose ingest is final (never one still to be processed).
void sweep_archive(const ingest::IngestSettings& settings, unsigned days);

}  // namespace intake::cli
