#pragma once
// The seam between the SSH session and what runs on its channel (the SFTP server). The session
// owns the connection; a handler sees bytes in and writes bytes out.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace intake::server {

struct SessionInfo {
  std::string session_id;
  std::string tenant;
  std::string client_ip;
  std::string key_fingerprint;
};

class ChannelWriter {
 public:
  virtual ~ChannelWriter() = default;
  // Queues a reply to the client (taken over, not copied); false when the channel is gone.
  virtual bool write(std::vector<std::uint8_t>&& bytes) = 0;
  virtual void close() = 0;  // ends the channel (and with it the session)
  // The client leaves replies unread: the handler takes no more requests until this clears.
  virtual bool congested() const = 0;
};

class SubsystemHandler {
 public:
  virtual ~SubsystemHandler() = default;
  // Bytes from the client. Returns how many were consumed; the rest is offered again, with more.
  // Stops early (consuming less) while the writer is congested.
  virtual std::size_t on_data(std::span<const std::uint8_t> bytes) = 0;
  // The connection ended: `clean` is false when it dropped (EOF without a close, a timeout, a kill).
  virtual void on_end(bool clean) = 0;
};

class SubsystemFactory {
 public:
  virtual ~SubsystemFactory() = default;
  virtual std::unique_ptr<SubsystemHandler> create(const SessionInfo& session, ChannelWriter& writer) = 0;
};

}  // namespace intake::server
