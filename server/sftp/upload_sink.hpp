#pragma once
// What the SFTP server hands on, and asks, without knowing anything about CSV or profiles.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <tl/expected.hpp>

#include "server/sftp/upload_space.hpp"

namespace intake::server::sftp {

struct UploadOrigin {
  std::string tenant;
  std::string client_ip;
  std::string key_fingerprint;
  std::string session_id;
};

struct CompletedUpload {
  UploadOrigin origin;
  std::string name;            // the final name in upload/
  std::filesystem::path path;  // where it is now; the sink moves it away
  std::uint64_t size = 0;
  std::string sha256;  // of the bytes the client sent, as hex: the ingest verifies the archive with it
};

struct PartialUpload {
  UploadOrigin origin;
  std::string name;
  std::uint64_t size = 0;
  std::string reason;  // "connection dropped", "write failed: …"
};

class UploadSink {
 public:
  virtual ~UploadSink() = default;
  // Called with the data already on disk (fsynced unless durable_close is off), before the client's
  // CLOSE or RENAME is answered. On success the file has been taken: it is no longer in upload/.
  // On error the client gets FAILURE with the message and the file stays where it was.
  virtual tl::expected<void, std::string> completed(const CompletedUpload& upload) = 0;
  // An upload that will not complete (dropped connection, failed write): kept for resume, recorded
  // so support can see it.
  virtual void partial(const PartialUpload& upload) = 0;
  // Called when the tenant opens a file in upload/ for writing, before the open is answered. May wait
  // (bounded) while the tenant's earlier files are still being processed: flow control.
  virtual void before_write(const std::string& /*tenant*/) {}
};

// Each tenant's quota for its upload/ folder: its own, else the defaults. Asked once per session.
class UploadQuotas {
 public:
  virtual ~UploadQuotas() = default;
  virtual UploadQuota quota_of(const std::string& tenant, const UploadQuota& defaults) = 0;
};

class UploadNamePolicy {
 public:
  virtual ~UploadNamePolicy() = default;
  // nullopt when `name` is a final name the tenant may upload; else a message naming what is expected.
  virtual std::optional<std::string> refusal(const std::string& tenant, const std::string& name) = 0;
};

}  // namespace intake::server::sftp
