#include "ingest/file_source.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace intake::ingest {

FileSource::FileSource(const std::filesystem::path& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
  if (!fd_) error_ = std::string("cannot open it: ") + std::strerror(errno);
}

std::size_t FileSource::read(std::span<char> buffer) {
  if (!fd_ || error_) return 0;
  while (true) {
    const ssize_t got = ::read(fd_.get(), buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      error_ = "reading it failed after " + std::to_string(offset_) + " bytes: " + std::strerror(errno);
      return 0;
    }
    offset_ += static_cast<std::size_t>(got);
    return static_cast<std::size_t>(got);
  }
}

}  // namespace intake::ingest
