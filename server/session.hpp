#pragma once
// One SSH connection, on its own thread: key exchange, public-key login, one session channel with
// the "sftp" subsystem, then the subsystem handler until the client leaves or goes idle.
#include <libssh/callbacks.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "server/input_buffer.hpp"
#include "server/input_pacing.hpp"
#include "server/libssh_handles.hpp"
#include "server/server_store.hpp"
#include "server/settings.hpp"
#include "server/subsystem.hpp"

namespace intake::server {

// What every session shares with the server.
struct SessionEnvironment {
  ssh_bind bind = nullptr;
  std::mutex* bind_mutex = nullptr;  // ssh_bind_accept_fd is not safe to call concurrently
  ServerStore* store = nullptr;
  SubsystemFactory* sftp = nullptr;  // null: the sftp subsystem is refused
};

// How a connection ended, for the failed-login defence: only Denied and Aborted count against the
// address. A connection that simply closes (a health check, ssh-keyscan, a cut pre-login slot) is
// Quiet; a client that shares no algorithm with the server is Incompatible (a compatibility problem
// to log clearly, not an attack).
enum class SessionOutcome {
  LoggedIn,
  Denied,        // a refused authentication (bad key, password attempt, …)
  Aborted,       // protocol garbage, or no login within login_grace
  Quiet,         // closed before trying to log in
  Incompatible,  // key exchange failed on algorithm negotiation
};

// Lets the server cut a connection from another thread (login deadline, shutdown) without ever
// touching a descriptor number the session has already closed and the kernel may have reused.
class SocketGuard {
 public:
  explicit SocketGuard(int fd) : fd_(fd) {}
  void cut();      // shutdown(2) if still open: the session's poll wakes up with an error
  void closing();  // called by the session just before the descriptor is closed
  std::atomic<bool> established{false};    // logged in with the subsystem running: no login deadline
  std::atomic<bool> authenticated{false};  // past the login: no longer counts as a pre-login slot

 private:
  std::mutex mutex_;
  int fd_;
  bool open_ = true;
};

class Session {
 public:
  Session(std::string id, int fd, std::uint32_t client_ip, std::shared_ptr<SocketGuard> guard,
          SessionEnvironment environment, ServerSettings settings);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Runs the connection to its end; the socket is closed when this returns.
  SessionOutcome run();
  // The last reason the login did not succeed (for the failed-login defence).
  const std::string& failure() const { return failure_; }

 private:
  static int on_auth_pubkey(ssh_session, const char* user, ssh_key key, char state, void* self);
  static ssh_string on_gssapi(ssh_session, const char* user, int n_oid, ssh_string* oids, void* self);
  static ssh_channel on_channel_open(ssh_session, void* self);
  static int on_subsystem(ssh_session, ssh_channel, const char* subsystem, void* self);
  static void on_channel_eof(ssh_session, ssh_channel, void* self);
  static void on_channel_close(ssh_session, ssh_channel, void* self);
  static int on_message(ssh_session, ssh_message message, void* self);

  bool establish();  // key exchange + login + channel + subsystem, within login_grace
  void serve();      // the subsystem, until the end
  enum class Input { Taken, Nothing, Held, Ended, Lost, Flood };
  Input take_input(InputPacing& pacing);
  void deny(const std::string& tenant, const std::string& fingerprint, const std::string& reason);
  std::chrono::milliseconds time_left() const;

  std::string id_;
  int fd_;
  std::uint32_t client_ip_;
  std::shared_ptr<SocketGuard> guard_;
  std::string client_ip_text_;
  SessionEnvironment environment_;
  ServerSettings settings_;
  std::chrono::steady_clock::time_point deadline_;

  SessionPtr session_;
  ssh_channel channel_ = nullptr;
  ssh_server_callbacks_struct server_callbacks_{};
  ssh_channel_callbacks_struct channel_callbacks_{};

  bool authenticated_ = false;
  bool subsystem_ready_ = false;
  bool channel_closed_ = false;
  bool peer_closed_channel_ = false;  // the client sent CLOSE: nothing more may be sent on the channel
  bool clean_end_ = false;
  unsigned failed_attempts_ = 0;
  SessionOutcome unauthenticated_outcome_ = SessionOutcome::Quiet;  // when nobody logged in
  std::string tenant_;
  std::string fingerprint_;
  std::string failure_ = "closed before logging in";
  std::chrono::steady_clock::time_point last_activity_;

  class Writer;
  std::unique_ptr<Writer> writer_;
  InputBuffer inbox_;  // channel input read but not yet consumed by the handler
  std::unique_ptr<SubsystemHandler> handler_;
};

}  // namespace intake::server
