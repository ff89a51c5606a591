#include "keys/durable_file.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace intake::keys {

void fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace intake::keys
