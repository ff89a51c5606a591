#pragma once
// Whether a process recorded in the database by an earlier `intake serve` still runs.
#include <sys/types.h>

namespace intake::base {

// True when `pid` runs and is an intake (its command name starts with "intake"), so that a pid the
// kernel reused for another program after a crash does not keep a dead server's rows alive.
bool intake_process_running(pid_t pid);

}  // namespace intake::base
