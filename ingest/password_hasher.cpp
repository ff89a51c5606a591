#include "ingest/password_hasher.hpp"

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <mutex>
#include <optional>

namespace intake::ingest {

namespace {
// Small enough that a second tenant's few passwords wait for at most a batch or so per thread.
constexpr std::size_t kBatch = 8;
}  // namespace

PasswordHasher::PasswordHasher(std::size_t threads, base::PasswordHashCost cost)
    : pool_(std::max<std::size_t>(1, threads)), cost_(cost) {}

PasswordHasher::~PasswordHasher() { pool_.join(); }

tl::expected<void, std::string> PasswordHasher::hash(std::vector<SecretCell>& cells) {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t pending = 0;
  std::optional<std::string> failure;
  for (std::size_t first = 0; first < cells.size(); first += kBatch) {
    const std::size_t last = std::min(cells.size(), first + kBatch);
    {
      std::lock_guard lock(mutex);
      ++pending;
    }
    boost::asio::post(pool_, [&, first, last] {
      std::optional<std::string> error;
      for (std::size_t i = first; i < last && !error; ++i) {
        auto hashed = base::hash_password(cells[i].plain.view(), cost_);
        if (hashed) {
          cells[i].hash = std::move(*hashed);
          cells[i].plain = base::SecretString();  // the moved-in empty one: the old text is wiped
        } else {
          error = std::move(hashed.error());
        }
      }
      std::lock_guard lock(mutex);
      if (error && !failure) failure = std::move(error);
      if (--pending == 0) done.notify_all();
    });
  }
  std::unique_lock lock(mutex);
  done.wait(lock, [&] { return pending == 0; });
  if (failure) return tl::unexpected(*failure);
  return {};
}

}  // namespace intake::ingest
