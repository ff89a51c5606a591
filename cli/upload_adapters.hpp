#pragma once
// Adapters the composition root plugs into the SFTP server: which names a tenant may upload (from
// its profile or its own file names), and where completed uploads go.
#include <filesystem>
#include <fstream>
#include <mutex>

#include "server/sftp/upload_sink.hpp"
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

// Until the ingest journal lands: takes each completed upload out of upload/ into
// DATA_DIR/received/<tenant>/ (same file system, atomic rename, directories fsynced) and appends one
// JSON line per completion or partial upload to DATA_DIR/received/uploads.jsonl.
class ReceivedFolderSink : public server::sftp::UploadSink {
 public:
  explicit ReceivedFolderSink(std::filesystem::path data_dir);
  tl::expected<void, std::string> completed(const server::sftp::CompletedUpload& upload) override;
  void partial(const server::sftp::PartialUpload& upload) override;

 private:
  bool append_record(const std::string& line);

  std::mutex mutex_;
  std::filesystem::path received_;
  std::uint64_t sequence_ = 0;
};

// Removes files left in tenants' upload/ folders for longer than `ttl` (abandoned partial uploads).
void sweep_partial_uploads(const std::filesystem::path& tenants_dir, std::chrono::seconds ttl);

}  // namespace intake::cli
