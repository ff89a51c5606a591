#pragma once
// The ingest lifecycle as one state machine. Pure: which statuses there are, which are final, and which
// moves between them are allowed; the journal (ingests.hpp) refuses any other move.
//
//   queued ──> processing ──> applied | rejected | failed | duplicate | validated
//     │            └────────> held ──> applied (released) | discarded | rejected | failed
//     └──> failed (never archived, or the archive vanished)
//   partial: recorded final at once (an upload that never completed)
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace intake::store {

enum class IngestStatus {
  Queued,
  Processing,
  Held,
  Applied,
  Rejected,
  Failed,
  Duplicate,
  Discarded,
  Partial,
  Validated
};

inline constexpr std::array kIngestStatuses{
    IngestStatus::Queued,   IngestStatus::Processing, IngestStatus::Held,      IngestStatus::Applied,
    IngestStatus::Rejected, IngestStatus::Failed,     IngestStatus::Duplicate, IngestStatus::Discarded,
    IngestStatus::Partial,  IngestStatus::Validated};

// As stored and shown: "queued", "processing", … (the schema's CHECK lists the same words).
std::string_view ingest_status_name(IngestStatus status);
std::optional<IngestStatus> parse_ingest_status(std::string_view name);
// "queued, processing, held, …" for messages.
std::string ingest_status_names();

// A final ingest is never processed again.
bool is_final(IngestStatus status);

// Why an ingest in `from` cannot become `to` ("… is applied already"), or nullopt when it can.
std::optional<std::string> transition_refused(IngestStatus from, IngestStatus to);

}  // namespace intake::store
