#include "cli/context.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/text.hpp"
#include "keys/fingerprint.hpp"
#include "store/audit.hpp"

namespace intake::cli {

namespace fs = std::filesystem;

const fs::path& Context::data_dir() {
  if (!data_dir_) {
    if (options_.data_dir.empty())
      throw UserError("--data-dir is empty; give a directory, e.g. --data-dir ./var");
    fs::path dir = fs::absolute(options_.data_dir).lexically_normal();
    if (!fs::exists(dir)) {
      std::error_code ec;
      fs::create_directories(dir.parent_path(), ec);
      if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
        throw UserError("cannot create data directory " + dir.string() + ": " + std::strerror(errno) +
                        "; choose another with --data-dir or INTAKE_DATA_DIR");
      }
    } else if (!fs::is_directory(dir)) {
      throw UserError("data directory " + dir.string() + " exists but is not a directory");
    }
    data_dir_ = dir;
  }
  return *data_dir_;
}

fs::path Context::config_path() {
  return options_.config_file.empty() ? data_dir() / "intake.toml" : fs::path(options_.config_file);
}

tl::expected<Config, std::string> Context::reread_config() {
  const fs::path file = config_path();
  if (fs::is_directory(file))
    return tl::unexpected("config file " + file.string() + " is a directory; give a TOML file");
  if (!fs::exists(file)) {
    if (!options_.config_file.empty()) {
      return tl::unexpected("config file " + file.string() +
                            " does not exist; see deploy/intake.example.toml for a template");
    }
    return Config{};
  }
  std::ifstream in(file);
  if (!in) return tl::unexpected("cannot read config file " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str(), file.string());
}

const Config& Context::config() {
  if (!config_) {
    auto parsed = reread_config();
    if (!parsed) throw UserError(parsed.error());
    config_ = std::move(*parsed);
  }
  return *config_;
}

store::Database& Context::db() {
  if (!db_) {
    config();  // a broken settings file is reported by every command, not only by those that read it
    db_ = store::Database::open(data_dir() / "intake.db");
  }
  return *db_;
}

std::string Context::actor() const {
  // Cleaned: the actor is printed in audit listings, so it must not carry terminal escapes.
  if (!options_.actor.empty()) return base::clean_comment(options_.actor, 64);
  for (const char* variable : {"SUDO_USER", "USER"}) {
    if (const char* value = std::getenv(variable); value && *value) return base::clean_comment(value, 64);
  }
  if (const passwd* account = ::getpwuid(::geteuid())) return base::clean_comment(account->pw_name, 64);
  return "uid " + std::to_string(::geteuid());
}

std::vector<keys::HostKey> Context::host_keys() {
  auto keys = keys::ensure_host_keys(data_dir() / "hostkeys");
  if (!keys) throw UserError(keys.error());
  // Creating a host key is a change like any other: audit it.
  for (const auto& key : *keys) {
    if (!key.created) continue;
    store::AuditLog(db()).record(
        actor(), "hostkey.create", "",
        nlohmann::json{{"path", key.path.string()}, {"fingerprint", keys::sha256_fingerprint(key.public_key)}}
            .dump());
  }
  return *keys;
}

std::string Context::public_host() {
  if (!config().public_host.empty()) return config().public_host;
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) == 0 && name[0] != '\0') return name.data();
  return "localhost";
}

unsigned Context::public_port() {
  if (config().public_port) return *config().public_port;
  return port_of(config().server.listen).value_or(2222);
}

}  // namespace intake::cli
