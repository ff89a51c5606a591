#include "server/sftp/upload_sweep.hpp"

#include <algorithm>

namespace intake::server::sftp {

std::vector<SweepItem> plan_upload_sweep(std::vector<UploadFile> files, const SftpSettings& settings,
                                         std::uint64_t bytes_to_free) {
  std::vector<SweepItem> plan;
  std::vector<UploadFile> kept;
  for (auto& file : files) {
    if (file.in_use) continue;
    if (file.temporary && file.idle >= settings.temp_ttl) {
      plan.push_back(
          {file.tenant, file.name,
           "temporary name untouched for over " + std::to_string(settings.temp_ttl.count()) + " s"});
    } else if (file.idle >= settings.partial_ttl) {
      plan.push_back(
          {file.tenant, file.name,
           "unfinished upload untouched for over " + std::to_string(settings.partial_ttl.count()) + " s"});
    } else if (file.idle >= kLowSpaceMinIdle) {
      kept.push_back(std::move(file));
    }
  }
  if (bytes_to_free == 0) return plan;
  std::stable_sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.idle > b.idle; });
  std::uint64_t freed = 0;
  for (const auto& file : kept) {
    if (freed >= bytes_to_free) break;
    plan.push_back(
        {file.tenant, file.name, "the disk is under its reserve: the oldest unfinished uploads go first"});
    freed += file.size;
  }
  return plan;
}

}  // namespace intake::server::sftp
