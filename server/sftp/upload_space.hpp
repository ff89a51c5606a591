#pragma once
// Whether a session's uploads may take more room: the server's disk reserve (bytes and inodes) and
// the tenant's quota for its upload/ folder. One per session. The disk (statvfs) and the folder (a
// scan) are looked at again at most once a second or every 16 MiB written; in between, what this
// session wrote is counted. Several sessions of one tenant can therefore overshoot the quota by at
// most 16 MiB each.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "server/settings.hpp"

namespace intake::server::sftp {

struct UploadQuota {
  std::uint64_t bytes = 0;
  std::uint64_t files = 0;
};

struct FolderUsage {
  std::uint64_t bytes = 0;
  std::uint64_t files = 0;
};

// The regular files directly in the folder open as `folder_fd`, and their sizes.
std::optional<FolderUsage> folder_usage(int folder_fd);

class UploadSpace {
 public:
  using Clock = std::chrono::steady_clock;
  UploadSpace(int upload_fd, const SftpSettings& settings, UploadQuota quota)
      : upload_fd_(upload_fd), settings_(settings), quota_(quota) {}

  // Before a write-open creates a file: the tenant's file count, the disk's free inodes and bytes.
  std::optional<std::string> new_file_problem(Clock::time_point now);
  // Before `incoming` bytes are written: the disk's free bytes and the tenant's byte quota.
  std::optional<std::string> write_problem(std::uint64_t incoming, Clock::time_point now);
  void update_settings(const SftpSettings& settings) { settings_ = settings; }

 private:
  void refresh(Clock::time_point now, bool force);

  int upload_fd_;
  SftpSettings settings_;
  UploadQuota quota_;
  std::optional<Clock::time_point> checked_at_;
  std::uint64_t free_bytes_ = 0;
  std::uint64_t free_inodes_ = 0;
  FolderUsage usage_;
  std::uint64_t written_since_check_ = 0;
};

}  // namespace intake::server::sftp
