#pragma once
// Files that must survive a crash or a power cut (host keys, the ingest archive, reports): written
// under a unique temporary name and put in place in one step, so a reader never sees half a file.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <tl/expected.hpp>

namespace intake::base {

// fsync a directory so that entries created or renamed in it are on disk. Best effort: a directory
// that cannot be opened is left alone (the caller's own error handling covers the files).
void fsync_directory(const std::filesystem::path& dir);

// What went wrong, said for a person, and the system's error (so that a caller can tell a full disk,
// which passes, from a missing folder, which does not).
struct FileError {
  std::string message;
  std::error_code code;
};

enum class Existing { Replace, Keep };  // what to do when `path` already exists
enum class Sync { Yes, No };            // fsync the file and its folder (durable), or leave it to the kernel

// Writes `content` to `path` atomically. Existing::Keep links instead of renaming, so that when two
// processes race exactly one file lands: the result is false when another was there first. The error
// names the file and the system's reason. The temporary file is written beside `path`, or in
// `staging` (a folder on the same file system) when a half-written file must never be seen in
// `path`'s folder, even after a crash (a tenant's reports/).
tl::expected<bool, FileError> write_file_atomically(const std::filesystem::path& path,
                                                    std::string_view content, Existing existing, Sync sync,
                                                    mode_t mode = 0600,
                                                    const std::filesystem::path& staging = {});

// The same for content too large to hold at once: `produce` hands its pieces, in order, to `write`.
using ContentProducer = std::function<void(const std::function<void(std::string_view)>& write)>;
tl::expected<bool, FileError> write_file_atomically(const std::filesystem::path& path,
                                                    const ContentProducer& produce, Existing existing,
                                                    Sync sync, mode_t mode = 0600,
                                                    const std::filesystem::path& staging = {});

}  // namespace intake::base
