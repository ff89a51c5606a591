#include "server/event_log.hpp"

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/text.hpp"

namespace intake::server {
namespace {

std::atomic<bool> g_json{false};
thread_local std::string t_session;

// key=value, the value escaped (clients choose some of these texts: banners, names, libssh's errors
// quoting them) and quoted when it is empty or holds a space, '=' or anything escaped.
std::string text_field(std::string_view value) {
  std::string escaped = base::escape_for_log(value);
  if (value.empty() || escaped.size() != value.size() || escaped.find_first_of(" =") != std::string::npos)
    return "\"" + escaped + "\"";
  return escaped;
}

std::optional<spdlog::level::level_enum> parse_level(const std::string& level) {
  for (const auto candidate : {spdlog::level::trace, spdlog::level::debug, spdlog::level::info,
                               spdlog::level::warn, spdlog::level::err}) {
    const auto name = spdlog::level::to_string_view(candidate);
    if (level == std::string_view(name.data(), name.size()) ||
        (level == "error" && candidate == spdlog::level::err) ||
        (level == "warning" && candidate == spdlog::level::warn)) {
      return candidate;
    }
  }
  return std::nullopt;
}

// libssh reports ordinary disconnects as warnings; real failures reach us through ssh_get_error and
// are logged as our own events. So libssh's own lines are debug detail.
int libssh_level_for(spdlog::level::level_enum level) {
  if (level <= spdlog::level::trace) return SSH_LOG_FUNCTIONS;
  if (level <= spdlog::level::debug) return SSH_LOG_PROTOCOL;
  return SSH_LOG_NOLOG;
}

void libssh_log(int priority, const char* function, const char* message, void*) {
  const auto level = priority <= SSH_LOG_PROTOCOL ? spdlog::level::debug : spdlog::level::trace;
  log_event(level, t_session, "libssh",
            {{"function", function ? function : ""}, {"message", message ? message : ""}});
}

}  // namespace

std::string configure_logging(const std::string& format, const std::string& level) {
  if (format != "text" && format != "json") {
    return "log_format must be \"text\" or \"json\", not \"" + format + "\"";
  }
  const auto parsed = parse_level(level);
  if (!parsed) return "log_level must be one of trace, debug, info, warn, error; not \"" + level + "\"";
  spdlog::drop("intake");
  auto logger = spdlog::stderr_logger_mt("intake");
  g_json = format == "json";
  logger->set_pattern(
      g_json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l",%v})" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
      spdlog::pattern_time_type::utc);
  logger->set_level(*parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return {};
}

void set_log_level(const std::string& level) {
  if (const auto parsed = parse_level(level)) spdlog::default_logger()->set_level(*parsed);
}

void log_event(spdlog::level::level_enum level, std::string_view session, std::string_view event,
               const Fields& fields) {
  auto* logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  std::string line;
  if (g_json) {
    nlohmann::json object{{"session", session}, {"event", event}};
    for (const auto& [key, value] : fields) object[key] = value;
    line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line = line.substr(1, line.size() - 2);  // the pattern supplies the braces, time and level
  } else {
    line = "session=" + std::string(session.empty() ? "-" : session) + " event=" + std::string(event);
    for (const auto& [key, value] : fields) line += " " + key + "=" + text_field(value);
  }
  logger->log(level, line);
}

void route_libssh_log(const std::string& session) {
  t_session = session;
  ssh_set_log_callback(libssh_log);
  ssh_set_log_level(libssh_level_for(spdlog::default_logger_raw()->level()));
}

}  // namespace intake::server
