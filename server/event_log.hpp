#pragma once
// One line per event, each carrying the session id: "text" (key=value) or "json" (one object per line).
// libssh's own log is routed here too (per thread: see route_libssh_log).
#include <spdlog/spdlog.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace intake::server {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Sets up the global logger on stderr (systemd's journal keeps it). Format "text" or "json"; level
// trace, debug, info, warn or error. Returns an error message for an unknown format or level.
std::string configure_logging(const std::string& format, const std::string& level);
void set_log_level(const std::string& level);

void log_event(spdlog::level::level_enum level, std::string_view session, std::string_view event,
               const Fields& fields = {});

// Routes libssh's log for the calling thread into log_event, tagged with `session`.
// libssh keeps its log level and callback per thread, so every session thread calls this.
void route_libssh_log(const std::string& session);

}  // namespace intake::server
