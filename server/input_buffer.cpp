#include "server/input_buffer.hpp"

#include <algorithm>
#include <cstring>

namespace intake::server {

std::span<std::uint8_t> InputBuffer::reserve_tail(std::size_t count) {
  const std::size_t kept = end_ - begin_;
  if (capacity_ - end_ < count) {
    if (capacity_ - kept >= count && kept <= capacity_ / 2) {
      // Enough room once the unconsumed bytes (at most a partial packet, usually) move to the front.
      std::memmove(storage_.get(), storage_.get() + begin_, kept);
    } else {
      auto grown = std::make_unique_for_overwrite<std::uint8_t[]>(kept + count);
      if (kept > 0) std::memcpy(grown.get(), storage_.get() + begin_, kept);
      storage_ = std::move(grown);
      capacity_ = kept + count;
    }
    begin_ = 0;
    end_ = kept;
  }
  return {storage_.get() + end_, count};
}

void InputBuffer::commit(std::size_t written) { end_ = std::min(capacity_, end_ + written); }

void InputBuffer::consume(std::size_t count) {
  begin_ = std::min(end_, begin_ + count);
  if (begin_ == end_) begin_ = end_ = 0;
}

}  // namespace intake::server
