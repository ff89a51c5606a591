#pragma once
// Ingest reports: the JSON kept in the database, the text the tenant reads in reports/, and the
// RFC 5322 message written to the outbox. Pure.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/plan.hpp"
#include "store/ingests.hpp"

namespace intake::ingest {

struct ReportInputs {
  std::string id, tenant, file_name, received_at, status, message, sha256, profile, profile_sha256;
  std::string file_kind;  // which of the profile's files it was read as, and what such a file does
  std::size_t rows = 0, added = 0, updated = 0, removed = 0, unchanged = 0, skipped = 0, invalid = 0;
  struct Issue {
    std::size_t line;
    std::string column, message;
  };
  std::vector<Issue> errors;  // at most 1000
  std::vector<std::string> ignored_columns;
  nlohmann::json entities = nlohmann::json::object();  // per entity, per operation: {"users": {"added": 3}}
  std::vector<Change> changes;                         // the first 1,000, in line order
  std::string results_file;                            // beside the report in reports/; empty: none
  double queued_seconds = 0, processing_seconds = 0;
};

// The counts of a planned file (rows, users and memberships per operation), and its changes in line
// order: the ingest and `intake profile check` report a plan the same way.
void add_plan_counts(ReportInputs& report, const ParsedFile& parsed, const Plan& plan);
// "groups.csv: group operations (each row creates, renames or deletes a group)".
std::string file_kind(const FileSpec& spec);

nlohmann::json report_json(const ReportInputs& inputs);
// An ingest's report as it stands: the JSON its conclusion stored, with the journal's current status
// and message (a held upload may have been released or discarded since), or one made from the journal
// when it concluded before it was read (a missing archive, a file failed the same way three times).
nlohmann::json current_report(const store::IngestRecord& record);
std::string render_report_text(const nlohmann::json& report);
// The subject of a report's e-mail: "[Intake] users.csv: applied (3 added, 0 updated, …)".
std::string report_email_subject(const nlohmann::json& report);
// "20261121T221500.123Z-0000-3f9a_livesafe_snapshot.csv.txt": named by the ingest id (unique, and in
// upload order), safe on every file system.
std::string report_file_name(const std::string& ingest_id, const std::string& file_name);
// "20261121T221500.123Z-0000-3f9a_livesafe_snapshot.csv.results.csv": every row's result, beside it.
std::string results_file_name(const std::string& ingest_id, const std::string& file_name);

}  // namespace intake::ingest
