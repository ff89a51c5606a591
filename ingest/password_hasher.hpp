#pragma once
// Hashes the passwords of a parsed file (file_parser.hpp's SecretCell) on a pool of its own: Argon2id
// costs ~20 ms and 19 MiB per password by design, so a 10,000-password import is minutes of CPU. The
// pool's size bounds how much of the machine that takes, whatever the number of tenants importing at
// once, and leaves the ingest workers free for other tenants' files meanwhile.
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "base/password_hash.hpp"
#include "ingest/file_parser.hpp"

namespace intake::ingest {

class PasswordHasher {
 public:
  PasswordHasher(std::size_t threads, base::PasswordHashCost cost);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  // Replaces every cell's plain text with its hash (the plain text is wiped as it goes); blocks until
  // all are done. Callers share the pool: their cells are hashed in small batches, interleaved.
  tl::expected<void, std::string> hash(std::vector<SecretCell>& cells);

 private:
  boost::asio::thread_pool pool_;
  base::PasswordHashCost cost_;
};

}  // namespace intake::ingest
