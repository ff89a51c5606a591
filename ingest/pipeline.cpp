#include "ingest/pipeline.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <array>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstring>
#include <fstream>
#include <limits>
#include <thread>
#include <unordered_map>

#include "base/durable_file.hpp"
#include "base/hex.hpp"
#include "base/sha256.hpp"
#include "base/text.hpp"
#include "base/unique_fd.hpp"
#include "base/utc_time.hpp"
#include "ingest/archive_redaction.hpp"
#include "ingest/directory_plan.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/file_source.hpp"
#include "ingest/image.hpp"
#include "ingest/password_hasher.hpp"
#include "ingest/plan.hpp"
#include "ingest/profile.hpp"
#include "ingest/profile_catalog.hpp"
#include "ingest/report.hpp"
#include "ingest/results.hpp"
#include "store/directory.hpp"
#include "store/ingests.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"

namespace intake::ingest {

namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

namespace {

std::optional<std::string> sha256_of(const fs::path& path) {
  const base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  return base::sha256_of_fd(fd.get());
}

// Sortable and unique: the receive time to the millisecond, a counter within the millisecond, and a
// random suffix (two processes never share an id).
std::string new_ingest_id(Clock::time_point now) {
  static std::mutex mutex;
  static std::int64_t last_ms = 0;
  static int sequence = 0;
  std::lock_guard lock(mutex);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  if (ms <= last_ms) {
    ms = last_ms;
    ++sequence;
  } else {
    sequence = 0;
  }
  last_ms = ms;
  std::string stamp = base::format_stored_time(Clock::time_point(std::chrono::milliseconds(ms)));
  stamp.erase(std::remove_if(stamp.begin(), stamp.end(), [](char c) { return c == '-' || c == ':'; }),
              stamp.end());
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%04d", sequence % 10000);
  return stamp + "-" + suffix + "-" + base::random_hex(2).value_or("0000");
}

constexpr std::size_t kChangesInReport = 1000;

// {"field": ["before", "after"], …}: written for every change of a million-row file, so by hand
// rather than through a JSON document per change (values are UTF-8 the file parser checked).
std::string change_fields_json(const Change& change) {
  std::string out = "{";
  const auto quoted = [&out](std::string_view text) {
    out += '"';
    for (const char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
        out += escaped;
      } else {
        out += c;
      }
    }
    out += '"';
  };
  for (const auto& [name, values] : change.fields) {
    if (out.size() > 1) out += ',';
    quoted(name);
    out += ":[";
    quoted(values.first);
    out += ',';
    quoted(values.second);
    out += ']';
  }
  return out + "}";
}

double seconds_between(const std::optional<std::string>& from, const std::optional<std::string>& to) {
  if (!from || !to) return 0;
  const auto a = base::parse_stored_time(*from), b = base::parse_stored_time(*to);
  if (!a || !b) return 0;
  return std::chrono::duration<double>(*b - *a).count();
}

// Blanks one concluded ingest's archived passwords and marks it done; a failure is told and left for
// the next start.
bool blank_archive(const IngestSettings& settings, store::IngestRepository& ingests, const std::string& id,
                   const fs::path& archive, const Redaction& redaction) {
  if (const auto done = redact_archive(archive, redaction); !done) {
    if (settings.on_error)
      settings.on_error(
          id, done.error() + " (tried again at the next start; the passwords stay on disk until then)");
    return false;
  }
  ingests.mark_redacted(id);
  return true;
}

}  // namespace

std::size_t redact_concluded_archives(const IngestSettings& settings, store::Database& db) {
  store::IngestRepository ingests(db);
  std::size_t blanked = 0;
  for (const auto& pending : ingests.pending_redactions()) {
    const auto redaction = parse_redaction(pending.redaction);
    if (!redaction) {
      if (settings.on_error)
        settings.on_error(pending.id, "its password column record is unreadable: " + pending.redaction);
      continue;
    }
    blanked += blank_archive(settings, ingests, pending.id, pending.archive_path, *redaction);
  }
  return blanked;
}

tl::expected<std::string, std::string> journal_upload(const IngestSettings& settings,
                                                      const UploadToJournal& upload) {
  const auto now = Clock::now();
  const std::string id = new_ingest_id(now);
  const std::string received_at = base::format_stored_time(now);
  const fs::path folder = settings.data_dir / "archive" / upload.tenant / received_at.substr(0, 4) /
                          received_at.substr(5, 2) / received_at.substr(8, 2);
  std::error_code ec;
  const bool created = fs::create_directories(folder, ec);
  if (ec) return tl::unexpected("cannot create the archive folder " + folder.string() + ": " + ec.message());
  if (created) {
    // New day folders must survive a power cut too: fsync each level into its parent.
    for (fs::path level = folder; level != settings.data_dir && level.has_parent_path();
         level = level.parent_path()) {
      base::fsync_directory(level.parent_path());
    }
  }
  const fs::path archived = folder / (id + "-" + upload.file_name);
  try {
    auto db = store::Database::open(settings.data_dir / "intake.db");
    const auto tenant = store::TenantRepository(db).find(upload.tenant);
    if (!tenant) return tl::unexpected("unknown tenant " + upload.tenant);
    store::IngestRecord record;
    record.id = id;
    record.tenant_id = tenant->id;
    record.file_name = upload.file_name;
    record.kind = upload.file_name;
    record.size = static_cast<std::int64_t>(upload.size);
    record.archive_path = archived.string();
    record.client_ip = upload.client_ip;
    record.key_fingerprint = upload.key_fingerprint;
    record.session_id = upload.session_id;
    record.received_at = received_at;
    if (!upload.sha256.empty()) record.sha256 = upload.sha256;
    record.status = store::IngestStatus::Queued;
    // The row first (committed, fsynced), then the move: a crash in between leaves a queued row
    // without its file, which resume marks failed while the file stays in upload/ unacknowledged.
    store::IngestRepository(db).insert(record);
    fs::rename(upload.path, archived, ec);
    if (ec) {
      // Nothing was acknowledged: the journal says why, and the file stays in upload/.
      store::Transaction transaction(db);
      if (store::IngestRepository(db).change_status(id, store::IngestStatus::Failed,
                                                    {"could not be archived: " + ec.message(), {}, {}, {}},
                                                    settings.actor, "ingest.conclude")) {
        transaction.commit();
        if (settings.on_concluded) settings.on_concluded(id);
      }
      return tl::unexpected("cannot move the upload into the archive: " + ec.message());
    }
  } catch (const store::DatabaseError& error) {
    return tl::unexpected(std::string("cannot record the upload: ") + error.what());
  }
  base::fsync_directory(folder);
  base::fsync_directory(upload.path.parent_path());
  return id;
}

void journal_partial(const IngestSettings& settings, const UploadToJournal& upload,
                     const std::string& reason) {
  try {
    auto db = store::Database::open(settings.data_dir / "intake.db");
    const auto tenant = store::TenantRepository(db).find(upload.tenant);
    if (!tenant) return;
    const auto now = Clock::now();
    store::IngestRecord record;
    record.id = new_ingest_id(now);
    record.tenant_id = tenant->id;
    record.file_name = upload.file_name;
    record.kind = upload.file_name;
    record.size = static_cast<std::int64_t>(upload.size);
    record.client_ip = upload.client_ip;
    record.key_fingerprint = upload.key_fingerprint;
    record.session_id = upload.session_id;
    record.received_at = base::format_stored_time(now);
    record.status = store::IngestStatus::Partial;
    record.status_message = reason + "; the partial file stays in upload/ for resume";
    store::IngestRepository(db).insert(record);
  } catch (const store::DatabaseError&) {
    // Best effort: a partial upload is information for support, never a reason to fail the session.
  }
}

tl::expected<store::IngestStatus, std::string> process_ingest(const IngestSettings& settings,
                                                              const std::string& id, Release release) {
  auto db = store::Database::open(settings.data_dir / "intake.db");
  return process_ingest(settings, db, id, release);
}

tl::expected<store::IngestStatus, std::string> process_ingest(const IngestSettings& settings,
                                                              store::Database& db, const std::string& id,
                                                              Release release) {
  using store::IngestStatus;
  store::IngestRepository ingests(db);
  auto record = ingests.find(id);
  if (!record) return tl::unexpected("no ingest " + id + "; `intake history` lists them");
  if (store::is_final(record->status)) return record->status;
  if (record->status == IngestStatus::Held && release == Release::No) return record->status;
  const auto tenant = store::TenantRepository(db).find(record->tenant);
  const auto started = Clock::now();

  ReportInputs report;
  report.id = id;
  report.tenant = record->tenant;
  report.file_name = record->file_name;
  report.received_at = record->received_at;
  // Concludes the ingest inside the caller's transaction, with its audit row; nullopt when the state
  // machine refuses (another process concluded it first): the caller must not commit.
  const auto finish = [&](IngestStatus status, const std::string& message,
                          const std::vector<RowIssue>& issues) -> std::optional<nlohmann::json> {
    report.status = store::ingest_status_name(status);
    report.message = message;
    report.errors.clear();
    for (const auto& issue : issues) report.errors.push_back({issue.line, issue.column, issue.message});
    report.queued_seconds = seconds_between(record->received_at, base::format_stored_time(started));
    report.processing_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const auto json = report_json(report);
    std::vector<store::RowError> errors;
    for (const auto& issue : issues) {
      errors.push_back({static_cast<std::int64_t>(issue.line), issue.column, issue.message});
    }
    const store::IngestCounts counts{
        static_cast<std::int64_t>(report.rows),      static_cast<std::int64_t>(report.added),
        static_cast<std::int64_t>(report.updated),   static_cast<std::int64_t>(report.removed),
        static_cast<std::int64_t>(report.unchanged), static_cast<std::int64_t>(report.skipped),
        static_cast<std::int64_t>(report.invalid)};
    const auto changed = ingests.change_status(
        id, status,
        {message, counts, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), errors},
        settings.actor, release == Release::Yes ? "ingest.release" : "ingest.conclude");
    if (!changed) {
      if (settings.on_error) settings.on_error(id, changed.error() + "; this attempt was rolled back");
      return std::nullopt;
    }
    return json;
  };
  const auto current_status = [&] { return ingests.find(id).value().status; };
  // What the results file lists, once the file has been read (and planned).
  const FileSpec* spec = nullptr;
  const ParsedFile* parsed_file = nullptr;
  static const Plan kNotPlanned;
  const Plan* plan_made = &kNotPlanned;
  // Where the file's passwords are, once it has been read with a spec that has a password column.
  std::optional<Redaction> redaction;
  fs::path archived_path;
  // Tells whoever delivers the outbox that a conclusion committed (its report and notices are queued).
  const auto committed = [&](store::Transaction& transaction) {
    transaction.commit();
    if (settings.on_concluded) settings.on_concluded(id);
  };
  // Concludes in `transaction` and commits; the report and its notices were queued with the status
  // (store/outbox.hpp). The per-row results file, when `results` says how to word it, is written
  // durably beforehand, for the report's delivery to put beside it in reports/.
  const auto conclude_in =
      [&](store::Transaction& transaction, IngestStatus status, const std::string& message,
          const std::vector<RowIssue>& issues,
          std::optional<ResultsOutcome> results = {}) -> tl::expected<IngestStatus, std::string> {
    if (results && spec && parsed_file) {
      report.results_file = results_file_name(id, record->file_name);
      const auto path = stored_results_path(settings.data_dir, tenant->name, report.results_file);
      std::error_code ec;
      fs::create_directories(path.parent_path(), ec);
      const auto written = base::write_file_atomically(
          path,
          [&, outcome = *results](const std::function<void(std::string_view)>& write) {
            write_results(*spec, *parsed_file, *plan_made, outcome, write);
          },
          base::Existing::Replace, base::Sync::Yes, 0640);
      // Thrown with the system's error: the queue waits out a full disk instead of failing the upload.
      if (!written) throw fs::filesystem_error("cannot write the results file", path, written.error().code);
    }
    const auto json = finish(status, message, issues);
    if (!json) return current_status();  // refused: the transaction rolls back, nothing is queued
    committed(transaction);
    const auto concluded = current_status();
    if (redaction && store::is_final(concluded))
      blank_archive(settings, ingests, id, archived_path, *redaction);
    return concluded;
  };

  if (!tenant || !record->archive_path || !fs::exists(*record->archive_path)) {
    store::Transaction transaction(db);
    if (finish(
            IngestStatus::Failed,
            "the archived file is missing: the server most likely stopped between recording the upload and "
            "archiving it, before the client was answered — look for the file in the tenant's upload/",
            {}))
      committed(transaction);
    return current_status();
  }
  const fs::path archived = *record->archive_path;
  archived_path = archived;
  const auto sha = sha256_of(archived);
  if (!sha) return tl::unexpected("cannot read " + archived.string());
  report.sha256 = *sha;
  if (record->sha256 && *record->sha256 != *sha) {
    // The archive is immutable once journalled: a file that changed since is never applied.
    report.sha256 = *record->sha256;
    if (settings.on_error) {
      settings.on_error(id, "the archived file " + archived.string() +
                                " changed after it was received (sha256 " + *record->sha256 +
                                " journalled, " + *sha + " now); not applied");
    }
    store::Transaction transaction(db);
    return conclude_in(transaction, IngestStatus::Failed,
                       "the archived file no longer matches what was received (sha256 " + *record->sha256 +
                           " at upload, " + *sha + " now): it was not applied; upload the file again",
                       {});
  }
  ingests.start(id, *sha);

  if (release == Release::No && ingests.last_applied_sha256(tenant->id, record->kind) == *sha) {
    store::Transaction transaction(db);
    return conclude_in(transaction, IngestStatus::Duplicate,
                       "identical to the last applied " + record->file_name + "; nothing changed", {});
  }

  // Built in or the operator's; a stored profile is shared, and kept alive here, while it is used.
  const auto found_profile = find_profile(db, tenant->profile);
  const Profile* profile = found_profile ? found_profile->get() : nullptr;
  spec = profile ? profile->file_for(record->file_name) : nullptr;
  if (!spec) {
    store::Transaction transaction(db);
    if (finish(IngestStatus::Failed,
               profile ? profile->no_rules_for(record->file_name)
                       : "tenant " + tenant->name + ": " + found_profile.error() +
                             "; set one with `intake tenant set " + tenant->name + " --profile NAME`",
               {}))
      committed(transaction);
    return current_status();
  }
  report.profile = profile->name;
  report.profile_sha256 = profile->sha256;
  report.file_kind = file_kind(*spec);
  ingests.set_profile(id, profile->name, profile->sha256);
  FileSource source(archived);
  CsvReader reader(source, spec->delimiter);
  // A row of any real profile takes more than 32 bytes; the estimate only reserves address space.
  // Every row problem is kept, for the results file; the report and the database keep the first 1,000.
  auto parsed = parse_file(reader, *spec,
                           {tenant->org_id, tenant->phone_region, std::numeric_limits<std::size_t>::max(),
                            static_cast<std::size_t>(record->size) / 32, tenant->roles});
  if (spec->column_of(TargetKind::Password)) {
    // Recorded at once: however the ingest concludes (here, or failed by the queue), its archived
    // passwords are blanked then.
    redaction = Redaction{parsed.secret_field, parsed.has_header, spec->delimiter};
    ingests.set_redaction(id, redaction_text(*redaction));
  }
  if (source.error()) {
    store::Transaction transaction(db);
    ingests.clear_changes(id);
    return conclude_in(transaction, IngestStatus::Failed,
                       "the archived file could not be read (" + *source.error() +
                           "); nothing was applied — upload the file again",
                       {});
  }
  parsed_file = &parsed;
  report.rows = parsed.records;
  report.invalid = parsed.invalid;
  report.ignored_columns = parsed.ignored_columns;

  if (parsed.rejection) {
    store::Transaction transaction(db);
    ingests.clear_changes(id);
    return conclude_in(transaction, IngestStatus::Rejected,
                       "the file was not applied: " + parsed.rejection->message, {*parsed.rejection});
  }
  const unsigned max_invalid = spec->max_invalid_percent.value_or(settings.max_invalid_rows_percent);
  const auto invalid_rejection = [&](std::size_t invalid) -> std::optional<std::string> {
    const auto too_many = too_many_invalid(invalid, parsed.records, max_invalid);
    if (!too_many) return std::nullopt;
    return *too_many + "; nothing was applied — fix the rows listed below and upload the file again";
  };
  if (const auto rejection = invalid_rejection(parsed.invalid)) {
    store::Transaction transaction(db);
    ingests.clear_changes(id);
    return conclude_in(transaction, IngestStatus::Rejected, *rejection, all_issues(parsed, kNotPlanned),
                       ResultsOutcome::NotApplied);
  }

  // Passwords are hashed before the write transaction (a 10,000-password file takes minutes) and only
  // when they can be applied.
  if (!parsed.secrets.empty() && tenant->mode == store::TenantMode::Apply) {
    auto hasher = settings.password_hasher;
    if (!hasher) hasher = std::make_shared<PasswordHasher>(1, base::PasswordHashCost{});
    if (const auto hashed = hasher->hash(parsed.secrets); !hashed)
      return tl::unexpected("cannot hash the file's passwords: " + hashed.error());
  }

  // Everything from reading the directory to the final status happens under one write transaction:
  // another process (a release, a second server) can neither interleave nor conclude it twice.
  store::Transaction transaction(db);
  const auto status_now = current_status();
  const bool expected_status = release == Release::Yes ? status_now == IngestStatus::Held
                                                       : (status_now == IngestStatus::Queued ||
                                                          status_now == IngestStatus::Processing);
  if (!expected_status) {
    if (release == Release::Yes)
      return tl::unexpected("upload " + id + " is " + std::string(store::ingest_status_name(status_now)) +
                            " now, not held");
    return status_now;
  }
  store::DirectoryRepository directory(db);
  // The change list is written as the plan is made (a held file keeps what it would change).
  ingests.clear_changes(id);
  std::int64_t change_seq = 0;
  const auto record_change = [&](const Change& change) {
    ingests.add_change(id, ++change_seq,
                       {std::string(change.entity), change.key, change.operation, change_fields_json(change),
                        static_cast<std::int64_t>(change.line)});
    if (report.changes.size() < kChangesInReport) report.changes.push_back(change);
  };
  const auto plan = plan_against_directory(directory, tenant->id, record->file_name, profile->sha256, *spec,
                                           parsed, tenant->auto_create_users, record_change);
  plan_made = &plan;
  add_plan_counts(report, parsed, plan);
  const auto issues = all_issues(parsed, plan);

  if (const auto rejection = plan.invalid_count > 0 ? invalid_rejection(report.invalid) : std::nullopt) {
    ingests.clear_changes(id);
    report.changes.clear();
    return conclude_in(transaction, IngestStatus::Rejected, *rejection, issues, ResultsOutcome::NotApplied);
  }
  const unsigned max_removal = spec->max_removal_percent.value_or(settings.max_removal_percent);
  if (tenant->mode == store::TenantMode::Validate) {
    // Onboarding: the customer learns what the file would do; the directory is not touched.
    std::string message =
        "validation only: nothing was applied (the tenant is in validation mode); the changes listed are "
        "what this file would make once sync is enabled";
    if (needs_hold(*spec, plan, max_removal)) {
      message += ". Applied, it would be held for support: it removes " +
                 std::to_string(plan.removals.size()) + " of " + std::to_string(plan.active_synced) +
                 " users (more than " + std::to_string(max_removal) + "%)";
    }
    return conclude_in(transaction, IngestStatus::Validated, message, issues, ResultsOutcome::Proposed);
  }
  // Files of a tenant apply in order; an older snapshot never lands on top of a newer one.
  if (const auto newer = ingests.applied_after(tenant->id, record->kind, id)) {
    if (release == Release::Yes) {
      return tl::unexpected(
          "a newer " + record->file_name + " (" + *newer +
          ") has been applied since; releasing this older snapshot would undo it — discard it "
          "instead");
    }
    ingests.clear_changes(id);
    report.changes.clear();
    return conclude_in(transaction, IngestStatus::Failed,
                       "a newer " + record->file_name + " (" + *newer +
                           ") was applied first; this older file was not applied",
                       {});
  }
  if (release == Release::No && needs_hold(*spec, plan, max_removal)) {
    const std::string message =
        "held: it would remove " + std::to_string(plan.removals.size()) + " of " +
        std::to_string(plan.active_synced) + " users (more than " + std::to_string(max_removal) +
        "%); support must release it (intake ingest release " + id + ") or discard it";
    return conclude_in(transaction, IngestStatus::Held, message, issues, ResultsOutcome::Proposed);
  }

  // The directory changes and the status `applied` commit together, or not at all.
  // A contact's place in the list is its column's; the first column of a kind is the primary one.
  std::vector<bool> primary_contact(spec->slots.size(), false);
  for (const auto kind : {ContactKind::Email, ContactKind::Phone}) {
    const auto first = std::find_if(spec->slots.begin(), spec->slots.end(), [&](const Target& target) {
      return target.kind == TargetKind::Contact && target.contact == kind;
    });
    if (first != spec->slots.end())
      primary_contact[static_cast<std::size_t>(first - spec->slots.begin())] = true;
  }
  std::size_t groups_created = 0;
  store::UserWrite write;
  std::unordered_map<std::string_view, std::int64_t> added_ids;  // membership_reset's stub users
  for (const auto& planned : plan.writes) {
    const auto values = slot_values(planned.row->image, spec->slots.size());
    const bool added = planned.kind == WriteKind::Add;
    write.id = planned.id;
    write.external_id = planned.row->key;
    write.key_changed = planned.kind == WriteKind::Adopt;
    write.origin_file = record->file_name;
    write.image_digest = planned.digest;
    // A file's password is an initial one: it is set when the user is created (or comes back), never
    // over a password the user may have changed since.
    write.password_hash.reset();
    if (const auto* secret = parsed.secret_of(*planned.row);
        secret && !secret->hash.empty() && (added || planned.kind == WriteKind::Comeback))
      write.password_hash = secret->hash;
    write.fields = {};
    write.contacts.clear();
    write.attributes.clear();
    std::optional<std::vector<std::string_view>> file_groups;
    for (std::size_t slot = 0; slot < spec->slots.size(); ++slot) {
      // Only what the file manages and what changed (for a new user: what it has).
      if (!parsed.managed[slot] || !planned.changed(slot) || (added && values[slot].empty())) continue;
      const auto& target = spec->slots[slot];
      switch (target.kind) {
        case TargetKind::Field: write.fields[static_cast<std::size_t>(target.field)] = values[slot]; break;
        case TargetKind::Contact:
          write.contacts.push_back(
              {target.contact, target.name, values[slot], static_cast<int>(slot), primary_contact[slot]});
          break;
        case TargetKind::Attribute: write.attributes.emplace_back(target.name, values[slot]); break;
        case TargetKind::Groups: file_groups = split_set(values[slot]); break;
        case TargetKind::Key:
        case TargetKind::OrgId:
        case TargetKind::Skip:
        case TargetKind::Operation:
        case TargetKind::GroupName:
        case TargetKind::Password:
        case TargetKind::ListItem: break;
      }
    }
    const auto user_id = directory.write_user(tenant->id, write, id);
    if (added && !plan.membership_writes.empty()) added_ids.emplace(planned.row->key, user_id);
    if (file_groups) {
      groups_created += directory.set_memberships(tenant->id, user_id, record->file_name, *file_groups,
                                                  !spec->groups_must_exist, id);
    }
  }
  for (const auto& removal : plan.removals) directory.remove_user(removal.id, id);
  for (const auto& [user_id, digest] : plan.digests_to_confirm)
    directory.confirm_image_digest(user_id, digest);
  for (const auto& group : plan.group_writes) {
    if (group.kind == GroupWriteKind::Delete) {
      directory.remove_group(tenant->id, group.id, id);
    } else {
      directory.put_group(tenant->id, group.id, group.name, record->file_name, id);
    }
  }
  for (const auto& membership : plan.membership_writes) {
    const auto user_id = membership.user_id != 0 ? membership.user_id : added_ids.at(membership.user_key);
    directory.set_membership(tenant->id, membership.group, user_id, record->file_name, membership.add);
  }
  report.entities["groups"]["added"] = plan.groups_added + groups_created;
  return conclude_in(transaction, IngestStatus::Applied,
                     release == Release::Yes ? "released by support past the mass-removal guard" : "", issues,
                     ResultsOutcome::Applied);
}

}  // namespace intake::ingest
