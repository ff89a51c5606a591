#pragma once
// Channel input a session has taken from libssh but its handler has not consumed yet (a partial
// packet, or requests held back while the client leaves replies unread). Space is allocated without
// being written, so asking libssh for a large read does not make a large buffer resident.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace intake::server {

class InputBuffer {
 public:
  // Room for `count` more bytes after the unconsumed ones; fill it, then commit what was written.
  std::span<std::uint8_t> reserve_tail(std::size_t count);
  void commit(std::size_t written);
  std::span<const std::uint8_t> unconsumed() const { return {storage_.get() + begin_, end_ - begin_}; }
  void consume(std::size_t count);
  bool empty() const { return begin_ == end_; }
  std::size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<std::uint8_t[]> storage_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

}  // namespace intake::server
