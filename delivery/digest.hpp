#pragma once
// The daily digest (a tenant's `--report-mail daily`, Cosafe's "daily report on sync results"): one
// e-mail a day, at `daily_digest_hour` UTC, listing the uploads received since the last one with their
// outcome and counts. Queued in the outbox like every other e-mail, so it is retried and never lost.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/utc_time.hpp"
#include "store/ingests.hpp"

namespace intake::store {
class Database;
}

namespace intake::delivery {

struct DigestWindow {
  base::WallTime since, until;
};

// The digest due at `now` for a tenant whose last one covered uploads up to `last_until`: the window
// up to the latest `hour`:00 UTC not after `now`, from the last digest's end (at most a day back the
// first time); nullopt when that one was queued already. Pure.
std::optional<DigestWindow> digest_due(base::WallTime now, unsigned hour,
                                       std::optional<base::WallTime> last_until);

// The digest's JSON (what the outbox keeps) and its text. Pure.
nlohmann::json digest_json(const std::string& tenant, const DigestWindow& window,
                           const std::vector<store::IngestRecord>& ingests);
std::string render_digest_text(const nlohmann::json& digest);
std::string digest_subject(const nlohmann::json& digest);

// Queues the digests due at `now` (every tenant with report_mail daily and report addresses); returns
// how many. The server calls it every minute.
std::size_t queue_daily_digests(store::Database& db, base::WallTime now, unsigned hour);

// Queues one tenant's digest of `window` now (`intake digest`): false when it was queued already.
bool queue_digest(store::Database& db, const std::string& tenant, const DigestWindow& window);

}  // namespace intake::delivery
