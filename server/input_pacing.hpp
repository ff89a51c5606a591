#pragma once
// How much channel input a session takes, and so how large an SSH window it grants: libssh grows a
// channel's window to what a read asks for (docs/ARCHITECTURE.md, "The channel window"), and stops
// granting more as soon as the session stops reading. Pure: the session tells it what happened.
#include <cstddef>

namespace intake::server {

class InputPacing {
 public:
  // What a session asks for while it has not shown it is uploading: below libssh's own base window
  // (1,280,000 bytes), so such a session is never granted more than that base.
  static constexpr std::size_t kSmallRequest = 256 * 1024;

  // window: the most a session may have in flight (the `channel_window` setting).
  explicit InputPacing(std::size_t window) : window_(window) {}

  // The whole window while input is consumed as it arrives and answered with little (an upload);
  // a small request otherwise, so that a client pipelining READs gains no large window.
  std::size_t request_size() const { return uploading_ ? window_ : kSmallRequest; }

  // After each batch the handler consumed: bytes taken in, bytes of replies it produced.
  void consumed(std::size_t input_bytes, std::size_t output_bytes) {
    if (input_bytes == 0) return;
    uploading_ = output_bytes * kUploadRatio <= input_bytes;
  }

  // The most input libssh may hold for a session that respects its window; more is a flood.
  std::size_t most_buffered() const;

 private:
  static constexpr std::size_t kUploadRatio = 16;  // a WRITE of 32 KiB is answered with 28 bytes
  std::size_t window_;
  bool uploading_ = false;
};

}  // namespace intake::server
