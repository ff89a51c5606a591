#pragma once
// The tenant's virtual root as clients see it: "/" (the home, read-only) holding "upload/" (the drop
// folder) and "reports/" (read-only). Pure: turns what a client sends into one of those places or a
// refusal. No path ever resolves outside the root: ".." stops at "/", as in a chroot.
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "server/sftp/protocol.hpp"

namespace intake::server::sftp {

enum class Area { Root, Upload, Reports };

struct VirtualPath {
  Area area = Area::Root;
  std::string name;  // a file in the area; empty for the folder itself

  bool is_folder() const { return name.empty(); }
  std::string display() const;  // "/", "/upload", "/upload/users.csv"
};

struct PathError {
  Status status;
  std::string message;
};

inline constexpr std::size_t kMaxNameLength = 255;

// Absolute or relative to the home "/"; a "~" component means the home ("~/x", "/~/x",
// "/upload/~/upload"); "." and repeated slashes are ignored. Refused: NUL bytes, invalid UTF-8, control
// characters, overlong paths or names, anything deeper than a file in upload/ or reports/.
tl::expected<VirtualPath, PathError> resolve_path(std::string_view path);

}  // namespace intake::server::sftp
