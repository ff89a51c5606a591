#include "server/sftp/sftp_session.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "server/event_log.hpp"

namespace intake::server::sftp {
namespace {

// A READDIR page: what one getdents64 call returns into this much (about 200 names of 40 characters).
constexpr std::size_t kListingBuffer = 8192;

Attributes attributes_of(const struct stat& info) {
  Attributes attrs;
  attrs.size = static_cast<std::uint64_t>(info.st_size);
  attrs.uid = info.st_uid;
  attrs.gid = info.st_gid;
  attrs.permissions = info.st_mode;
  attrs.atime = static_cast<std::uint32_t>(info.st_atime);
  attrs.mtime = static_cast<std::uint32_t>(info.st_mtime);
  return attrs;
}

Attributes folder_attributes(bool writable) {
  Attributes attrs;
  attrs.size = 4096;
  attrs.uid = 0;
  attrs.gid = 0;
  attrs.permissions = S_IFDIR | (writable ? 0755 : 0555);
  const auto now = static_cast<std::uint32_t>(std::time(nullptr));
  attrs.atime = now;
  attrs.mtime = now;
  return attrs;
}

// An `ls -l` line for clients that show the long name.
std::string long_name(const std::string& name, const Attributes& attrs, const std::string& owner) {
  const auto mode = attrs.permissions.value_or(0);
  std::string type_and_mode = S_ISDIR(mode) ? "d" : "-";
  for (int shift = 6; shift >= 0; shift -= 3) {
    type_and_mode += (mode >> shift) & 4 ? 'r' : '-';
    type_and_mode += (mode >> shift) & 2 ? 'w' : '-';
    type_and_mode += (mode >> shift) & 1 ? 'x' : '-';
  }
  const std::time_t mtime = attrs.mtime.value_or(0);
  std::tm utc{};
  ::gmtime_r(&mtime, &utc);
  std::array<char, 32> date{};
  std::strftime(date.data(), date.size(), "%b %e %H:%M", &utc);
  std::array<char, 512> line{};
  std::snprintf(line.data(), line.size(), "%s    1 %-8s %-8s %12llu %s %s", type_and_mode.c_str(),
                owner.c_str(), owner.c_str(), static_cast<unsigned long long>(attrs.size.value_or(0)),
                date.data(), name.c_str());
  return line.data();
}

Status status_for_errno(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR: return Status::NoSuchFile;
    case EACCES:
    case EPERM:
    case ELOOP:
    case EROFS: return Status::PermissionDenied;
    default: return Status::Failure;
  }
}

base::UniqueFd open_folder(int parent, const char* name) {
  ::mkdirat(parent, name, 0700);  // created on first use; EEXIST is fine
  return base::UniqueFd(::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

std::string already_taken(const std::string& name) {
  return "the previous upload of " + name +
         " was already taken for processing, so there is nothing to resume or append to; upload the "
         "whole file again";
}

bool write_all(int fd, const std::uint8_t* data, std::size_t size, std::uint64_t offset, bool append) {
  while (size > 0) {
    const ssize_t written =
        append ? ::write(fd, data, size) : ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return false;
    data += written;
    size -= static_cast<std::size_t>(written);
    offset += static_cast<std::uint64_t>(written);
  }
  return true;
}

}  // namespace

bool is_temporary_name(const SftpSettings& settings, const std::string& name) {
  return std::any_of(
      settings.temp_name_patterns.begin(), settings.temp_name_patterns.end(),
      [&](const std::string& pattern) { return ::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0; });
}

SftpSession::SftpSession(const SessionInfo& session, ChannelWriter& writer,
                         const SftpEnvironment& environment)
    : session_(session), writer_(writer), environment_(environment) {}

tl::expected<std::unique_ptr<SftpSession>, std::string> SftpSession::open(
    const SessionInfo& session, ChannelWriter& writer, const SftpEnvironment& environment) {
  std::unique_ptr<SftpSession> sftp(new SftpSession(session, writer, environment));
  const auto tenants = open_folder(AT_FDCWD, environment.tenants_dir.c_str());
  if (!tenants)
    return tl::unexpected("cannot open " + environment.tenants_dir.string() + ": " + std::strerror(errno));
  sftp->root_fd_ = open_folder(tenants.get(), session.tenant.c_str());
  if (!sftp->root_fd_)
    return tl::unexpected("cannot open the tenant's folder: " + std::string(std::strerror(errno)));
  sftp->upload_fd_ = open_folder(sftp->root_fd_.get(), "upload");
  sftp->reports_fd_ = open_folder(sftp->root_fd_.get(), "reports");
  if (!sftp->upload_fd_ || !sftp->reports_fd_) {
    return tl::unexpected("cannot open the tenant's upload/ or reports/: " +
                          std::string(std::strerror(errno)));
  }
  const UploadQuota defaults{environment.settings.upload_quota_bytes,
                             environment.settings.upload_quota_files};
  sftp->space_.emplace(
      sftp->upload_fd_.get(), environment.settings,
      environment.quotas ? environment.quotas->quota_of(session.tenant, defaults) : defaults);
  return sftp;
}

SftpSession::~SftpSession() = default;

UploadOrigin SftpSession::origin() const {
  return {session_.tenant, session_.client_ip, session_.key_fingerprint, session_.session_id};
}

std::string SftpSession::upload_path(const std::string& name) const {
  return (environment_.tenants_dir / session_.tenant / "upload" / name).string();
}

int SftpSession::folder_fd(Area area) const {
  return area == Area::Upload ? upload_fd_.get() : area == Area::Reports ? reports_fd_.get() : root_fd_.get();
}

std::size_t SftpSession::on_data(std::span<const std::uint8_t> bytes) {
  std::size_t consumed = 0;
  while (consumed < bytes.size() && !writer_.congested()) {
    const auto rest = bytes.subspan(consumed);
    const auto length = frame_length(rest);
    if (!length) {
      if (length.error() == FrameProblem::Incomplete) break;
      log_event(
          spdlog::level::warn, session_.session_id, "sftp.malformed",
          {{"reason", length.error() == FrameProblem::TooLarge ? "packet larger than the advertised limit"
                                                               : "empty packet"}});
      writer_.close();
      return bytes.size();
    }
    // The packet is handled straight from libssh's buffer: WRITE data goes to disk without a copy.
    handle_packet(rest.subspan(4, *length - 4));
    consumed += *length;
  }
  return consumed;
}

void SftpSession::handle_packet(Bytes packet) {
  auto request = decode_request(packet);
  if (!request) {
    log_event(spdlog::level::warn, session_.session_id, "sftp.malformed", {{"reason", request.error()}});
    writer_.close();
    return;
  }
  if (!initialised_ && !std::holds_alternative<Init>(*request)) {
    log_event(spdlog::level::warn, session_.session_id, "sftp.malformed",
              {{"reason", "request before INIT"}});
    writer_.close();
    return;
  }
  auto reply = std::visit([this](const auto& typed) { return on(typed); }, *request);
  if (!reply.empty()) writer_.write(std::move(reply));
}

SftpSession::Reply SftpSession::status(std::uint32_t id, Status code, std::string_view message) {
  if (message.empty()) message = code == Status::Ok ? "OK" : code == Status::Eof ? "end of file" : "failure";
  return encode_status(id, code, message);
}

SftpSession::Reply SftpSession::errno_status(std::uint32_t id, int error, std::string_view what) {
  std::string message(what);
  if (error == ELOOP)
    message += ": symbolic links are not followed";
  else if (error == ENOSPC || error == EDQUOT)
    message += ": the server's disk is full, try again later";
  else
    message += std::string(": ") + std::strerror(error);
  return status(id, status_for_errno(error), message);
}

SftpSession::Handle* SftpSession::find_handle(std::string_view handle) {
  const auto found = handles_.find(handle);
  return found == handles_.end() ? nullptr : &found->second;
}

SftpSession::Reply SftpSession::on(const Init&) {
  initialised_ = true;
  return encode_version({{"posix-rename@openssh.com", "1"},
                         {"fsync@openssh.com", "1"},
                         {"limits@openssh.com", "1"},
                         {"expand-path@openssh.com", "1"},
                         {"statvfs@openssh.com", "2"}});
}

std::optional<NameClaims::Claim> SftpSession::claim(std::vector<std::string> names) {
  return environment_.claims->try_claim(session_.tenant, std::move(names));
}

SftpSession::Reply SftpSession::claimed_elsewhere(std::uint32_t id, const std::string& name) {
  return status(id, Status::Failure,
                name +
                    " is being uploaded by another connection right now; wait until that upload "
                    "has finished, then try again");
}

bool SftpSession::still_named(int fd, const std::string& name) const {
  struct stat info {};
  struct stat named {};
  return ::fstat(fd, &info) == 0 &&
         ::fstatat(upload_fd_.get(), name.c_str(), &named, AT_SYMLINK_NOFOLLOW) == 0 &&
         named.st_ino == info.st_ino && named.st_dev == info.st_dev;
}

SftpSession::Reply SftpSession::on(const Open& request) {
  const bool writing = (request.flags & (open_flags::kWrite | open_flags::kAppend | open_flags::kCreate |
                                         open_flags::kTruncate)) != 0;
  const auto path = resolve_path(request.path);
  if (!path) {
    // Most often a forgotten `cd upload`: say where files go, with FAILURE so that clients show it.
    if (writing && path.error().status == Status::NoSuchFile) {
      return status(request.id, Status::Failure,
                    path.error().message + ": upload files into upload/ (cd upload, then put the file)");
    }
    return status(request.id, path.error().status, path.error().message);
  }
  if (path->is_folder()) return status(request.id, Status::Failure, path->display() + " is a folder");
  if (handles_.size() >= environment_.settings.max_open_handles) {
    return status(request.id, Status::Failure, "too many open files in this session");
  }
  int flags = O_CLOEXEC | O_NOFOLLOW;
  std::optional<NameClaims::Claim> name_claim;
  bool over_ghost = false;
  if (path->area == Area::Root) {
    return status(request.id, Status::Failure,
                  "the home folder is read-only: upload files into upload/ (cd upload, then put the file)");
  }
  if (path->area == Area::Reports) {
    if (writing) return status(request.id, Status::PermissionDenied, "reports/ is read-only");
    flags |= O_RDONLY;
  } else if (!writing) {
    if (!environment_.settings.allow_read_uploads) {
      return status(request.id, Status::PermissionDenied,
                    "files in upload/ cannot be read back: they are taken for processing once complete");
    }
    flags |= O_RDONLY;
  } else {
    // Refused with FAILURE, not PERMISSION_DENIED: most clients show the server's text only for FAILURE.
    if (!is_temporary_name(environment_.settings, path->name) && environment_.names) {
      if (auto refusal = environment_.names->refusal(session_.tenant, path->name)) {
        log_event(spdlog::level::info, session_.session_id, "upload.refused",
                  {{"name", path->name}, {"reason", *refusal}});
        return status(request.id, Status::Failure, *refusal);
      }
    }
    name_claim = claim({path->name});
    if (!name_claim) return claimed_elsewhere(request.id, path->name);
    if (environment_.sink) environment_.sink->before_write(session_.tenant);
    flags |= (request.flags & open_flags::kRead) ? O_RDWR : O_WRONLY;
    if (request.flags & open_flags::kCreate) flags |= O_CREAT;
    if (request.flags & open_flags::kTruncate) flags |= O_TRUNC;
    if (request.flags & open_flags::kExclusive) flags |= O_EXCL;
    if (request.flags & open_flags::kAppend) flags |= O_APPEND;
    struct stat existing {};
    const bool absent =
        ::fstatat(upload_fd_.get(), path->name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno == ENOENT;
    const bool ghost = absent && environment_.ghosts->find(session_.tenant, path->name);
    if (absent && ((flags & O_CREAT) != 0 || ghost)) {  // this open creates a file
      if (auto problem = space_->new_file_problem(std::chrono::steady_clock::now())) {
        log_event(spdlog::level::warn, session_.session_id, "upload.refused",
                  {{"name", path->name}, {"reason", *problem}});
        return status(request.id, Status::Failure, *problem);
      }
    }
    if (ghost) {
      // The name is a ghost: its last upload was taken. An append (`reput`, `put -a`, `curl -C -`, which
      // STAT the ghost and would send only the tail) would complete as a fragment: refused. Any other
      // write-open is a fresh upload, with or without CREAT or TRUNC (sshfs `cp`, shell redirection,
      // scp's in-place OPEN); its first WRITE must then start the file (see on(Write)).
      if (request.flags & open_flags::kAppend)
        return status(request.id, Status::Failure, already_taken(path->name));
      flags |= O_CREAT;
      over_ghost = true;
    }
  }
  base::UniqueFd fd(::openat(folder_fd(path->area), path->name.c_str(), flags, 0600));
  if (!fd) return errno_status(request.id, errno, "cannot open " + path->display());
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return status(request.id, Status::Failure, path->display() + " is not a regular file");
  }
  Handle handle;
  handle.fd = std::move(fd);
  handle.writing = writing;
  handle.path = *path;
  handle.claim = std::move(name_claim);
  handle.over_ghost = over_ghost;
  if (writing && info.st_size == 0) handle.hash.emplace();
  const std::string id = std::to_string(next_handle_++);
  handles_.emplace(id, std::move(handle));
  if (writing) log_event(spdlog::level::debug, session_.session_id, "upload.open", {{"name", path->name}});
  return encode_handle(request.id, id);
}

bool SftpSession::complete_upload(std::uint32_t id, const std::string& name, int fd,
                                  std::optional<std::string> sha256, Reply& reply) {
  if (environment_.settings.durable_close && ::fsync(fd) != 0) {
    reply = errno_status(id, errno, "cannot save " + name);
    return false;
  }
  struct stat info {};
  ::fstat(fd, &info);
  // The caller holds the name's claim, so nothing can replace the file between this check and the
  // sink's move into the archive; the check stays as the last line of defence.
  if (!still_named(fd, name)) {
    reply = status(id, Status::Failure,
                   name +
                       " was replaced by another upload of the same name while this one was "
                       "open; upload it again");
    return false;
  }
  if (!sha256) {
    // Hashed afresh (a resume, a rename, out-of-order writes): through a descriptor that can read, on
    // the same file.
    const base::UniqueFd reader(::openat(upload_fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (reader && still_named(reader.get(), name)) sha256 = base::sha256_of_fd(reader.get());
  }
  if (!sha256) {
    reply = status(id, Status::Failure,
                   "the server could not read " + name + " back to check it; upload it again");
    return false;
  }
  const CompletedUpload upload{origin(), name, upload_path(name), static_cast<std::uint64_t>(info.st_size),
                               *sha256};
  auto taken = environment_.sink ? environment_.sink->completed(upload)
                                 : tl::expected<void, std::string>(tl::unexpect, "no upload sink configured");
  if (!taken) {
    // The reason names server paths and internals: it goes to the log, the client hears what to do.
    log_event(spdlog::level::err, session_.session_id, "upload.not_taken",
              {{"name", name}, {"reason", taken.error()}});
    reply = status(id, Status::Failure,
                   "the server could not take " + name +
                       " for processing; it is still in upload/, try again in a few minutes (support "
                       "finds the reason in the server log under session " +
                       session_.session_id + ")");
    return false;
  }
  environment_.ghosts->remember(session_.tenant, name,
                                Ghost{upload.size, static_cast<std::uint32_t>(info.st_mtime)});
  log_event(spdlog::level::info, session_.session_id, "upload.completed",
            {{"tenant", session_.tenant}, {"name", name}, {"size", std::to_string(upload.size)}});
  reply = status(id, Status::Ok);
  return true;
}

SftpSession::Reply SftpSession::on(const Close& request) {
  const auto found = handles_.find(request.handle);
  if (found == handles_.end()) return status(request.id, Status::Failure, "invalid handle");
  // Taken out of the table, but its claim and descriptor live until this reply is decided.
  Handle handle = std::move(found->second);
  handles_.erase(found);
  Reply reply = status(request.id, Status::Ok);
  if (!handle.writing || handle.directory) return reply;
  const auto& name = handle.path.name;
  if (!handle.write_error.empty()) {
    // Never OK: a client that ignored the failed WRITE's status (paramiko's pipelined put) would
    // believe the file was delivered.
    struct stat info {};
    ::fstat(handle.fd.get(), &info);
    if (environment_.sink && still_named(handle.fd.get(), name)) {
      environment_.sink->partial({origin(), name, static_cast<std::uint64_t>(info.st_size),
                                  "a write failed: " + handle.write_error});
    }
    return status(request.id, Status::Failure,
                  name + " was not taken for processing: a write failed (" + handle.write_error +
                      "); upload the whole file again");
  }
  if (is_temporary_name(environment_.settings, name)) return reply;
  std::optional<std::string> sha256;
  struct stat info {};
  // The running hash covers the file only if nothing beyond the bytes written lies in it.
  if (handle.hash && ::fstat(handle.fd.get(), &info) == 0 &&
      static_cast<std::uint64_t>(info.st_size) == handle.hashed) {
    sha256 = handle.hash->finish_hex();
  }
  complete_upload(request.id, name, handle.fd.get(), std::move(sha256), reply);
  return reply;
}

SftpSession::Reply SftpSession::on(const Read& request) {
  Handle* handle = find_handle(request.handle);
  if (!handle || handle->directory) return status(request.id, Status::Failure, "invalid handle");
  if (handle->path.area == Area::Upload && !environment_.settings.allow_read_uploads) {
    // Also for a handle opened READ|WRITE: upload/ is write-only unless the operator allows reading.
    return status(request.id, Status::PermissionDenied,
                  "files in upload/ cannot be read back: they are taken for processing once complete");
  }
  const std::uint32_t length = std::min(request.length, kMaxRead);  // oversized READs are shortened
  // The file's bytes go straight into the reply (no second copy), which the writer then takes over.
  std::vector<std::uint8_t> reply(kDataHeaderSize + length);
  ssize_t got;
  do {
    got =
        ::pread(handle->fd.get(), reply.data() + kDataHeaderSize, length, static_cast<off_t>(request.offset));
  } while (got < 0 && errno == EINTR);
  if (got < 0) return errno_status(request.id, errno, "cannot read");
  if (got == 0) return status(request.id, Status::Eof);
  reply.resize(kDataHeaderSize + static_cast<std::size_t>(got));
  const auto header = encode_data_header(request.id, static_cast<std::uint32_t>(got));
  std::copy(header.begin(), header.end(), reply.begin());
  return reply;
}

SftpSession::Reply SftpSession::on(const Write& request) {
  Handle* handle = find_handle(request.handle);
  if (!handle || handle->directory) return status(request.id, Status::Failure, "invalid handle");
  if (!handle->writing)
    return status(request.id, Status::PermissionDenied, "this file was not opened for writing");
  if (!handle->write_error.empty())
    return status(request.id, Status::Failure,
                  "an earlier write to this file failed: " + handle->write_error);
  const auto fail = [&](Status code, const std::string& message) {
    handle->write_error = message;
    log_event(spdlog::level::warn, session_.session_id, "upload.write_failed",
              {{"name", handle->path.name}, {"reason", message}});
    return status(request.id, code, message);
  };
  const auto limit = environment_.settings.max_file_size;
  const int fd = handle->fd.get();
  const bool append = (::fcntl(fd, F_GETFL) & O_APPEND) != 0;
  std::uint64_t offset = request.offset;
  if (append) {
    struct stat info {};
    ::fstat(fd, &info);
    offset = static_cast<std::uint64_t>(info.st_size);  // appends land at the end, whatever offset says
  }
  if (handle->over_ghost) {
    struct stat info {};
    ::fstat(fd, &info);
    // A WRITE beyond the end of a file opened over a ghost is a resume of the taken upload.
    if (offset > static_cast<std::uint64_t>(info.st_size))
      return fail(Status::Failure, already_taken(handle->path.name));
  }
  if (offset > limit || request.data.size() > limit - offset) {
    return fail(Status::Failure, "file too large: the limit is " + std::to_string(limit) + " bytes");
  }
  if (auto problem = space_->write_problem(request.data.size(), std::chrono::steady_clock::now()))
    return fail(Status::Failure, *problem);
  if (!write_all(fd, request.data.data(), request.data.size(), request.offset, append)) {
    const int error = errno;
    auto reply = errno_status(request.id, error, "cannot write " + handle->path.display());
    fail(Status::Failure, std::strerror(error));
    return reply;
  }
  if (handle->hash && offset == handle->hashed) {
    handle->hash->update(request.data);
    handle->hashed += request.data.size();
  } else {
    handle->hash.reset();
  }
  return status(request.id, Status::Ok);
}

SftpSession::Reply SftpSession::stat_path(std::uint32_t id, std::string_view text) {
  const auto path = resolve_path(text);
  if (!path) return status(id, path.error().status, path.error().message);
  if (path->is_folder()) return encode_attrs(id, folder_attributes(path->area == Area::Upload));
  struct stat info {};
  if (::fstatat(folder_fd(path->area), path->name.c_str(), &info, AT_SYMLINK_NOFOLLOW) == 0) {
    return encode_attrs(id, attributes_of(info));
  }
  const int error = errno;
  if (error == ENOENT && path->area == Area::Upload) {
    if (const auto ghost = environment_.ghosts->find(session_.tenant, path->name)) {
      Attributes attrs;
      attrs.size = ghost->size;
      attrs.permissions = S_IFREG | 0600;
      attrs.atime = ghost->mtime;
      attrs.mtime = ghost->mtime;
      return encode_attrs(id, attrs);
    }
  }
  return errno_status(id, error, "cannot stat " + path->display());
}

SftpSession::Reply SftpSession::on(const Lstat& request) { return stat_path(request.id, request.path); }
SftpSession::Reply SftpSession::on(const Stat& request) { return stat_path(request.id, request.path); }

SftpSession::Reply SftpSession::on(const Fstat& request) {
  Handle* handle = find_handle(request.handle);
  if (!handle) return status(request.id, Status::Failure, "invalid handle");
  if (handle->directory)
    return encode_attrs(request.id, folder_attributes(handle->path.area == Area::Upload));
  struct stat info {};
  if (::fstat(handle->fd.get(), &info) != 0) return errno_status(request.id, errno, "cannot stat");
  return encode_attrs(request.id, attributes_of(info));
}

namespace {

// Applies size and times; ownership and permissions are accepted and ignored (the server decides them).
// A size beyond `max_size` is refused with EFBIG (max_file_size holds for SETSTAT too).
int apply_attributes(int fd, const Attributes& attrs, std::uint64_t max_size) {
  if (attrs.size && *attrs.size > max_size) return EFBIG;
  if (attrs.size && ::ftruncate(fd, static_cast<off_t>(*attrs.size)) != 0) return errno;
  if (attrs.mtime) {
    const timespec times[2] = {{static_cast<time_t>(attrs.atime.value_or(*attrs.mtime)), 0},
                               {static_cast<time_t>(*attrs.mtime), 0}};
    if (::futimens(fd, times) != 0) return errno;
  }
  return 0;
}

}  // namespace

SftpSession::Reply SftpSession::on(const Setstat& request) {
  const auto path = resolve_path(request.path);
  if (!path) return status(request.id, path.error().status, path.error().message);
  if (path->area != Area::Upload || path->is_folder()) {
    return status(request.id, Status::PermissionDenied, path->display() + " cannot be changed");
  }
  // A size change rewrites content: not while another handle writes the name. Times are harmless.
  std::optional<NameClaims::Claim> name_claim;
  if (request.attrs.size) {
    name_claim = claim({path->name});
    if (!name_claim) return claimed_elsewhere(request.id, path->name);
  }
  base::UniqueFd fd(
      ::openat(upload_fd_.get(), path->name.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  if (!fd) {
    const int error = errno;
    if (error == ENOENT && environment_.ghosts->find(session_.tenant, path->name)) {
      if (request.attrs.mtime)
        environment_.ghosts->set_mtime(session_.tenant, path->name, *request.attrs.mtime);
      return status(request.id, Status::Ok);
    }
    return errno_status(request.id, error, "cannot change " + path->display());
  }
  const int error = apply_attributes(fd.get(), request.attrs, environment_.settings.max_file_size);
  if (error != 0) return errno_status(request.id, error, "cannot change " + path->display());
  return status(request.id, Status::Ok);
}

SftpSession::Reply SftpSession::on(const Fsetstat& request) {
  Handle* handle = find_handle(request.handle);
  if (!handle) return status(request.id, Status::Failure, "invalid handle");
  if (!handle->writing)
    return status(request.id, Status::PermissionDenied, handle->path.display() + " cannot be changed");
  if (const int error =
          apply_attributes(handle->fd.get(), request.attrs, environment_.settings.max_file_size);
      error != 0) {
    return errno_status(request.id, error, "cannot change " + handle->path.display());
  }
  if (request.attrs.size) handle->hash.reset();
  return status(request.id, Status::Ok);
}

SftpSession::Reply SftpSession::on(const Opendir& request) {
  const auto path = resolve_path(request.path);
  if (!path) return status(request.id, path.error().status, path.error().message);
  if (!path->is_folder()) return status(request.id, Status::Failure, path->display() + " is not a folder");
  if (handles_.size() >= environment_.settings.max_open_handles) {
    return status(request.id, Status::Failure, "too many open handles in this session");
  }
  Handle handle;
  handle.directory = true;
  handle.path = *path;
  if (path->area == Area::Root) {
    handle.fixed_listing = {{"upload", "", folder_attributes(true)},
                            {"reports", "", folder_attributes(false)}};
    for (auto& entry : handle.fixed_listing)
      entry.long_name = long_name(entry.name, entry.attrs, session_.tenant);
  } else {
    handle.fd.reset(::openat(folder_fd(path->area), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!handle.fd) return errno_status(request.id, errno, "cannot list " + path->display());
  }
  const std::string id = std::to_string(next_handle_++);
  handles_.emplace(id, std::move(handle));
  return encode_handle(request.id, id);
}

SftpSession::Reply SftpSession::on(const Readdir& request) {
  Handle* handle = find_handle(request.handle);
  if (!handle || !handle->directory) return status(request.id, Status::Failure, "invalid handle");
  std::vector<NameEntry> batch;
  if (!handle->fd) {
    batch = std::move(handle->fixed_listing);
    handle->fixed_listing.clear();
  } else {
    // One getdents64 call per page, into a buffer on the stack: an open listing holds only its
    // descriptor (a DIR would keep 32 KiB per handle, 2 MiB for a session's 63 handles).
    alignas(dirent64) std::array<char, kListingBuffer> buffer;
    while (batch.empty()) {
      const ssize_t got = ::getdents64(handle->fd.get(), buffer.data(), buffer.size());
      if (got < 0) return errno_status(request.id, errno, "cannot list " + handle->path.display());
      if (got == 0) break;
      for (ssize_t at = 0; at < got;) {
        const auto* entry = reinterpret_cast<const dirent64*>(buffer.data() + at);
        at += entry->d_reclen;
        struct stat info {};
        if (::fstatat(handle->fd.get(), entry->d_name, &info, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(info.st_mode))
          continue;
        const auto attrs = attributes_of(info);
        batch.push_back({entry->d_name, long_name(entry->d_name, attrs, session_.tenant), attrs});
      }
    }
  }
  if (batch.empty()) return status(request.id, Status::Eof);
  return encode_name(request.id, batch);
}

SftpSession::Reply SftpSession::on(const Remove& request) {
  const auto path = resolve_path(request.path);
  if (!path) return status(request.id, path.error().status, path.error().message);
  if (path->area != Area::Upload || path->is_folder()) {
    return status(request.id, Status::PermissionDenied, path->display() + " cannot be removed");
  }
  const auto name_claim = claim({path->name});
  if (!name_claim) return claimed_elsewhere(request.id, path->name);
  if (::unlinkat(upload_fd_.get(), path->name.c_str(), 0) == 0) {
    log_event(spdlog::level::info, session_.session_id, "upload.removed", {{"name", path->name}});
    return status(request.id, Status::Ok);
  }
  const int error = errno;
  if (error == ENOENT && environment_.ghosts->forget(session_.tenant, path->name)) {
    return status(request.id, Status::Ok);  // the file was already taken: removing it is a no-op
  }
  return errno_status(request.id, error, "cannot remove " + path->display());
}

SftpSession::Reply SftpSession::on(const Mkdir& request) {
  return status(request.id, Status::PermissionDenied,
                "folders cannot be created here: upload files into upload/");
}

SftpSession::Reply SftpSession::on(const Rmdir& request) {
  return status(request.id, Status::PermissionDenied, "folders cannot be removed here");
}

SftpSession::Reply SftpSession::on(const Realpath& request) {
  const auto path = resolve_path(request.path);
  if (!path) return status(request.id, path.error().status, path.error().message);
  return encode_name(request.id, {{path->display(), path->display(), {}}});
}

SftpSession::Reply SftpSession::on(const ExpandPath& request) {
  return on(Realpath{request.id, request.path});
}

SftpSession::Reply SftpSession::on(const Rename& request) {
  const auto from = resolve_path(request.from);
  if (!from) return status(request.id, from.error().status, from.error().message);
  const auto to = resolve_path(request.to);
  if (!to) return status(request.id, to.error().status, to.error().message);
  if (from->area != Area::Upload || to->area != Area::Upload || from->is_folder() || to->is_folder()) {
    return status(request.id, Status::PermissionDenied,
                  "only files in upload/ can be renamed, within upload/");
  }
  const bool completes = is_temporary_name(environment_.settings, from->name) &&
                         !is_temporary_name(environment_.settings, to->name);
  if (!is_temporary_name(environment_.settings, to->name) && environment_.names) {
    if (auto refusal = environment_.names->refusal(session_.tenant, to->name)) {
      return status(request.id, Status::Failure, *refusal);
    }
  }
  // Neither name may be open for writing (here or elsewhere): a file renamed while a handle still
  // writes it would be taken with bytes still arriving.
  const auto names_claim = claim({from->name, to->name});
  if (!names_claim) {
    const bool from_busy = environment_.claims->held(session_.tenant, from->name);
    return status(request.id, Status::Failure,
                  (from_busy ? from->name : to->name) +
                      " is open for writing right now; close it (or wait until that upload has finished) "
                      "before renaming");
  }
  // Taken by descriptor: the file renamed is the file completed.
  base::UniqueFd taken;
  if (completes) {
    taken.reset(::openat(upload_fd_.get(), from->name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!taken) return errno_status(request.id, errno, "cannot open " + from->display());
  }
  // SFTP v3 RENAME must not replace; posix-rename@openssh.com may.
  const unsigned flags = request.posix ? 0 : RENAME_NOREPLACE;
  if (::renameat2(upload_fd_.get(), from->name.c_str(), upload_fd_.get(), to->name.c_str(), flags) != 0) {
    const int error = errno;
    if (error == EEXIST) return status(request.id, Status::Failure, to->display() + " already exists");
    return errno_status(request.id, error, "cannot rename " + from->display());
  }
  if (!completes) return status(request.id, Status::Ok);
  Reply reply;
  const bool done = complete_upload(request.id, to->name, taken.get(), std::nullopt, reply);
  // Not taken: put the file back under its temporary name so that nothing is lost.
  if (!done) ::renameat(upload_fd_.get(), to->name.c_str(), upload_fd_.get(), from->name.c_str());
  return reply;
}

SftpSession::Reply SftpSession::on(const Readlink& request) {
  return status(request.id, Status::NoSuchFile, "there are no symbolic links here");
}

SftpSession::Reply SftpSession::on(const Symlink& request) {
  return status(request.id, Status::PermissionDenied, "symbolic links cannot be created here");
}

SftpSession::Reply SftpSession::on(const Fsync& request) {
  Handle* handle = find_handle(request.handle);
  if (!handle || handle->directory) return status(request.id, Status::Failure, "invalid handle");
  if (::fsync(handle->fd.get()) != 0) return errno_status(request.id, errno, "fsync failed");
  return status(request.id, Status::Ok);
}

SftpSession::Reply SftpSession::on(const Limits& request) {
  return encode_limits_reply(request.id, kMaxPacket, kMaxRead, kMaxWrite,
                             environment_.settings.max_open_handles);
}

SftpSession::Reply SftpSession::on(const Statvfs& request) {
  const auto path = resolve_path(request.path);
  if (!path) return status(request.id, path.error().status, path.error().message);
  struct statvfs info {};
  if (::fstatvfs(upload_fd_.get(), &info) != 0) return errno_status(request.id, errno, "statvfs failed");
  return encode_statvfs_reply(
      request.id, {info.f_bsize, info.f_frsize, info.f_blocks, info.f_bfree, info.f_bavail, info.f_files,
                   info.f_ffree, info.f_favail, info.f_fsid, info.f_flag, info.f_namemax});
}

SftpSession::Reply SftpSession::on(const Unsupported& request) {
  log_event(spdlog::level::debug, session_.session_id, "sftp.unsupported", {{"request", request.what}});
  return status(request.id, Status::OpUnsupported, request.what + " is not supported");
}

void SftpSession::on_end(bool clean) {
  // A handle still open for writing when the connection ends is a partial upload: never ingested,
  // kept for resume, reported so support can see it — if the file is still the one under its name.
  for (auto& [id, handle] : handles_) {
    if (!handle.writing || !handle.fd || !still_named(handle.fd.get(), handle.path.name)) continue;
    struct stat info {};
    ::fstat(handle.fd.get(), &info);
    const auto reason = clean ? "closed with the file still open" : "connection dropped";
    // Recorded first, logged second: whoever sees the log line finds the record.
    if (environment_.sink) {
      environment_.sink->partial(
          {origin(), handle.path.name, static_cast<std::uint64_t>(info.st_size), reason});
    }
    log_event(spdlog::level::warn, session_.session_id, "upload.partial",
              {{"name", handle.path.name}, {"size", std::to_string(info.st_size)}, {"reason", reason}});
  }
  handles_.clear();
}

std::unique_ptr<SubsystemHandler> SftpFactory::create(const SessionInfo& session, ChannelWriter& writer) {
  SftpEnvironment environment;
  {
    std::lock_guard lock(mutex_);
    environment = environment_;
  }
  auto sftp = SftpSession::open(session, writer, environment);
  if (!sftp) {
    log_event(spdlog::level::err, session.session_id, "sftp.unavailable", {{"reason", sftp.error()}});
    return nullptr;
  }
  return std::move(*sftp);
}

void SftpFactory::update_settings(const SftpSettings& settings) {
  std::lock_guard lock(mutex_);
  environment_.settings = settings;
}

}  // namespace intake::server::sftp
