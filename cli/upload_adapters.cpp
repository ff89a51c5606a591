#include "cli/upload_adapters.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ingest/profile_catalog.hpp"
#include "server/event_log.hpp"
#include "store/tenants.hpp"
#include "store/time_format.hpp"

namespace intake::cli {

namespace fs = std::filesystem;

std::optional<std::string> ProfileNamePolicy::refusal(const std::string& tenant_name,
                                                      const std::string& name) {
  std::vector<std::string> expected;
  {
    std::lock_guard lock(mutex_);
    const auto tenant = store::TenantRepository(db_).find(tenant_name);
    if (!tenant) return "unknown tenant";
    expected = tenant->file_names;
    if (expected.empty()) {
      if (const auto* profile = ingest::find_profile(tenant->profile)) {
        for (const auto file_name : profile->file_names) expected.emplace_back(file_name);
      }
    }
  }
  if (std::find(expected.begin(), expected.end(), name) != expected.end()) return std::nullopt;
  std::string list;
  for (const auto& file_name : expected) list += (list.empty() ? "" : ", ") + file_name;
  return "'" + name + "' is not accepted: name the file exactly " + list + " (no dates or timestamps)";
}

namespace {

void fsync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

ReceivedFolderSink::ReceivedFolderSink(fs::path data_dir) : received_(std::move(data_dir) / "received") {
  fs::create_directories(received_);
}

bool ReceivedFolderSink::append_record(const std::string& line) {
  const fs::path journal = received_ / "uploads.jsonl";
  const int fd = ::open(journal.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  const std::string text = line + "\n";
  const bool ok =
      ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

tl::expected<void, std::string> ReceivedFolderSink::completed(const server::sftp::CompletedUpload& upload) {
  std::lock_guard lock(mutex_);
  const fs::path folder = received_ / upload.origin.tenant;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return tl::unexpected("cannot create " + folder.string() + ": " + ec.message());
  const auto now = std::chrono::system_clock::now();
  const std::string stamp = store::format_stored_time(now);
  const fs::path target = folder / (stamp + "-" + std::to_string(++sequence_) + "-" + upload.name);
  nlohmann::json record{{"event", "completed"},
                        {"tenant", upload.origin.tenant},
                        {"name", upload.name},
                        {"size", upload.size},
                        {"path", target.string()},
                        {"client_ip", upload.origin.client_ip},
                        {"key", upload.origin.key_fingerprint},
                        {"session", upload.origin.session_id},
                        {"received_at", stamp}};
  // Record first, then move: a crash between the two leaves the file in upload/ and a record that
  // names a path that does not exist, never an unrecorded file outside upload/.
  if (!append_record(record.dump())) return tl::unexpected(std::string("cannot write the upload journal"));
  fs::rename(upload.path, target, ec);
  if (ec) return tl::unexpected("cannot move the upload: " + ec.message());
  fsync_directory(folder);
  fsync_directory(upload.path.parent_path());
  return {};
}

void ReceivedFolderSink::partial(const server::sftp::PartialUpload& upload) {
  std::lock_guard lock(mutex_);
  append_record(nlohmann::json{{"event", "partial"},
                               {"tenant", upload.origin.tenant},
                               {"name", upload.name},
                               {"size", upload.size},
                               {"reason", upload.reason},
                               {"client_ip", upload.origin.client_ip},
                               {"session", upload.origin.session_id},
                               {"at", store::format_stored_time(std::chrono::system_clock::now())}}
                    .dump());
}

void sweep_partial_uploads(const fs::path& tenants_dir, std::chrono::seconds ttl) {
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - ttl;
  for (const auto& tenant : fs::directory_iterator(tenants_dir, ec)) {
    const fs::path upload = tenant.path() / "upload";
    for (const auto& entry : fs::directory_iterator(upload, ec)) {
      std::error_code entry_ec;
      if (!entry.is_regular_file(entry_ec) || entry.last_write_time(entry_ec) > cutoff || entry_ec) continue;
      if (fs::remove(entry.path(), entry_ec)) {
        server::log_event(
            spdlog::level::info, "", "upload.partial_swept",
            {{"tenant", tenant.path().filename().string()}, {"name", entry.path().filename().string()}});
      }
    }
  }
}

}  // namespace intake::cli
