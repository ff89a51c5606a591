// intake-bench-client: SSH/SFTP load for bench/run.sh, the same client against Intake and OpenSSH.
//
// Why not OpenSSH's `sftp` here: starting an sftp + ssh process pair costs the client more CPU than
// the login costs the server, so on a 2-core machine a process-per-login client measures itself. One
// process holding a thousand idle sessions also costs a few MB instead of several GB. libssh (already
// a dependency) in client mode keeps the client cheap and identical for both servers.
//
//   intake-bench-client idle   --port P --user U --key FILE --sessions N [--threads T]
//       logs N sessions in (connect, key login, SFTP init), prints "ready N failed F", then holds
//       them until stdin closes, and closes them.
//   intake-bench-client logins --port P --user U --key FILE --threads T --seconds S
//       T threads loop connect + key login + SFTP init + close for S seconds; prints
//       "logins N failed F seconds S".
#include <libssh/libssh.h>
#include <libssh/sftp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

struct KeyFree {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};
using KeyHandle = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyFree>;

// One logged-in client session with its SFTP channel; closes both when destroyed.
class SftpLogin {
 public:
  SftpLogin() = default;
  SftpLogin(const SftpLogin&) = delete;
  SftpLogin& operator=(const SftpLogin&) = delete;
  ~SftpLogin() {
    if (sftp_) sftp_free(sftp_);
    if (session_) {
      ssh_disconnect(session_);
      ssh_free(session_);
    }
  }

  // Empty string on success, else what failed.
  std::string open(int port, const std::string& user, ssh_key key) {
    session_ = ssh_new();
    if (!session_) return "ssh_new failed";
    const bool no = false;
    const int strict = 0;
    ssh_options_set(session_, SSH_OPTIONS_HOST, "127.0.0.1");
    ssh_options_set(session_, SSH_OPTIONS_PORT, &port);
    ssh_options_set(session_, SSH_OPTIONS_USER, user.c_str());
    ssh_options_set(session_, SSH_OPTIONS_PROCESS_CONFIG, &no);
    ssh_options_set(session_, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict);
    ssh_options_set(session_, SSH_OPTIONS_KNOWNHOSTS, "/dev/null");
    // As OpenSSH's client does, so that neither server is measured against Nagle's algorithm.
    const int nodelay = 1;
    ssh_options_set(session_, SSH_OPTIONS_NODELAY, &nodelay);
    if (ssh_connect(session_) != SSH_OK) return std::string("connect: ") + ssh_get_error(session_);
    if (ssh_userauth_publickey(session_, nullptr, key) != SSH_AUTH_SUCCESS)
      return std::string("key login: ") + ssh_get_error(session_);
    sftp_ = sftp_new(session_);
    if (!sftp_) return std::string("sftp channel: ") + ssh_get_error(session_);
    if (sftp_init(sftp_) != SSH_OK) return std::string("sftp init: ") + ssh_get_error(session_);
    return {};
  }

 private:
  ssh_session session_ = nullptr;
  sftp_session sftp_ = nullptr;
};

struct Options {
  std::string mode, user, key_path;
  int port = 0, sessions = 0, threads = 1, seconds = 0;
};

std::optional<Options> parse(int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  Options options;
  options.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--port")
      options.port = std::atoi(value.c_str());
    else if (name == "--user")
      options.user = value;
    else if (name == "--key")
      options.key_path = value;
    else if (name == "--sessions")
      options.sessions = std::atoi(value.c_str());
    else if (name == "--threads")
      options.threads = std::atoi(value.c_str());
    else if (name == "--seconds")
      options.seconds = std::atoi(value.c_str());
    else
      return std::nullopt;
  }
  if (options.port <= 0 || options.user.empty() || options.key_path.empty() || options.threads <= 0)
    return std::nullopt;
  return options;
}

int hold_idle(const Options& options, ssh_key key) {
  std::vector<std::unique_ptr<SftpLogin>> logins(static_cast<std::size_t>(options.sessions));
  std::atomic<int> next{0}, failed{0};
  std::mutex error_mutex;
  std::string first_error;
  std::vector<std::thread> workers;
  for (int t = 0; t < options.threads; ++t) {
    workers.emplace_back([&] {
      for (int i = next++; i < options.sessions; i = next++) {
        auto login = std::make_unique<SftpLogin>();
        if (auto error = login->open(options.port, options.user, key); !error.empty()) {
          ++failed;
          std::lock_guard lock(error_mutex);
          if (first_error.empty()) first_error = error;
        }
        logins[static_cast<std::size_t>(i)] = std::move(login);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  std::cout << "ready " << options.sessions - failed << " failed " << failed.load() << std::endl;
  if (!first_error.empty()) std::cerr << "first failure: " << first_error << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return failed == 0 ? 0 : 1;
}

int loop_logins(const Options& options, ssh_key key) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(options.seconds);
  std::atomic<long> done{0}, failed{0};
  std::mutex error_mutex;
  std::string first_error;
  std::vector<std::thread> workers;
  for (int t = 0; t < options.threads; ++t) {
    workers.emplace_back([&] {
      while (Clock::now() < deadline) {
        SftpLogin login;
        if (auto error = login.open(options.port, options.user, key); error.empty()) {
          ++done;
        } else {
          ++failed;
          std::lock_guard lock(error_mutex);
          if (first_error.empty()) first_error = error;
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::cout << "logins " << done.load() << " failed " << failed.load() << " seconds " << seconds << std::endl;
  if (!first_error.empty()) std::cerr << "first failure: " << first_error << std::endl;
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse(argc, argv);
  if (!options || (options->mode != "idle" && options->mode != "logins")) {
    std::cerr << "usage: intake-bench-client idle|logins --port P --user U --key FILE "
                 "[--sessions N] [--threads T] [--seconds S]\n";
    return 2;
  }
  ssh_init();
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_file(options->key_path.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK) {
    std::cerr << "cannot read the private key " << options->key_path << "\n";
    return 2;
  }
  KeyHandle key(raw);
  const int status =
      options->mode == "idle" ? hold_idle(*options, key.get()) : loop_logins(*options, key.get());
  ssh_finalize();
  return status;
}
