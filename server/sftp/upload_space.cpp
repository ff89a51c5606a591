#include "server/sftp/upload_space.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <array>

#include "base/unique_fd.hpp"

namespace intake::server::sftp {
namespace {

constexpr std::uint64_t kRecheckBytes = 16u << 20;
constexpr auto kRecheckAfter = std::chrono::seconds(1);
constexpr std::string_view kLowOnDisk =
    "the server is low on disk space and refuses uploads for now; try again later";
constexpr std::string_view kLowOnInodes =
    "the server is low on file slots (inodes) and refuses new uploads for now; try again later";
constexpr std::string_view kQuotaAdvice =
    "; finish or remove the unfinished uploads in upload/ (temporary names, interrupted files) first";

}  // namespace

std::optional<FolderUsage> folder_usage(int folder_fd) {
  // A descriptor of its own: reading entries moves the descriptor's position.
  base::UniqueFd folder(::openat(folder_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!folder) return std::nullopt;
  FolderUsage usage;
  alignas(dirent64) std::array<char, 8192> buffer;
  while (true) {
    const ssize_t got = ::getdents64(folder.get(), buffer.data(), buffer.size());
    if (got < 0) return std::nullopt;
    if (got == 0) return usage;
    for (ssize_t at = 0; at < got;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer.data() + at);
      at += entry->d_reclen;
      struct stat info {};
      if (::fstatat(folder.get(), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(info.st_mode))
        continue;
      ++usage.files;
      usage.bytes += static_cast<std::uint64_t>(info.st_size);
    }
  }
}

void UploadSpace::refresh(Clock::time_point now, bool force) {
  if (!force && checked_at_ && now - *checked_at_ < kRecheckAfter && written_since_check_ < kRecheckBytes)
    return;
  struct statvfs info {};
  if (::fstatvfs(upload_fd_, &info) != 0) return;  // keep the last figures
  free_bytes_ = static_cast<std::uint64_t>(info.f_bavail) * info.f_frsize;
  // A file system without inode accounting (some report 0 files in all) has no inode limit to keep.
  free_inodes_ = info.f_files == 0 ? UINT64_MAX : static_cast<std::uint64_t>(info.f_favail);
  if (auto usage = folder_usage(upload_fd_)) usage_ = *usage;
  checked_at_ = now;
  written_since_check_ = 0;
}

std::optional<std::string> UploadSpace::new_file_problem(Clock::time_point now) {
  refresh(now, true);  // a new file is rare next to WRITEs: always look at the folder as it is
  if (free_inodes_ < settings_.disk_reserve_inodes) {
    return std::string(kLowOnInodes);
  }
  if (free_bytes_ < settings_.disk_reserve) {
    return std::string(kLowOnDisk);
  }
  if (usage_.files >= quota_.files) {
    return "upload/ already holds " + std::to_string(usage_.files) +
           " files, the most this account may keep there" + std::string(kQuotaAdvice);
  }
  return std::nullopt;
}

std::optional<std::string> UploadSpace::write_problem(std::uint64_t incoming, Clock::time_point now) {
  refresh(now, false);
  const auto free_now = free_bytes_ > written_since_check_ ? free_bytes_ - written_since_check_ : 0;
  if (free_now < settings_.disk_reserve + incoming) {
    return std::string(kLowOnDisk);
  }
  if (usage_.bytes + written_since_check_ + incoming > quota_.bytes) {
    return "the upload quota of this account is reached: upload/ may hold at most " +
           std::to_string(quota_.bytes) + " bytes at once" + std::string(kQuotaAdvice);
  }
  written_since_check_ += incoming;
  return std::nullopt;
}

}  // namespace intake::server::sftp
