#include "server/sftp/virtual_path.hpp"

#include <algorithm>
#include <vector>

#include "base/text.hpp"

namespace intake::server::sftp {

std::string VirtualPath::display() const {
  std::string out = area == Area::Root ? "/" : area == Area::Upload ? "/upload" : "/reports";
  if (!name.empty()) out += "/" + name;
  return out;
}

tl::expected<VirtualPath, PathError> resolve_path(std::string_view path) {
  const auto refuse = [](Status status, std::string message) {
    return tl::unexpected(PathError{status, std::move(message)});
  };
  if (path.size() > kMaxPathLength) return refuse(Status::Failure, "path too long");
  if (path.find('\0') != std::string_view::npos) return refuse(Status::Failure, "path contains a NUL byte");
  if (!base::is_valid_utf8(path)) return refuse(Status::Failure, "path is not valid UTF-8");
  if (std::any_of(path.begin(), path.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
    return refuse(Status::Failure, "path contains control characters");
  }
  // The home is "/": a leading "~" or "/~" is the home, as is any relative path's starting point.
  if (path == "~" || path.starts_with("~/"))
    path.remove_prefix(1);
  else if (path == "/~" || path.starts_with("/~/"))
    path.remove_prefix(2);

  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto part = path.substr(start, end - start);
    if (part == "~") {
      // The home, wherever it appears: clients join "~/x" to their working folder before sending
      // it (OpenSSH sftp sends "/upload/~/upload" for `cd ~/upload` typed in upload/).
      parts.clear();
    } else if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      if (part.size() > kMaxNameLength)
        return refuse(Status::Failure, "file name too long (at most 255 bytes)");
      parts.push_back(part);
    }
    start = end + 1;
  }
  if (parts.empty()) return VirtualPath{Area::Root, {}};
  Area area;
  if (parts[0] == "upload")
    area = Area::Upload;
  else if (parts[0] == "reports")
    area = Area::Reports;
  else
    return refuse(Status::NoSuchFile, "no such file or folder: /" + std::string(parts[0]) +
                                          " (the home holds only upload/ and reports/)");
  if (parts.size() == 1) return VirtualPath{area, {}};
  if (parts.size() > 2) {
    return refuse(Status::NoSuchFile,
                  "no such file or folder: there are no subfolders in /" + std::string(parts[0]));
  }
  return VirtualPath{area, std::string(parts[1])};
}

}  // namespace intake::server::sftp
