#pragma once
// The ingest journal: one row per completed (or abandoned) upload, from `queued` to a final status.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "store/ingest_status.hpp"

namespace intake::store {

class Database;

struct IngestCounts {
  std::int64_t rows = 0, added = 0, updated = 0, removed = 0, unchanged = 0, skipped = 0, invalid = 0;
};

struct IngestRecord {
  std::string id;
  std::int64_t tenant_id = 0;
  std::string tenant;
  std::string file_name;
  std::string kind;
  std::int64_t size = 0;
  std::optional<std::string> sha256;
  std::optional<std::string> archive_path;
  std::string client_ip, key_fingerprint, session_id;
  std::string received_at;
  IngestStatus status = IngestStatus::Queued;
  std::string status_message;
  std::optional<std::string> started_at, finished_at;
  IngestCounts counts;
  std::optional<std::string> report;  // JSON
};

struct RowError {
  std::int64_t line = 0;
  std::string column;
  std::string message;
};

// One change an ingest made (or, held, would make) to the directory.
struct ChangeRecord {
  std::string entity;  // user, group, membership
  std::string key, operation;
  std::string fields_json;  // {"field": [before, after], …}
  std::int64_t line = 0;
};

// An archived file that held passwords, concluded, whose copy is still to be blanked.
struct PendingRedaction {
  std::string id, archive_path;
  std::string redaction;  // what to blank, as the ingest recorded it (ingest/archive_redaction.hpp)
};

// What an ingest's status change records: its message, and when it concludes (or is held) its counts,
// report and row errors.
struct StatusChange {
  std::string message;
  IngestCounts counts;
  std::optional<std::string> report;  // JSON
  std::vector<RowError> errors;
};

struct IngestFilter {
  std::optional<std::string> tenant, since, until, file_name;
  std::optional<IngestStatus> status;
  std::int64_t limit = 50;
};

class IngestRepository {
 public:
  explicit IngestRepository(Database& db) : db_(db) {}

  void insert(const IngestRecord& record);  // id, tenant_id, file_name, size, origin, received_at, status
  std::optional<IngestRecord> find(const std::string& id);
  std::vector<IngestRecord> list(const IngestFilter& filter);  // newest first
  std::vector<IngestRecord> unfinished();                      // queued or processing, oldest first
  // The one way a journalled ingest's status changes (ingest_status.hpp), inside the caller's
  // transaction and with its audit row there (`actor`, `action` such as "ingest.conclude"). Refused, with
  // the reason and nothing written, when the state machine does not allow the move — say another process
  // concluded it first: the caller then rolls its transaction back.
  tl::expected<void, std::string> change_status(const std::string& id, IngestStatus to,
                                                const StatusChange& change, std::string_view actor,
                                                std::string_view action);
  // What support should know about an ingest still under way (a failed attempt and the next one).
  void note(const std::string& id, const std::string& message);
  // Records the hash; a queued ingest becomes `processing` (a held one stays held until released).
  void start(const std::string& id, const std::string& sha256);
  std::vector<RowError> errors(const std::string& id);
  // The profile (name and sha256 of its definition) an ingest is applied with.
  void set_profile(const std::string& id, const std::string& profile, const std::string& sha256);
  // Where the file's passwords are (the ingest's redaction text), recorded as it concludes; the
  // archived copy is blanked once it has concluded, and marked so.
  void set_redaction(const std::string& id, const std::string& redaction);
  std::vector<PendingRedaction> pending_redactions();  // concluded (final) and not yet blanked
  void mark_redacted(const std::string& id);
  // The change list, written as the plan is made (inside the caller's transaction).
  void clear_changes(const std::string& id);
  void add_change(const std::string& id, std::int64_t seq, const ChangeRecord& change);
  std::vector<ChangeRecord> changes(const std::string& id, std::int64_t limit = 1000);
  // The sha256 of the tenant's last applied file of this kind (duplicate detection).
  std::optional<std::string> last_applied_sha256(std::int64_t tenant_id, const std::string& kind);
  // An ingest of the same tenant and kind applied after `id` (a held snapshot must not undo it).
  std::optional<std::string> applied_after(std::int64_t tenant_id, const std::string& kind,
                                           const std::string& id);

 private:
  Database& db_;
};

}  // namespace intake::store
