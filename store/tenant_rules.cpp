#include "store/tenant_rules.hpp"

#include <algorithm>
#include <array>

namespace intake::store {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool alnum(char c) { return lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// Names that belong to system accounts or services on a typical Linux host; a tenant named like
// one invites confusion in logs and in `ssh root@…` muscle memory.
constexpr std::array<std::string_view, 40> kReservedNames{"root",
                                                          "daemon",
                                                          "bin",
                                                          "sys",
                                                          "sync",
                                                          "games",
                                                          "man",
                                                          "lp",
                                                          "mail",
                                                          "news",
                                                          "uucp",
                                                          "proxy",
                                                          "www-data",
                                                          "backup",
                                                          "list",
                                                          "irc",
                                                          "gnats",
                                                          "nobody",
                                                          "nogroup",
                                                          "sshd",
                                                          "systemd-network",
                                                          "systemd-resolve",
                                                          "systemd-timesync",
                                                          "messagebus",
                                                          "syslog",
                                                          "admin",
                                                          "administrator",
                                                          "operator",
                                                          "ftp",
                                                          "sftp",
                                                          "intake",
                                                          "postgres",
                                                          "mysql",
                                                          "git",
                                                          "ubuntu",
                                                          "debian",
                                                          "guest",
                                                          "user",
                                                          "support",
                                                          "staff"};

}  // namespace

Check check_tenant_name(std::string_view name) {
  const bool shape = name.size() >= 3 && name.size() <= 32 && lower_alnum(name.front()) &&
                     std::all_of(name.begin(), name.end(),
                                 [](char c) { return lower_alnum(c) || c == '.' || c == '_' || c == '-'; });
  if (!shape) {
    return tl::unexpected("tenant name '" + std::string(name) +
                          "' is not valid: use 3 to 32 characters, lower-case letters, digits, '.', "
                          "'_' or '-', starting with a letter or digit (for example acme-corp)");
  }
  if (std::find(kReservedNames.begin(), kReservedNames.end(), name) != kReservedNames.end()) {
    return tl::unexpected("tenant name '" + std::string(name) +
                          "' is a system account name; choose a name for the customer, such as acme-corp");
  }
  return {};
}

Check check_org_id(std::string_view org_id) {
  const bool ok = !org_id.empty() && org_id.size() <= 64 &&
                  std::all_of(org_id.begin(), org_id.end(),
                              [](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
  if (!ok) {
    return tl::unexpected("organisation id '" + std::string(org_id) +
                          "' is not valid: use 1 to 64 letters, digits, '-', '_' or '.' (leave it out "
                          "to get a random 32-character id)");
  }
  return {};
}

Check check_file_name(std::string_view name) {
  // Printable ASCII: vendors' file names are, and it keeps them safe in logs, JSON and every client.
  const bool ok = !name.empty() && name.size() <= 255 && name.front() != '.' &&
                  std::all_of(name.begin(), name.end(),
                              [](char c) { return c >= 0x20 && c < 0x7f && c != '/' && c != '\\'; });
  if (!ok) {
    return tl::unexpected("file name '" + std::string(name) +
                          "' is not valid: give a plain ASCII file name without folders, such as users.csv "
                          "(it may not start with '.')");
  }
  return {};
}

}  // namespace intake::store
