#pragma once
// The SFTP server for one session: decodes requests, runs them against the tenant's virtual root,
// encodes replies, and turns completed uploads into UploadSink calls (CLIENTS.md policy).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/sha256.hpp"
#include "base/unique_fd.hpp"
#include "server/settings.hpp"
#include "server/sftp/codec.hpp"
#include "server/sftp/ghosts.hpp"
#include "server/sftp/name_claims.hpp"
#include "server/sftp/upload_sink.hpp"
#include "server/sftp/virtual_path.hpp"
#include "server/subsystem.hpp"

namespace intake::server::sftp {

// What every SFTP session shares: settings, the sink and name policy from the composition root, the
// ghosts and the name claims, and where tenants' folders live (DATA_DIR/tenants).
struct SftpEnvironment {
  SftpSettings settings;
  std::filesystem::path tenants_dir;
  UploadSink* sink = nullptr;
  UploadNamePolicy* names = nullptr;
  GhostRegistry* ghosts = nullptr;
  NameClaims* claims = nullptr;
  UploadQuotas* quotas = nullptr;  // null: every tenant gets the settings' defaults
};

bool is_temporary_name(const SftpSettings& settings, const std::string& name);

class SftpSession : public SubsystemHandler {
 public:
  // Opens (creating if needed) the tenant's folders; the error says why it could not.
  static tl::expected<std::unique_ptr<SftpSession>, std::string> open(const SessionInfo& session,
                                                                      ChannelWriter& writer,
                                                                      const SftpEnvironment& environment);
  ~SftpSession() override;

  std::size_t on_data(std::span<const std::uint8_t> bytes) override;
  void on_end(bool clean) override;

 private:
  struct Handle {
    base::UniqueFd fd;
    bool directory = false;
    bool writing = false;
    std::string write_error;  // why a WRITE failed: the CLOSE answers FAILURE with it
    VirtualPath path;
    std::optional<NameClaims::Claim> claim;  // a handle writing in upload/ holds its name
    bool over_ghost = false;  // created where a taken upload's ghost was: nothing there to resume
    // Writing: SHA-256 of the bytes written so far, present only while they arrived in order from
    // offset 0; a resume, an overwrite or a truncation drops it and the completion hashes the file.
    std::optional<base::Sha256> hash;
    std::uint64_t hashed = 0;
    // Directories: the home's two entries, or (fd) a folder read page by page as READDIR asks: a
    // listing is never copied whole, so a folder of many files costs no memory per open handle.
    std::vector<NameEntry> fixed_listing;
  };
  using Reply = std::vector<std::uint8_t>;

  SftpSession(const SessionInfo& session, ChannelWriter& writer, const SftpEnvironment& environment);

  void handle_packet(Bytes packet);
  Reply status(std::uint32_t id, Status status, std::string_view message = {});
  Reply errno_status(std::uint32_t id, int error, std::string_view what);

  Reply on(const Init&);
  Reply on(const Open&);
  Reply on(const Close&);
  Reply on(const Read&);
  Reply on(const Write&);
  Reply on(const Lstat&);
  Reply on(const Stat&);
  Reply on(const Fstat&);
  Reply on(const Setstat&);
  Reply on(const Fsetstat&);
  Reply on(const Opendir&);
  Reply on(const Readdir&);
  Reply on(const Remove&);
  Reply on(const Mkdir&);
  Reply on(const Rmdir&);
  Reply on(const Realpath&);
  Reply on(const Rename&);
  Reply on(const Readlink&);
  Reply on(const Symlink&);
  Reply on(const Fsync&);
  Reply on(const Limits&);
  Reply on(const ExpandPath&);
  Reply on(const Statvfs&);
  Reply on(const Unsupported&);

  Reply stat_path(std::uint32_t id, std::string_view path);
  // fsync, hand to the sink, remember the ghost. `reply` is the answer to the CLOSE or RENAME.
  bool complete_upload(std::uint32_t id, const std::string& name, int fd, std::optional<std::string> sha256,
                       Reply& reply);
  // True while `fd` is still the file named `name` in upload/ (no other upload replaced or took it).
  bool still_named(int fd, const std::string& name) const;
  std::optional<NameClaims::Claim> claim(std::vector<std::string> names);
  Reply claimed_elsewhere(std::uint32_t id, const std::string& name);
  Handle* find_handle(std::string_view handle);
  int folder_fd(Area area) const;
  std::string upload_path(const std::string& name) const;
  UploadOrigin origin() const;

  SessionInfo session_;
  ChannelWriter& writer_;
  SftpEnvironment environment_;
  base::UniqueFd root_fd_;
  base::UniqueFd upload_fd_;
  base::UniqueFd reports_fd_;
  bool initialised_ = false;
  std::map<std::string, Handle, std::less<>> handles_;
  std::uint64_t next_handle_ = 1;
  std::optional<UploadSpace> space_;  // set once upload/ is open
};

class SftpFactory : public SubsystemFactory {
 public:
  explicit SftpFactory(SftpEnvironment environment) : environment_(std::move(environment)) {}
  std::unique_ptr<SubsystemHandler> create(const SessionInfo& session, ChannelWriter& writer) override;
  void update_settings(const SftpSettings& settings);

 private:
  std::mutex mutex_;
  SftpEnvironment environment_;
};

}  // namespace intake::server::sftp
