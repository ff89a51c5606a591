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
  // Serves until SIGTERM or SIGINT, then lets sessions finish for shutdown_grace and closes the
  // rest. SIGHUP calls `reload` and applies the reloadable settings it returns. Returns the exit status.
  // `housekeeping` runs on the server's thread once a minute (e.g. sweeping abandoned uploads).
  using Reload = std::function<std::optional<ServerSettings>()>;
  int run(ServerStore& store, SubsystemFactory* sftp, Reload reload, std::function<void()> housekeeping = {});

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace intake::server
