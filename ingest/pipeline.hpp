#pragma once
// The ingest pipeline: journal a completed upload (row + atomic move into the archive), then apply it
// with the tenant's profile in one SQLite transaction with its final status and its queued report.
// Exactly once: a final ingest is never processed again; a crash before the commit re-runs it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tl/expected.hpp>
#include <vector>

#include "store/ingest_status.hpp"

namespace intake::store {
class Database;
}

namespace intake::ingest {

class PasswordHasher;

struct IngestSettings {
  std::filesystem::path data_dir;
  unsigned max_invalid_rows_percent = 10;
  unsigned max_removal_percent = 25;
  // Told what went wrong with an ingest: a failed attempt (the queue tries it again), a conclusion
  // the state machine refused, passwords that could not be blanked.
  std::function<void(const std::string& id, const std::string& error)> on_error;
  // Told that an ingest concluded (or was held) and its report and notices wait in the outbox: the
  // server wakes its dispatcher, a CLI command delivers the report file itself.
  std::function<void(const std::string& id)> on_concluded;
  // Hashes the passwords of files that have them, on its own bounded pool; none: one thread at the
  // minimum cost, made when a file needs it (tools, tests).
  std::shared_ptr<PasswordHasher> password_hasher;
  // Who concludes ingests, in the audit trail: the server, or the person releasing a held file.
  std::string actor = "intake serve";
};

// Blanks the passwords in the archived copies of concluded ingests that still hold them (a crash can
// come between a conclusion and its blanking): run at start. Returns how many it blanked; failures go
// to on_error and are tried again at the next start.
std::size_t redact_concluded_archives(const IngestSettings& settings, store::Database& db);

struct UploadToJournal {
  std::string tenant, file_name;
  std::filesystem::path path;  // where the upload is now (the tenant's upload/)
  std::uint64_t size = 0;
  std::string client_ip, key_fingerprint, session_id;
  std::string sha256;  // of the bytes received; journalled, and checked again before the file is applied
};

// Journals an upload: returns its ingest id once the row is committed and the file is in the archive.
// On error nothing was acknowledged: the file is still where it was.
tl::expected<std::string, std::string> journal_upload(const IngestSettings& settings,
                                                      const UploadToJournal& upload);

// Records an upload that will not complete (status `partial`), so support can see it.
void journal_partial(const IngestSettings& settings, const UploadToJournal& upload,
                     const std::string& reason);

enum class Release { No, Yes };

// Runs one ingest to its final status (or `held`). `Release::Yes` applies a held snapshot past the
// mass-removal guard. Returns the final status, or why it could not run.
tl::expected<store::IngestStatus, std::string> process_ingest(const IngestSettings& settings,
                                                              const std::string& id,
                                                              Release release = Release::No);
// The same on a connection the caller keeps (the queue's workers keep one each).
tl::expected<store::IngestStatus, std::string> process_ingest(const IngestSettings& settings,
                                                              store::Database& db, const std::string& id,
                                                              Release release = Release::No);

}  // namespace intake::ingest
