#pragma once
// Delivers an ingest's report into its tenant's reports/: the text, and beside it the per-row results
// file kept in DATA_DIR/results/. Durable (written in DATA_DIR/staging, fsynced, renamed in) and
// idempotent: a second delivery of the same report replaces the file with the same name, so after any
// crash the tenant finds each report exactly once, never half written.
#include <filesystem>

#include "delivery/attempt.hpp"

namespace intake::delivery {

AttemptResult deliver_report_file(const std::filesystem::path& data_dir, const DeliveryJob& job);

}  // namespace intake::delivery
