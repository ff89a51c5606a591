#pragma once
// RAII owners for libssh handles.
#include <libssh/libssh.h>
#include <libssh/server.h>

#include <memory>
#include <type_traits>

namespace intake::server {

struct SessionDeleter {
  void operator()(ssh_session session) const { ssh_free(session); }
};
struct BindDeleter {
  void operator()(ssh_bind bind) const { ssh_bind_free(bind); }
};
struct EventDeleter {
  void operator()(ssh_event event) const { ssh_event_free(event); }
};
struct KeyDeleter {
  void operator()(ssh_key key) const { ssh_key_free(key); }
};

using SessionPtr = std::unique_ptr<std::remove_pointer_t<ssh_session>, SessionDeleter>;
using BindPtr = std::unique_ptr<std::remove_pointer_t<ssh_bind>, BindDeleter>;
using EventPtr = std::unique_ptr<std::remove_pointer_t<ssh_event>, EventDeleter>;
using KeyPtr = std::unique_ptr<std::remove_pointer_t<ssh_key>, KeyDeleter>;

}  // namespace intake::server
