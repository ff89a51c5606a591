#pragma once
// What every command needs: the data dir, the settings, the database, the actor. Opened lazily,
// so `intake --help` touches nothing on disk.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/config.hpp"
#include "keys/host_keys.hpp"
#include "store/sqlite.hpp"

namespace intake::cli {

// A failure the user can act on: printed on stderr, exit status 1.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct GlobalOptions {
  std::string data_dir = "./var";
  std::string config_file;  // empty: DATA_DIR/intake.toml when present
  std::string actor;        // empty: $SUDO_USER, else $USER, else the account name
};

class Context {
 public:
  // Reads `options` when a command first needs them, i.e. after the command line was parsed.
  explicit Context(const GlobalOptions& options) : options_(options) {}

  const std::filesystem::path& data_dir();  // created with mode 0700 on first use
  const Config& config();
  // Reads the settings file again (SIGHUP): the new settings, or what is wrong with the file.
  tl::expected<Config, std::string> reread_config();
  std::filesystem::path config_path();  // the file in use; may not exist
  store::Database& db();
  std::string actor() const;
  std::vector<keys::HostKey> host_keys();  // created when missing, as `intake hostkeys` does
  std::string public_host();
  unsigned public_port();

 private:
  const GlobalOptions& options_;
  std::optional<std::filesystem::path> data_dir_;
  std::optional<Config> config_;
  std::optional<store::Database> db_;
};

}  // namespace intake::cli
