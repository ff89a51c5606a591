#include "base/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/hex.hpp"
#include "base/unique_fd.hpp"

namespace intake::base {
namespace {

// The failure of the call that just set errno, named for a person.
FileError failure(const std::string& what) {
  const int number = errno;
  return {what + ": " + std::strerror(number), std::error_code(number, std::system_category())};
}

tl::expected<void, FileError> write_new_file(const std::filesystem::path& path,
                                             const ContentProducer& produce, Sync sync, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return tl::unexpected(failure("cannot create " + path.string()));
  std::optional<FileError> error;  // the first failure; later pieces are dropped
  produce([&](std::string_view content) {
    std::size_t done = 0;
    while (!error && done < content.size()) {
      const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) error = failure("cannot write " + path.string());
      if (n == 0)
        error = FileError{"cannot write " + path.string() + ": nothing written",
                          std::make_error_code(std::errc::io_error)};
      if (n > 0) done += static_cast<std::size_t>(n);
    }
  });
  if (error) return tl::unexpected(*error);
  if (sync == Sync::Yes && ::fsync(fd.get()) != 0)
    return tl::unexpected(failure("cannot fsync " + path.string()));
  return {};
}

}  // namespace

void fsync_directory(const std::filesystem::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) ::fsync(fd.get());
}

tl::expected<bool, FileError> write_file_atomically(const std::filesystem::path& path,
                                                    std::string_view content, Existing existing, Sync sync,
                                                    mode_t mode, const std::filesystem::path& staging) {
  return write_file_atomically(
      path, [content](const std::function<void(std::string_view)>& write) { write(content); }, existing, sync,
      mode, staging);
}

tl::expected<bool, FileError> write_file_atomically(const std::filesystem::path& path,
                                                    const ContentProducer& produce, Existing existing,
                                                    Sync sync, mode_t mode,
                                                    const std::filesystem::path& staging) {
  const auto suffix = random_hex(8);
  if (!suffix)
    return tl::unexpected(
        FileError{"cannot create " + path.string() + ": no random name for its temporary file",
                  std::make_error_code(std::errc::resource_unavailable_try_again)});
  const std::filesystem::path temporary =
      (staging.empty() ? path : staging / path.filename()).string() + ".tmp-" + *suffix;
  if (auto written = write_new_file(temporary, produce, sync, mode); !written) {
    ::unlink(temporary.c_str());
    return tl::unexpected(written.error());
  }
  bool landed = true;
  if (existing == Existing::Keep) {
    // link() never replaces: with racing writers exactly one lands, and the others keep theirs out.
    const int linked = ::link(temporary.c_str(), path.c_str());
    const int link_errno = errno;
    ::unlink(temporary.c_str());
    if (linked != 0 && link_errno != EEXIST)
      return tl::unexpected(FileError{"cannot create " + path.string() + ": " + std::strerror(link_errno),
                                      std::error_code(link_errno, std::system_category())});
    landed = linked == 0;
  } else if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const auto why = failure("cannot write " + path.string());
    ::unlink(temporary.c_str());
    return tl::unexpected(why);
  }
  if (sync == Sync::Yes) fsync_directory(path.parent_path());
  return landed;
}

}  // namespace intake::base
