#pragma once
// The SSH server: a Boost.Asio IPv4 acceptor handing sockets to libssh, one thread per session,
// connection limits, the failed-login defence, signals (TERM/INT stop, HUP reloads).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "keys/host_keys.hpp"
#include "server/listen_address.hpp"
#include "server/server_store.hpp"
#include "server/settings.hpp"
#include "server/subsystem.hpp"

namespace intake::server {

class Server {
 public:
  // Opens the listening socket and loads the host keys, so that the caller can drop privileges
  // before anything is accepted. The error says what is wrong (address in use, IPv6, bad key).
  static tl::expected<std::unique_ptr<Server>, std::string> open(const ServerSettings& settings,
                                                                 const std::vector<keys::HostKey>& host_keys);
  ~Server();

  const ListenAddress& address() const;
  // What the composition root plugs in; each runs on the server's thread.
  struct Hooks {
    // SIGHUP: the new settings (the reloadable ones are applied), or nullopt to keep the running ones.
    std::function<std::optional<ServerSettings>()> reload;
    std::function<void()> housekeeping;  // at start, then once a minute (sweeping abandoned uploads)
    std::function<void()> stopping;      // SIGTERM/SIGINT, before the sessions are given their grace
  };
  // Serves until SIGTERM or SIGINT, then lets sessions finish for shutdown_grace and closes the
  // rest. Returns the exit status.
  int run(ServerStore& store, SubsystemFactory* sftp, const Hooks& hooks);

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace intake::server
