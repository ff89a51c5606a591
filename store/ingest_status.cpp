#include "store/ingest_status.hpp"

namespace intake::store {

std::string_view ingest_status_name(IngestStatus status) {
  switch (status) {
    case IngestStatus::Queued: return "queued";
    case IngestStatus::Processing: return "processing";
    case IngestStatus::Held: return "held";
    case IngestStatus::Applied: return "applied";
    case IngestStatus::Rejected: return "rejected";
    case IngestStatus::Failed: return "failed";
    case IngestStatus::Duplicate: return "duplicate";
    case IngestStatus::Discarded: return "discarded";
    case IngestStatus::Partial: return "partial";
    case IngestStatus::Validated: return "validated";
  }
  return "";
}

std::optional<IngestStatus> parse_ingest_status(std::string_view name) {
  for (const auto status : kIngestStatuses) {
    if (ingest_status_name(status) == name) return status;
  }
  return std::nullopt;
}

std::string ingest_status_names() {
  std::string names;
  for (const auto status : kIngestStatuses)
    names += (names.empty() ? "" : ", ") + std::string(ingest_status_name(status));
  return names;
}

bool is_final(IngestStatus status) {
  return status != IngestStatus::Queued && status != IngestStatus::Processing && status != IngestStatus::Held;
}

std::optional<std::string> transition_refused(IngestStatus from, IngestStatus to) {
  const auto refused = [&](std::string why) {
    return "an ingest that is " + std::string(ingest_status_name(from)) + " cannot become " +
           std::string(ingest_status_name(to)) + ": " + why;
  };
  if (is_final(from)) return refused("it has concluded already");
  switch (to) {
    case IngestStatus::Queued: return refused("nothing goes back to the queue");
    case IngestStatus::Partial: return refused("partial uploads are recorded as such, never concluded so");
    case IngestStatus::Processing:
      if (from == IngestStatus::Queued) return std::nullopt;
      return refused("only a queued ingest starts");
    case IngestStatus::Held:
    case IngestStatus::Duplicate:
    case IngestStatus::Validated:
      if (from == IngestStatus::Held) return refused("a held ingest is released or discarded");
      return std::nullopt;
    case IngestStatus::Discarded:
      if (from == IngestStatus::Held) return std::nullopt;
      return refused("only a held ingest is discarded");
    case IngestStatus::Applied:
    case IngestStatus::Rejected:
    case IngestStatus::Failed: return std::nullopt;
  }
  return refused("unknown status");
}

}  // namespace intake::store
