#include "store/ingests.hpp"

#include <nlohmann/json.hpp>

#include "store/audit.hpp"
#include "store/errors.hpp"
#include "store/outbox.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

const std::string kSelect =
    "SELECT i.id, i.tenant_id, t.name, i.file_name, i.kind, i.size, i.sha256, i.archive_path, i.client_ip, "
    "i.key_fingerprint, i.session_id, i.received_at, i.status, i.status_message, i.started_at, "
    "i.finished_at, "
    "i.rows_total, i.rows_added, i.rows_updated, i.rows_removed, i.rows_unchanged, i.rows_skipped, "
    "i.rows_invalid, "
    "i.report FROM ingests i JOIN tenants t ON t.id = i.tenant_id ";

IngestRecord row_to_ingest(const Statement& row) {
  IngestRecord r;
  r.id = row.text(0);
  r.tenant_id = row.integer(1);
  r.tenant = row.text(2);
  r.file_name = row.text(3);
  r.kind = row.text(4);
  r.size = row.integer(5);
  r.sha256 = row.optional_text(6);
  r.archive_path = row.optional_text(7);
  r.client_ip = row.text(8);
  r.key_fingerprint = row.text(9);
  r.session_id = row.text(10);
  r.received_at = row.text(11);
  r.status = parse_ingest_status(row.text(12)).value_or(IngestStatus::Failed);
  r.status_message = row.text(13);
  r.started_at = row.optional_text(14);
  r.finished_at = row.optional_text(15);
  r.counts = {row.integer(16), row.integer(17), row.integer(18), row.integer(19),
              row.integer(20), row.integer(21), row.integer(22)};
  r.report = row.optional_text(23);
  return r;
}

// "('queued', 'processing')": statuses for an SQL IN, spelled by the enum (the schema's CHECK has the
// same words).
std::string sql_statuses(bool (*keep)(IngestStatus)) {
  std::string list;
  for (const auto status : kIngestStatuses) {
    if (keep(status)) list += (list.empty() ? "('" : ", '") + std::string(ingest_status_name(status)) + "'";
  }
  return list + ")";
}

bool under_way(IngestStatus status) {
  return status == IngestStatus::Queued || status == IngestStatus::Processing;
}

}  // namespace

void IngestRepository::insert(const IngestRecord& r) {
  db_.prepare(
         "INSERT INTO ingests (id, tenant_id, file_name, kind, size, archive_path, client_ip, "
         "key_fingerprint, session_id, received_at, status, status_message, sha256) VALUES (?1, ?2, ?3, ?4, "
         "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
      .bind(1, r.id)
      .bind(2, r.tenant_id)
      .bind(3, r.file_name)
      .bind(4, r.kind)
      .bind(5, r.size)
      .bind_optional(6, r.archive_path)
      .bind(7, r.client_ip)
      .bind(8, r.key_fingerprint)
      .bind(9, r.session_id)
      .bind(10, r.received_at)
      .bind(11, ingest_status_name(r.status))
      .bind(12, r.status_message)
      .bind_optional(13, r.sha256)
      .run();
}

std::optional<IngestRecord> IngestRepository::find(const std::string& id) {
  auto select = db_.prepare(kSelect + "WHERE i.id = ?1");
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  return row_to_ingest(select);
}

std::vector<IngestRecord> IngestRepository::list(const IngestFilter& f) {
  auto select = db_.prepare(kSelect +
                            "WHERE (?1 IS NULL OR t.name = ?1) AND (?2 IS NULL OR i.status = ?2) AND "
                            "(?3 IS NULL OR i.received_at >= ?3) AND (?4 IS NULL OR i.received_at < ?4) AND "
                            "(?5 IS NULL OR i.file_name = ?5) ORDER BY i.id DESC LIMIT ?6");
  const auto status = f.status ? std::optional<std::string>(ingest_status_name(*f.status)) : std::nullopt;
  select.bind_optional(1, f.tenant)
      .bind_optional(2, status)
      .bind_optional(3, f.since)
      .bind_optional(4, f.until)
      .bind_optional(5, f.file_name)
      .bind(6, f.limit);
  std::vector<IngestRecord> out;
  while (select.step()) out.push_back(row_to_ingest(select));
  return out;
}

std::vector<IngestRecord> IngestRepository::unfinished() {
  static const auto kUnderWay = sql_statuses(under_way);
  auto select = db_.prepare(kSelect + "WHERE i.status IN " + kUnderWay + " ORDER BY i.id");
  std::vector<IngestRecord> out;
  while (select.step()) out.push_back(row_to_ingest(select));
  return out;
}

tl::expected<void, std::string> IngestRepository::change_status(const std::string& id, IngestStatus to,
                                                                const StatusChange& change,
                                                                std::string_view actor,
                                                                std::string_view action) {
  const auto record = find(id);
  if (!record) return tl::unexpected("no ingest " + id);
  if (auto refused = transition_refused(record->status, to))
    return tl::unexpected("upload " + id + ": " + *refused);
  // The guard repeats the status read: the row cannot have moved in between inside one transaction, and
  // a caller outside one still never overwrites another's conclusion.
  db_.prepare(
         std::string(
             "UPDATE ingests SET status = ?2, status_message = ?3, finished_at = CASE WHEN ?4 THEN ") +
         kSqlNow +
         " ELSE finished_at END, rows_total = ?5, rows_added = ?6, rows_updated = ?7, rows_removed = ?8, "
         "rows_unchanged = ?9, rows_skipped = ?10, rows_invalid = ?11, report = COALESCE(?12, report) WHERE "
         "id "
         "= ?1 AND status = ?13")
      .bind(1, id)
      .bind(2, ingest_status_name(to))
      .bind(3, change.message)
      .bind(4, std::int64_t{is_final(to) || to == IngestStatus::Held})
      .bind(5, change.counts.rows)
      .bind(6, change.counts.added)
      .bind(7, change.counts.updated)
      .bind(8, change.counts.removed)
      .bind(9, change.counts.unchanged)
      .bind(10, change.counts.skipped)
      .bind(11, change.counts.invalid)
      .bind_optional(12, change.report)
      .bind(13, ingest_status_name(record->status))
      .run();
  if (db_.changes() == 0) return tl::unexpected("upload " + id + " changed status while being concluded");
  db_.prepare("DELETE FROM ingest_row_errors WHERE ingest_id = ?1").bind(1, id).run();
  auto insert = db_.prepare(
      "INSERT INTO ingest_row_errors (ingest_id, seq, line, column_name, message) VALUES (?1, ?2, ?3, ?4, "
      "?5)");
  std::int64_t seq = 0;
  for (const auto& error : change.errors) {
    insert.bind(1, id).bind(2, ++seq).bind(3, error.line).bind(4, error.column).bind(5, error.message).run();
    insert.reset();
  }
  const nlohmann::json details{{"id", id},
                               {"file", record->file_name},
                               {"from", ingest_status_name(record->status)},
                               {"status", ingest_status_name(to)},
                               {"message", change.message}};
  AuditLog(db_).record(std::string(actor), std::string(action), record->tenant,
                       details.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  // Its report and notices, queued in this same transaction: committed with the status, or not at all.
  if (is_final(to) || to == IngestStatus::Held) {
    // The report as it stands at this event, for the hooks: stable across their retries, whatever
    // happens to the ingest later (a held file released).
    auto report =
        nlohmann::json::parse(change.report.value_or(record->report.value_or("{}")), nullptr, false);
    if (!report.is_object()) report = nlohmann::json::object();
    report["status"] = ingest_status_name(to);
    report["message"] = change.message;
    OutboxRepository(db_).enqueue_for(id, record->tenant_id, to,
                                      report.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  return {};
}

void IngestRepository::note(const std::string& id, const std::string& message) {
  static const auto kUnderWay = sql_statuses(under_way);
  db_.prepare("UPDATE ingests SET status_message = ?2 WHERE id = ?1 AND status IN " + kUnderWay)
      .bind(1, id)
      .bind(2, message)
      .run();
}

void IngestRepository::start(const std::string& id, const std::string& sha256) {
  db_.prepare(std::string(
                  "UPDATE ingests SET status = CASE WHEN status = ?3 THEN ?4 ELSE status END, sha256 = ?2, "
                  "started_at = ") +
              kSqlNow + " WHERE id = ?1")
      .bind(1, id)
      .bind(2, sha256)
      .bind(3, ingest_status_name(IngestStatus::Queued))
      .bind(4, ingest_status_name(IngestStatus::Processing))
      .run();
}

void IngestRepository::set_profile(const std::string& id, const std::string& profile,
                                   const std::string& sha256) {
  db_.prepare("UPDATE ingests SET profile = ?2, profile_sha256 = ?3 WHERE id = ?1")
      .bind(1, id)
      .bind(2, profile)
      .bind(3, sha256)
      .run();
}

void IngestRepository::set_redaction(const std::string& id, const std::string& redaction) {
  db_.prepare("UPDATE ingests SET secret_field = ?2 WHERE id = ?1").bind(1, id).bind(2, redaction).run();
}

std::vector<PendingRedaction> IngestRepository::pending_redactions() {
  static const auto kFinal = sql_statuses(is_final);
  auto select = db_.prepare(
      "SELECT id, archive_path, secret_field FROM ingests WHERE secret_field IS NOT NULL AND "
      "archive_redacted_at "
      "IS NULL AND archive_path IS NOT NULL AND status IN " +
      kFinal + " ORDER BY id");
  std::vector<PendingRedaction> out;
  while (select.step()) out.push_back({select.text(0), select.text(1), select.text(2)});
  return out;
}

void IngestRepository::mark_redacted(const std::string& id) {
  db_.prepare(std::string("UPDATE ingests SET archive_redacted_at = ") + kSqlNow + " WHERE id = ?1")
      .bind(1, id)
      .run();
}

void IngestRepository::clear_changes(const std::string& id) {
  db_.prepare("DELETE FROM ingest_changes WHERE ingest_id = ?1").bind(1, id).run();
}

void IngestRepository::add_change(const std::string& id, std::int64_t seq, const ChangeRecord& change) {
  db_.prepare(
         "INSERT INTO ingest_changes (ingest_id, seq, entity, key, operation, fields, line) "
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
      .bind(1, id)
      .bind(2, seq)
      .bind(3, change.entity)
      .bind(4, change.key)
      .bind(5, change.operation)
      .bind(6, change.fields_json)
      .bind(7, change.line)
      .run();
}

std::vector<ChangeRecord> IngestRepository::changes(const std::string& id, std::int64_t limit) {
  auto select = db_.prepare(
      "SELECT entity, key, operation, fields, line FROM ingest_changes WHERE ingest_id = ?1 ORDER BY seq "
      "LIMIT ?2");
  select.bind(1, id).bind(2, limit);
  std::vector<ChangeRecord> out;
  while (select.step())
    out.push_back({select.text(0), select.text(1), select.text(2), select.text(3), select.integer(4)});
  return out;
}

std::vector<RowError> IngestRepository::errors(const std::string& id) {
  auto select = db_.prepare(
      "SELECT line, column_name, message FROM ingest_row_errors WHERE ingest_id = ?1 ORDER BY seq");
  select.bind(1, id);
  std::vector<RowError> out;
  while (select.step()) out.push_back({select.integer(0), select.text(1), select.text(2)});
  return out;
}

std::optional<std::string> IngestRepository::last_applied_sha256(std::int64_t tenant_id,
                                                                 const std::string& kind) {
  auto select = db_.prepare(
      "SELECT sha256 FROM ingests WHERE tenant_id = ?1 AND kind = ?2 AND status = ?3 ORDER BY id DESC LIMIT "
      "1");
  select.bind(1, tenant_id).bind(2, kind).bind(3, ingest_status_name(IngestStatus::Applied));
  if (!select.step()) return std::nullopt;
  return select.optional_text(0);
}

std::optional<std::string> IngestRepository::applied_after(std::int64_t tenant_id, const std::string& kind,
                                                           const std::string& id) {
  auto select = db_.prepare(
      "SELECT id FROM ingests WHERE tenant_id = ?1 AND kind = ?2 AND status = ?4 AND id > ?3 ORDER BY id "
      "LIMIT 1");
  select.bind(1, tenant_id).bind(2, kind).bind(3, id).bind(4, ingest_status_name(IngestStatus::Applied));
  if (!select.step()) return std::nullopt;
  return select.text(0);
}

}  // namespace intake::store
