#include "server/server.hpp"

#include <pthread.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <thread>
#include <unordered_map>

#include "base/hex.hpp"
#include "base/ipv4.hpp"
#include "base/text.hpp"
#include "keys/fingerprint.hpp"
#include "server/ban_service.hpp"
#include "server/event_log.hpp"
#include "server/libssh_handles.hpp"
#include "server/session.hpp"

namespace intake::server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string new_session_id() { return base::random_hex(6).value_or("000000000000"); }

// The signature algorithms accepted for user keys: every accepted key type, RSA with SHA-2 only
// unless SHA-1 "ssh-rsa" is explicitly allowed.
std::string pubkey_algorithms(const AlgorithmSettings& algorithms) {
  std::string list =
      "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,"
      "sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256";
  if (algorithms.allow_ssh_rsa_sha1) list += ",ssh-rsa";
  return list;
}

std::string_view outcome_name(SessionOutcome outcome) {
  switch (outcome) {
    case SessionOutcome::LoggedIn: return "logged_in";
    case SessionOutcome::Denied: return "denied";
    case SessionOutcome::Aborted: return "aborted";
    case SessionOutcome::Quiet: return "quiet";
    case SessionOutcome::Incompatible: return "incompatible";
  }
  return "unknown";
}

struct Connection {
  std::string id;
  std::uint32_t ip = 0;
  std::shared_ptr<SocketGuard> guard;
  Clock::time_point accepted;
  Clock::time_point login_deadline;
  bool evicted = false;  // cut to make room: its thread is ending, it holds no pre-login slot
  bool ending = false;   // cut because its login no longer holds or an operator ended it
  bool waiting_for_login() const { return !evicted && !guard->authenticated; }
};

}  // namespace

struct Server::Impl {
  ServerSettings settings;  // guarded by mutex after run() starts (SIGHUP may replace it)
  ListenAddress address;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_pause{io};
  BindPtr bind;
  std::mutex bind_mutex;

  std::mutex mutex;
  std::condition_variable all_gone;
  std::map<std::string, Connection> connections;
  std::unordered_map<std::uint32_t, unsigned> per_ip;
  bool stopping = false;
  bool shutdown_cut = false;
  std::int64_t pid = ::getpid();
  unsigned ticks = 0;
  Clock::time_point last_login_recheck{};

  ServerStore* store = nullptr;
  SubsystemFactory* sftp = nullptr;
  std::unique_ptr<BanService> bans;

  void accept_next();
  void on_accept(tcp::socket socket);
  void start_session(tcp::socket socket, std::uint32_t ip);
  void finish_session(const std::string& id, std::uint32_t ip);
  void reap(asio::steady_timer& timer);
  void end_revoked_sessions();
  void begin_shutdown(Clock::time_point started, asio::steady_timer& timer);
  std::size_t active() {
    std::lock_guard lock(mutex);
    return connections.size();
  }
};

tl::expected<std::unique_ptr<Server>, std::string> Server::open(const ServerSettings& settings,
                                                                const std::vector<keys::HostKey>& host_keys) {
  auto address = resolve_listen_address(settings.listen);
  if (!address) return tl::unexpected(address.error());
  auto impl = std::make_unique<Impl>();
  impl->settings = settings;
  impl->address = *address;

  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::address_v4(address->ipv4), address->port);
  impl->acceptor.open(tcp::v4(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(1024, ec);
  if (ec) {
    return tl::unexpected(
        "cannot listen on " + address->to_string() + ": " + ec.message() +
        (ec == asio::error::address_in_use  ? " (another process has the port; choose another "
                                              "with --listen or stop it)"
         : ec == asio::error::access_denied ? " (ports below 1024 need root; use --user to drop "
                                              "privileges afterwards)"
                                            : ""));
  }
  if (address->port == 0 || endpoint.port() == 0) impl->address.port = impl->acceptor.local_endpoint().port();

  ssh_init();
  impl->bind.reset(ssh_bind_new());
  if (!impl->bind) return tl::unexpected(std::string("libssh could not create its server state"));
  ssh_bind bind = impl->bind.get();
  bool process_config = false;  // never read /etc/ssh/libssh_server_config (LIBSSH.md)
  ssh_bind_options_set(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &process_config);
  for (const auto& host_key : host_keys) {
    ssh_key key = nullptr;
    if (ssh_pki_import_privkey_file(host_key.path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK) {
      return tl::unexpected("cannot load host key " + host_key.path.string());
    }
    // The bind takes ownership of an imported key.
    if (ssh_bind_options_set(bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
      ssh_key_free(key);
      return tl::unexpected("libssh refused host key " + host_key.path.string() + ": " + ssh_get_error(bind));
    }
    log_event(
        spdlog::level::info, "", "hostkey.loaded",
        {{"path", host_key.path.string()}, {"fingerprint", keys::sha256_fingerprint(host_key.public_key)}});
  }
  const auto& algorithms = settings.algorithms;
  const std::string pubkeys = pubkey_algorithms(algorithms);
  // ECDSA and SHA-1 "ssh-rsa" for older clients (a widely used Java SSH library offers only those).
  std::string hostkeys = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256";
  if (algorithms.allow_ssh_rsa_sha1) hostkeys += ",ssh-rsa";
  const std::pair<ssh_bind_options_e, const std::string*> options[] = {
      {SSH_BIND_OPTIONS_KEY_EXCHANGE, &algorithms.kex},
      {SSH_BIND_OPTIONS_CIPHERS_C_S, &algorithms.ciphers},
      {SSH_BIND_OPTIONS_CIPHERS_S_C, &algorithms.ciphers},
      {SSH_BIND_OPTIONS_HMAC_C_S, &algorithms.macs},
      {SSH_BIND_OPTIONS_HMAC_S_C, &algorithms.macs},
      {SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, &hostkeys},
      {SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES, &pubkeys}};
  for (const auto& [option, value] : options) {
    if (ssh_bind_options_set(bind, option, value->c_str()) != SSH_OK) {
      return tl::unexpected("libssh refused the algorithm list '" + *value + "': " + ssh_get_error(bind));
    }
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

const ListenAddress& Server::address() const { return impl_->address; }

void Server::Impl::accept_next() {
  acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      log_event(spdlog::level::warn, "", "accept.failed", {{"error", ec.message()}});
      if (ec == asio::error::no_descriptors || ec.value() == ENFILE) {
        // Out of descriptors: back off instead of spinning on the same error.
        accept_pause.expires_after(std::chrono::milliseconds(200));
        accept_pause.async_wait([this](boost::system::error_code wait_ec) {
          if (!wait_ec) accept_next();
        });
        return;
      }
    } else {
      try {
        on_accept(std::move(socket));
      } catch (const std::exception& error) {
        log_event(spdlog::level::err, "", "accept.error", {{"error", error.what()}});
      }
    }
    accept_next();
  });
}

void Server::Impl::on_accept(tcp::socket socket) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec || !remote.address().is_v4()) return;  // gone already; the socket closes with `socket`
  const std::uint32_t ip = remote.address().to_v4().to_uint();
  const std::string ip_text = base::ipv4_to_string(ip);
  std::string until;
  if (bans->refuses(ip, until)) {
    log_event(spdlog::level::info, "", "connection.refused",
              {{"ip", ip_text}, {"reason", "banned until " + until}});
    return;
  }
  {
    std::lock_guard lock(mutex);
    const char* over = nullptr;
    if (connections.size() >= settings.max_connections)
      over = "max_connections";
    else if (per_ip[ip] >= settings.max_connections_per_ip)
      over = "max_connections_per_ip";
    if (!over) {
      // Pre-login slots: count them, and find the connection that has waited longest.
      unsigned waiting = 0, waiting_here = 0;
      Connection* oldest = nullptr;
      for (auto& [id, connection] : connections) {
        if (!connection.waiting_for_login()) continue;
        ++waiting;
        if (connection.ip == ip) ++waiting_here;
        if (!oldest || connection.accepted < oldest->accepted) oldest = &connection;
      }
      if (waiting_here >= settings.max_unauthenticated_per_ip) {
        over = "max_unauthenticated_per_ip";
      } else if (waiting >= settings.max_unauthenticated && oldest) {
        oldest->evicted = true;
        oldest->guard->cut();
        log_event(spdlog::level::warn, oldest->id, "connection.evicted",
                  {{"ip", base::ipv4_to_string(oldest->ip)},
                   {"reason", "max_unauthenticated: the longest wait for a login makes room"}});
      }
    }
    if (over) {
      if (per_ip[ip] == 0) per_ip.erase(ip);
      log_event(spdlog::level::warn, "", "connection.refused",
                {{"ip", ip_text}, {"reason", std::string(over)}});
      return;
    }
  }
  start_session(std::move(socket), ip);
}

void Server::Impl::start_session(tcp::socket socket, std::uint32_t ip) {
  const std::string id = new_session_id();
  // SSH login and SFTP are request/reply exchanges of small packets: without TCP_NODELAY, Nagle's
  // algorithm meets the client's delayed ACK and stalls a reply ~40 ms (measured: 16 logins/s from one
  // client instead of hundreds; bench/README.md).
  boost::system::error_code nodelay_ec;
  socket.set_option(tcp::no_delay(true), nodelay_ec);
  const int fd = socket.release();
  auto guard = std::make_shared<SocketGuard>(fd);
  ServerSettings snapshot;
  {
    std::lock_guard lock(mutex);
    snapshot = settings;
    const auto now = Clock::now();
    connections.emplace(id, Connection{id, ip, guard, now, now + settings.login_grace});
    per_ip[ip] += 1;
  }
  log_event(spdlog::level::info, id, "connection.accepted", {{"ip", base::ipv4_to_string(ip)}});
  SessionEnvironment environment{bind.get(), &bind_mutex, store, sftp};
  try {
    std::thread([this, id, fd, ip, guard, environment, snapshot = std::move(snapshot)]() mutable {
      ::pthread_setname_np(::pthread_self(), "intake-session");  // for top -H, perf and gdb
      try {
        Session session(id, fd, ip, guard, environment, std::move(snapshot));
        const auto outcome = session.run();
        const bool strike = outcome == SessionOutcome::Denied || outcome == SessionOutcome::Aborted;
        if (outcome == SessionOutcome::LoggedIn)
          bans->record_success(ip);
        else if (strike)
          bans->record_failure(ip, id, base::clean_comment(session.failure(), 200));  // stored, shown
        // After the ban bookkeeping, so that whoever reads this line sees its effect.
        log_event(spdlog::level::info, id, "connection.closed",
                  {{"ip", base::ipv4_to_string(ip)},
                   {"outcome", std::string(outcome_name(outcome))},
                   {"strike", strike ? "yes" : "no"}});
      } catch (const std::exception& error) {
        log_event(spdlog::level::err, id, "session.error", {{"error", error.what()}});
      }
      if (guard->authenticated) store->session_ended(id);
      finish_session(id, ip);
    }).detach();
  } catch (const std::system_error& error) {
    log_event(spdlog::level::err, id, "session.thread_failed", {{"error", error.what()}});
    guard->closing();
    ::close(fd);
    finish_session(id, ip);
  }
}

void Server::Impl::finish_session(const std::string& id, std::uint32_t ip) {
  std::lock_guard lock(mutex);
  connections.erase(id);
  if (auto found = per_ip.find(ip); found != per_ip.end() && --found->second == 0) per_ip.erase(found);
  if (connections.empty()) all_gone.notify_all();
}

// The session enforces its own login deadline; this is the backstop for a peer that stalls libssh
// inside a blocking call (a bad signature gets no reply, LIBSSH.md), so no connection outlives it.
void Server::Impl::reap(asio::steady_timer& timer) {
  timer.expires_after(std::chrono::seconds(1));
  timer.async_wait([this, &timer](boost::system::error_code ec) {
    if (ec) return;
    const auto now = Clock::now();
    {
      std::lock_guard lock(mutex);
      for (auto& [id, connection] : connections) {
        if (!connection.guard->established && now > connection.login_deadline + std::chrono::seconds(2)) {
          connection.guard->cut();
        }
      }
    }
    if (++ticks % 2 == 0) end_revoked_sessions();
    reap(timer);
  });
}

// Every 2 s: sessions an operator ended (`intake sessions kill`), and, when the database changed (a
// tenant disabled, a key revoked) or at least every 30 s (a key expiring), sessions whose login would
// now be refused. Ending one cuts its connection; an upload in flight is recorded as partial.
void Server::Impl::end_revoked_sessions() {
  const auto now = Clock::now();
  const bool recheck = store->database_changed() || now - last_login_recheck >= std::chrono::seconds(30);
  if (recheck) last_login_recheck = now;
  for (const auto& session : store->sessions_to_end(pid, recheck)) {
    std::lock_guard lock(mutex);
    const auto found = connections.find(session.id);
    if (found == connections.end() || found->second.ending) continue;
    found->second.ending = true;
    log_event(spdlog::level::warn, session.id, "session.ending",
              {{"tenant", session.tenant}, {"reason", session.reason}});
    store->audit("session.end", session.tenant, {{"session", session.id}, {"reason", session.reason}});
    found->second.guard->cut();
  }
}

void Server::Impl::begin_shutdown(Clock::time_point started, asio::steady_timer& timer) {
  timer.expires_after(std::chrono::milliseconds(100));
  timer.async_wait([this, started, &timer](boost::system::error_code ec) {
    if (ec) return;
    Seconds grace;
    {
      std::lock_guard lock(mutex);
      grace = settings.shutdown_grace;
      if (connections.empty()) {
        io.stop();
        return;
      }
      if (Clock::now() - started >= grace) {
        // Once: a session busy in a blocking call (a journal write waiting for the database) takes a
        // moment to notice the cut, and this runs every 100 ms.
        if (!shutdown_cut) {
          log_event(spdlog::level::warn, "", "shutdown.closing",
                    {{"sessions", std::to_string(connections.size())}, {"reason", "shutdown_grace passed"}});
        }
        shutdown_cut = true;
        for (auto& [id, connection] : connections) connection.guard->cut();
      }
    }
    begin_shutdown(started, timer);
  });
}

int Server::run(ServerStore& store, SubsystemFactory* sftp, const Hooks& hooks) {
  auto& impl = *impl_;
  impl.store = &store;
  impl.sftp = sftp;
  impl.bans = std::make_unique<BanService>(impl.settings.bans, store);
  if (const auto forgotten = store.forget_dead_servers(impl.pid)) {
    log_event(
        spdlog::level::info, "", "sessions.forgotten",
        {{"count", std::to_string(forgotten)}, {"reason", "left by a server that is no longer running"}});
  }

  asio::signal_set signals(impl.io, SIGINT, SIGTERM, SIGHUP);
  asio::steady_timer reaper(impl.io);
  asio::steady_timer shutdown_timer(impl.io);
  asio::steady_timer chores(impl.io);
  std::function<void()> schedule_chores = [&] {
    chores.expires_after(std::chrono::minutes(1));
    chores.async_wait([&](boost::system::error_code ec) {
      if (ec || !hooks.housekeeping) return;
      hooks.housekeeping();
      schedule_chores();
    });
  };
  std::function<void()> wait_signal = [&] {
    signals.async_wait([&](boost::system::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        if (auto fresh = hooks.reload ? hooks.reload() : std::nullopt) {
          std::lock_guard lock(impl.mutex);
          if (fresh->listen != impl.settings.listen ||
              fresh->algorithms.kex != impl.settings.algorithms.kex ||
              fresh->algorithms.ciphers != impl.settings.algorithms.ciphers ||
              fresh->algorithms.macs != impl.settings.algorithms.macs ||
              fresh->algorithms.allow_ssh_rsa_sha1 != impl.settings.algorithms.allow_ssh_rsa_sha1) {
            log_event(spdlog::level::warn, "", "config.reload",
                      {{"note", "listen and algorithm changes take effect at the next restart"}});
          }
          fresh->listen = impl.settings.listen;
          fresh->algorithms = impl.settings.algorithms;
          impl.settings = *fresh;
          impl.bans->update_settings(fresh->bans);
          set_log_level(fresh->log_level);
          log_event(spdlog::level::info, "", "config.reloaded");
        }
        wait_signal();
        return;
      }
      log_event(
          spdlog::level::info, "", "shutdown.begin",
          {{"signal", signal == SIGTERM ? "TERM" : "INT"}, {"sessions", std::to_string(impl.active())}});
      {
        std::lock_guard lock(impl.mutex);
        impl.stopping = true;
      }
      if (hooks.stopping) hooks.stopping();
      boost::system::error_code ignored;
      impl.acceptor.close(ignored);
      reaper.cancel();
      chores.cancel();
      impl.begin_shutdown(Clock::now(), shutdown_timer);
    });
  };
  wait_signal();
  impl.accept_next();
  impl.reap(reaper);
  if (hooks.housekeeping) {
    hooks.housekeeping();
    schedule_chores();
  }
  log_event(spdlog::level::info, "", "server.listening", {{"address", impl.address.to_string()}});
  impl.io.run();

  // Sessions were cut; give their threads a moment to unwind before the process exits.
  std::unique_lock lock(impl.mutex);
  impl.all_gone.wait_for(lock, std::chrono::seconds(10), [&] { return impl.connections.empty(); });
  log_event(spdlog::level::info, "", "shutdown.done",
            {{"sessions_left", std::to_string(impl.connections.size())}});
  if (!impl.connections.empty()) {
    // A session thread is stuck (e.g. in fsync on a dying disk). Exit without running destructors
    // under it; every acknowledged upload is already in the journal.
    spdlog::default_logger()->flush();
    std::_Exit(0);
  }
  return 0;
}

}  // namespace intake::server
