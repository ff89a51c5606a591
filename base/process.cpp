#include "base/process.hpp"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace intake::base {

bool intake_process_running(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  if (!std::getline(comm, name)) return true;  // no /proc to ask: trust kill(2)
  return name.starts_with("intake");
}

}  // namespace intake::base
