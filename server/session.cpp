#include "server/session.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <vector>

#include "base/ipv4.hpp"
#include "base/text.hpp"
#include "keys/base64.hpp"
#include "server/event_log.hpp"

namespace intake::server {
namespace {

using Clock = std::chrono::steady_clock;

// "SHA256:…" exactly as ssh-keygen prints it, so that it matches what `intake key add` stored.
std::string fingerprint_of(ssh_key key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) return "SHA256:?";
  std::string out = "SHA256:" + keys::base64_encode(std::span<const std::uint8_t>(hash, length), false);
  ssh_clean_pubkey_hash(&hash);
  return out;
}

// Client-sent names (user, subsystem) in logs: ASCII only, bounded.
std::string printable(const char* text) { return base::printable_excerpt(text ? text : "", 64); }

std::string_view auth_method_name(int subtype) {
  switch (subtype) {
    case SSH_AUTH_METHOD_PASSWORD: return "password";
    case SSH_AUTH_METHOD_INTERACTIVE: return "keyboard-interactive";
    case SSH_AUTH_METHOD_HOSTBASED: return "hostbased";
    case SSH_AUTH_METHOD_GSSAPI_MIC: return "gssapi-with-mic";
    default: return "unknown";
  }
}

std::string_view channel_request_name(int subtype) {
  switch (subtype) {
    case SSH_CHANNEL_REQUEST_PTY: return "pty";
    case SSH_CHANNEL_REQUEST_EXEC: return "exec";
    case SSH_CHANNEL_REQUEST_SHELL: return "shell";
    case SSH_CHANNEL_REQUEST_ENV: return "env";
    case SSH_CHANNEL_REQUEST_X11: return "x11";
    case SSH_CHANNEL_REQUEST_WINDOW_CHANGE: return "window-change";
    default: return "other";
  }
}

}  // namespace

// Output to the client is queued and flushed by the session loop within the channel window, so a
// handler never blocks inside a libssh call waiting for the client to read. Past kOutputBacklog the
// session takes no more requests (backpressure); the handler may still finish the request at hand.
class Session::Writer : public ChannelWriter {
 public:
  explicit Writer(Session& session) : session_(session) {}
  bool write(std::vector<std::uint8_t>&& bytes) override {
    if (session_.channel_closed_ || close_requested_) return false;
    if (pending_ + bytes.size() > kHardLimit) {
      // Unreachable while handlers honour congested(); a last guard for the server's memory.
      log_event(spdlog::level::warn, session_.id_, "session.backlog",
                {{"reason", "replies kept growing while the client read none; closing"}});
      close_requested_ = true;
      return false;
    }
    pending_ += bytes.size();
    queued_ += bytes.size();
    if (bytes.size() < kCoalesce && !queue_.empty() && queue_.back().size() + bytes.size() <= kCoalesce) {
      // Small replies (WRITE acknowledgements) travel together, in one channel write.
      queue_.back().insert(queue_.back().end(), bytes.begin(), bytes.end());
    } else {
      queue_.push_back(std::move(bytes));
    }
    return true;
  }
  void close() override { close_requested_ = true; }
  bool congested() const override { return pending_ >= kOutputBacklog; }

  // Sends what the window allows; false when the channel failed. A sent reply is freed at once.
  bool flush() {
    while (!queue_.empty() && !session_.channel_closed_) {
      const auto window = ssh_channel_window_size(session_.channel_);
      if (window == 0) return true;  // the client has not read yet; poll and try again
      const auto& front = queue_.front();
      const auto chunk = std::min<std::size_t>({front.size() - sent_, window, kCoalesce});
      const int written =
          ssh_channel_write(session_.channel_, front.data() + sent_, static_cast<std::uint32_t>(chunk));
      if (written < 0) return false;
      sent_ += static_cast<std::size_t>(written);
      pending_ -= static_cast<std::size_t>(written);
      if (sent_ == front.size()) {
        queue_.pop_front();
        sent_ = 0;
      }
    }
    return true;
  }
  std::size_t pending() const { return pending_; }
  std::uint64_t queued() const { return queued_; }  // every byte ever queued: the handler's output
  bool close_requested() const { return close_requested_; }

 private:
  static constexpr std::size_t kOutputBacklog = 1u << 20;
  static constexpr std::size_t kCoalesce = 32768;
  static constexpr std::size_t kHardLimit = 16u << 20;
  Session& session_;
  std::deque<std::vector<std::uint8_t>> queue_;
  std::size_t sent_ = 0;     // of the front reply
  std::size_t pending_ = 0;  // bytes queued and not yet sent
  std::uint64_t queued_ = 0;
  bool close_requested_ = false;
};

void SocketGuard::cut() {
  std::lock_guard lock(mutex_);
  if (open_) ::shutdown(fd_, SHUT_RDWR);
}

void SocketGuard::closing() {
  std::lock_guard lock(mutex_);
  open_ = false;
}

Session::Session(std::string id, int fd, std::uint32_t client_ip, std::shared_ptr<SocketGuard> guard,
                 SessionEnvironment environment, ServerSettings settings)
    : id_(std::move(id)),
      fd_(fd),
      client_ip_(client_ip),
      guard_(std::move(guard)),
      client_ip_text_(base::ipv4_to_string(client_ip)),
      environment_(environment),
      settings_(std::move(settings)),
      deadline_(Clock::now() + settings_.login_grace),
      last_activity_(Clock::now()) {}

Session::~Session() = default;

std::chrono::milliseconds Session::time_left() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
}

void Session::deny(const std::string& tenant, const std::string& fingerprint, const std::string& reason) {
  ++failed_attempts_;
  failure_ = reason;
  log_event(spdlog::level::warn, id_, "login.denied",
            {{"tenant", tenant}, {"ip", client_ip_text_}, {"key", fingerprint}, {"reason", reason}});
  environment_.store->audit(
      "login.denied", tenant,
      {{"ip", client_ip_text_}, {"key", fingerprint}, {"session", id_}, {"reason", reason}});
  if (failed_attempts_ >= settings_.max_auth_tries) {
    // Cut at once: libssh may already hold the client's next attempt in the same poll batch.
    failure_ = "too many authentication attempts (" + std::to_string(failed_attempts_) + "); last: " + reason;
    guard_->cut();
  }
}

int Session::on_auth_pubkey(ssh_session, const char* user, ssh_key key, char state, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  const std::string tenant = printable(user);
  const std::string fingerprint = fingerprint_of(key);
  if (state != SSH_PUBLICKEY_STATE_NONE && state != SSH_PUBLICKEY_STATE_VALID) {
    self.deny(tenant, fingerprint, "invalid signature");
    return SSH_AUTH_DENIED;
  }
  const auto decision = self.environment_.store->check_login(tenant, fingerprint, self.client_ip_);
  if (!decision.allowed) {
    self.deny(tenant, fingerprint, decision.reason);
    return SSH_AUTH_DENIED;
  }
  if (state == SSH_PUBLICKEY_STATE_NONE) return SSH_AUTH_SUCCESS;  // the probe: answers PK_OK only
  self.authenticated_ = true;
  self.guard_->authenticated = true;
  self.tenant_ = tenant;
  self.fingerprint_ = fingerprint;
  const char* banner = ssh_get_clientbanner(self.session_.get());
  const std::string client = banner ? banner : "";
  log_event(spdlog::level::info, self.id_, "login.accepted",
            {{"tenant", tenant}, {"ip", self.client_ip_text_}, {"key", fingerprint}, {"client", client}});
  self.environment_.store->audit("login.accepted", tenant,
                                 {{"ip", self.client_ip_text_}, {"key", fingerprint}, {"session", self.id_}});
  self.environment_.store->session_started({self.id_, ::getpid(), tenant, fingerprint, self.client_ip_text_,
                                            base::clean_comment(client, 100), "", std::nullopt});
  return SSH_AUTH_SUCCESS;
}

// libssh would run a GSSAPI (Kerberos) login itself, outside our callbacks: choosing no mechanism
// refuses it, and the attempt counts as a denied login like a password would.
ssh_string Session::on_gssapi(ssh_session, const char* user, int, ssh_string*, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  self.deny(printable(user), "", "gssapi-with-mic login attempted; only public keys are accepted");
  return nullptr;
}

ssh_channel Session::on_channel_open(ssh_session session, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  if (!self.authenticated_ || self.channel_ != nullptr) {
    log_event(spdlog::level::info, self.id_, "channel.refused",
              {{"reason", "one session channel per connection"}});
    return nullptr;
  }
  self.channel_ = ssh_channel_new(session);
  if (!self.channel_) return nullptr;
  // Registered here, inside the open callback: a subsystem request arriving in the same poll batch
  // would otherwise be refused (LIBSSH.md). No data callback: serve() reads the channel, which is
  // what sizes its window and stops it when the session stops reading.
  self.channel_callbacks_ = {};
  self.channel_callbacks_.userdata = &self;
  self.channel_callbacks_.channel_subsystem_request_function = on_subsystem;
  self.channel_callbacks_.channel_eof_function = on_channel_eof;
  self.channel_callbacks_.channel_close_function = on_channel_close;
  ssh_callbacks_init(&self.channel_callbacks_);
  ssh_set_channel_callbacks(self.channel_, &self.channel_callbacks_);
  return self.channel_;
}

int Session::on_subsystem(ssh_session, ssh_channel, const char* subsystem, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  const std::string name = printable(subsystem);
  if (name != "sftp" || !self.environment_.sftp || self.subsystem_ready_) {
    log_event(spdlog::level::warn, self.id_, "subsystem.refused", {{"subsystem", name}});
    return 1;
  }
  self.writer_ = std::make_unique<Writer>(self);
  self.handler_ = self.environment_.sftp->create(
      SessionInfo{self.id_, self.tenant_, self.client_ip_text_, self.fingerprint_}, *self.writer_);
  if (!self.handler_) return 1;  // the factory logged why
  self.subsystem_ready_ = true;
  self.guard_->established = true;
  log_event(spdlog::level::info, self.id_, "subsystem.started",
            {{"subsystem", name}, {"tenant", self.tenant_}});
  return 0;
}

void Session::on_channel_eof(ssh_session, ssh_channel, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  self.clean_end_ = true;
  self.channel_closed_ = true;
}

void Session::on_channel_close(ssh_session, ssh_channel, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  self.clean_end_ = true;
  self.channel_closed_ = true;
  self.peer_closed_channel_ = true;
}

int Session::on_message(ssh_session, ssh_message message, void* self_pointer) {
  auto& self = *static_cast<Session*>(self_pointer);
  const int type = ssh_message_type(message);
  const int subtype = ssh_message_subtype(message);
  if (type == SSH_REQUEST_AUTH && subtype != SSH_AUTH_METHOD_NONE && subtype != SSH_AUTH_METHOD_PUBLICKEY) {
    self.deny(printable(ssh_message_auth_user(message)), "",
              std::string(auth_method_name(subtype)) + " login attempted; only public keys are accepted");
  } else if (type == SSH_REQUEST_CHANNEL) {
    log_event(spdlog::level::info, self.id_, "request.refused",
              {{"request", std::string(channel_request_name(subtype))}});
  } else if (type == SSH_REQUEST_CHANNEL_OPEN || type == SSH_REQUEST_GLOBAL) {
    log_event(
        spdlog::level::info, self.id_, "request.refused",
        {{"request", type == SSH_REQUEST_GLOBAL ? "global (port forwarding)" : "channel (forwarding)"}});
  }
  return 1;  // libssh sends its default reply: a refusal (and for "none" auth, the list "publickey")
}

bool Session::establish() {
  {
    std::lock_guard lock(*environment_.bind_mutex);
    if (ssh_bind_accept_fd(environment_.bind, session_.get(), fd_) != SSH_OK) {
      failure_ = std::string("accept failed: ") + ssh_get_error(environment_.bind);
      guard_->closing();
      ::close(fd_);
      fd_ = -1;
      return false;
    }
  }
  // The session owns the socket from here on.
  ssh_set_auth_methods(session_.get(), SSH_AUTH_METHOD_PUBLICKEY);
  server_callbacks_ = {};
  server_callbacks_.userdata = this;
  server_callbacks_.auth_pubkey_function = on_auth_pubkey;
  server_callbacks_.channel_open_request_session_function = on_channel_open;
  server_callbacks_.gssapi_select_oid_function = on_gssapi;
  ssh_callbacks_init(&server_callbacks_);
  ssh_set_server_callbacks(session_.get(), &server_callbacks_);
  ssh_set_message_callback(session_.get(), on_message, this);

  if (ssh_handle_key_exchange(session_.get()) != SSH_OK) {
    // libssh's text may quote what the client sent (its banner): the log escapes every field.
    const std::string error = ssh_get_error(session_.get());
    failure_ = "handshake failed: " + error;
    if (error.find("no match for method") != std::string::npos) {
      unauthenticated_outcome_ = SessionOutcome::Incompatible;
      log_event(spdlog::level::warn, id_, "handshake.incompatible",
                {{"ip", client_ip_text_},
                 {"reason", error},
                 {"hint", "the client offers no algorithm this server accepts; see the algorithm settings"}});
    } else if (error.find("Socket error") == std::string::npos &&
               error.find("disconnected") == std::string::npos) {
      unauthenticated_outcome_ = SessionOutcome::Aborted;  // garbage instead of SSH, or a stalled handshake
    }
    return false;
  }
  EventPtr event(ssh_event_new());
  ssh_event_add_session(event.get(), session_.get());
  while (!subsystem_ready_) {
    if (failed_attempts_ >= settings_.max_auth_tries) break;  // deny() set the reason and cut
    const auto left = time_left();
    if (left.count() <= 0) {
      unauthenticated_outcome_ = SessionOutcome::Aborted;
      failure_ = authenticated_ ? "no sftp subsystem requested within the login grace time"
                                : "login grace time (" + std::to_string(settings_.login_grace.count()) +
                                      " s) passed without a login";
      break;
    }
    if (ssh_event_dopoll(event.get(), static_cast<int>(std::min<long long>(left.count(), 1000))) ==
            SSH_ERROR ||
        !ssh_is_connected(session_.get())) {
      break;
    }
    if (channel_closed_ && !subsystem_ready_ && channel_) {
      // A channel closed before starting sftp (rclone first tries `exec md5sum` on a channel of its
      // own): free it, so the client can open the one it uses for sftp on the same connection.
      ssh_channel_close(channel_);
      ssh_channel_free(channel_);
      channel_ = nullptr;
      channel_closed_ = false;
      clean_end_ = false;
    }
  }
  ssh_event_remove_session(event.get(), session_.get());
  return subsystem_ready_;
}

// Takes what the client sent, unless the client leaves its replies unread: then its requests wait
// in the window it was granted, and that window stops growing.
Session::Input Session::take_input(InputPacing& pacing) {
  if (writer_->congested()) {
    // Not reading: a client respecting its window can send only what it was granted. libssh keeps
    // whatever arrives regardless, so a peer ignoring the window is cut here.
    const int buffered = ssh_channel_poll(channel_, 0);
    if (buffered > 0 && static_cast<std::size_t>(buffered) > pacing.most_buffered()) return Input::Flood;
    return Input::Held;
  }
  const auto want = pacing.request_size();
  auto room = inbox_.reserve_tail(want);
  const int read =
      ssh_channel_read_timeout(channel_, room.data(), static_cast<std::uint32_t>(room.size()), 0, 0);
  if (read > 0) {
    inbox_.commit(static_cast<std::size_t>(read));
    last_activity_ = Clock::now();
    return Input::Taken;
  }
  if (read == SSH_ERROR && !channel_closed_) return Input::Lost;
  if (channel_closed_ && (read == SSH_ERROR || ssh_channel_is_eof(channel_))) return Input::Ended;
  return Input::Nothing;
}

void Session::serve() {
  EventPtr event(ssh_event_new());
  ssh_event_add_session(event.get(), session_.get());
  last_activity_ = Clock::now();
  InputPacing pacing(settings_.channel_window);
  std::string end_reason = "client closed the channel";
  while (true) {
    if (!writer_->flush()) {
      end_reason = "channel write failed";
      clean_end_ = false;
      break;
    }
    if (writer_->close_requested() && (writer_->pending() == 0 || writer_->congested())) break;
    const auto input = take_input(pacing);
    if (input == Input::Lost) {
      end_reason = "connection lost";
      clean_end_ = false;
      break;
    }
    if (input == Input::Flood) {
      log_event(spdlog::level::warn, id_, "session.flood",
                {{"tenant", tenant_}, {"reason", "the client sent far more than its SSH window allows"}});
      end_reason = "sent beyond its window";
      clean_end_ = false;
      writer_->close();
      break;
    }
    std::size_t consumed = 0;
    if (!inbox_.empty() && !writer_->congested() && !writer_->close_requested()) {
      const auto output_before = writer_->queued();
      consumed = handler_->on_data(inbox_.unconsumed());
      inbox_.consume(consumed);
      pacing.consumed(consumed, static_cast<std::size_t>(writer_->queued() - output_before));
    }
    if (input == Input::Ended && consumed == 0) break;   // the client is done and so is its input
    if (input == Input::Held && channel_closed_) break;  // it ended without reading its replies
    if (input == Input::Taken || consumed > 0) continue;
    const int timeout = writer_->pending() > 0 ? 50 : 1000;
    if (ssh_event_dopoll(event.get(), timeout) == SSH_ERROR || !ssh_is_connected(session_.get())) {
      end_reason = "connection lost";
      clean_end_ = false;
      break;
    }
    if (Clock::now() - last_activity_ > settings_.idle_timeout) {
      end_reason = "idle for " + std::to_string(settings_.idle_timeout.count()) + " s";
      clean_end_ = false;
      break;
    }
  }
  handler_->on_end(clean_end_);
  log_event(spdlog::level::info, id_, "session.end", {{"tenant", tenant_}, {"reason", end_reason}});
  const bool protocol_error = writer_->close_requested();
  if ((clean_end_ || protocol_error) && !peer_closed_channel_ && ssh_is_connected(session_.get())) {
    // Like sshd: the subsystem's exit status, then EOF, before the channel closes. OpenSSH 9's scp runs
    // over SFTP and exits 1 after a perfectly good transfer without it.
    ssh_channel_request_send_exit_status(channel_, protocol_error ? 1 : 0);
    ssh_channel_send_eof(channel_);
  }
  if (clean_end_) {
    // The client closed the channel: let it close the connection too (as sshd does). Disconnecting
    // first makes some clients (rclone) report "use of closed network connection" as a failure.
    ssh_channel_close(channel_);
    const auto linger_until = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < linger_until && ssh_is_connected(session_.get()) &&
           ssh_event_dopoll(event.get(), 200) != SSH_ERROR) {
    }
  }
  ssh_event_remove_session(event.get(), session_.get());
}

SessionOutcome Session::run() {
  route_libssh_log(id_);
  session_.reset(ssh_new());
  if (!session_) {
    guard_->closing();
    ::close(fd_);
    return SessionOutcome::Aborted;
  }
  // Per session, before the key exchange: zlib stays off unless configured (LIBSSH.md).
  const char* compression = settings_.algorithms.compression ? "yes" : "none";
  ssh_options_set(session_.get(), SSH_OPTIONS_COMPRESSION, compression);
  long timeout = std::max<long>(1, static_cast<long>(settings_.login_grace.count()));
  ssh_options_set(session_.get(), SSH_OPTIONS_TIMEOUT, &timeout);

  const bool ready = establish();
  const SessionOutcome outcome = authenticated_         ? SessionOutcome::LoggedIn
                                 : failed_attempts_ > 0 ? SessionOutcome::Denied
                                                        : unauthenticated_outcome_;
  if (ready) {
    serve();
  } else {
    log_event(
        spdlog::level::info, id_, "session.end",
        {{"ip", client_ip_text_},
         {"tenant", tenant_},
         {"reason", authenticated_ && failed_attempts_ < settings_.max_auth_tries && time_left().count() > 0
                        ? "closed without starting the sftp subsystem"
                        : failure_}});
  }
  if (channel_) {
    ssh_channel_close(channel_);
    ssh_channel_free(channel_);
    channel_ = nullptr;
  }
  guard_->closing();
  if (fd_ >= 0) ssh_disconnect(session_.get());
  session_.reset();  // closes the socket
  return outcome;
}

}  // namespace intake::server
