#pragma once
// Which files left in tenants' upload/ folders the housekeeping removes: abandoned temporary names
// after temp_ttl, other unfinished uploads after partial_ttl, and, while the disk is under its
// reserve, the oldest unfinished uploads first until enough is free, so one tenant's leftovers do
// not keep every tenant's uploads refused. Pure: the shell lists the files and removes the plan.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "server/settings.hpp"

namespace intake::server::sftp {

struct UploadFile {
  std::string tenant;
  std::string name;
  std::chrono::seconds idle{0};  // since it was last written
  std::uint64_t size = 0;
  bool temporary = false;  // matches temp_name_patterns
  bool in_use = false;     // open for writing right now: never removed
};

struct SweepItem {
  std::string tenant;
  std::string name;
  std::string reason;
};

// Unfinished uploads younger than this are kept even when the disk is low: a client may be about
// to resume.
inline constexpr std::chrono::seconds kLowSpaceMinIdle{600};

std::vector<SweepItem> plan_upload_sweep(std::vector<UploadFile> files, const SftpSettings& settings,
                                         std::uint64_t bytes_to_free);

}  // namespace intake::server::sftp
