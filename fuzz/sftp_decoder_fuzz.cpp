// Fuzzes the SFTP framing and decoder: arbitrary bytes must decode or be refused, never crash, and a
// frame's declared length is never trusted beyond the bytes present.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "server/sftp/codec.hpp"
#include "server/sftp/virtual_path.hpp"

using namespace intake::server::sftp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Bytes buffer(data, size);
  while (!buffer.empty()) {
    const auto length = frame_length(buffer);
    if (!length) break;
    if (*length > buffer.size()) std::abort();
    if (const auto request = decode_request(buffer.subspan(4, *length - 4))) {
      std::visit(
          [](const auto& typed) {
            if constexpr (requires { typed.path; }) (void)resolve_path(typed.path);
          },
          *request);
    }
    (void)request_id(buffer.subspan(4, *length - 4));
    buffer = buffer.subspan(*length);
  }
  (void)decode_request(Bytes(data, size));
  return 0;
}
