#include "store/migrations.hpp"

#include <array>
#include <string>

#include "store/sqlite.hpp"

namespace intake::store {
namespace {

// Version 1: tenants and keys (onboarding), the user/group directory and ingests (filled by the
// ingest work), and the audit trail.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE tenants (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,           -- the SSH user name
  org_id      TEXT NOT NULL,
  profile     TEXT NOT NULL,
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);

CREATE TABLE tenant_file_names (              -- overrides the profile's file names when present
  tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  file_name   TEXT NOT NULL,
  PRIMARY KEY (tenant_id, file_name)
);

CREATE TABLE tenant_report_emails (
  tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email       TEXT NOT NULL,
  PRIMARY KEY (tenant_id, email)
);

CREATE TABLE tenant_allowed_networks (        -- IPv4 CIDRs; none means any address
  tenant_id   INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  cidr        TEXT NOT NULL,
  PRIMARY KEY (tenant_id, cidr)
);

CREATE TABLE ssh_keys (
  id            INTEGER PRIMARY KEY,
  tenant_id     INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  algorithm     TEXT NOT NULL,
  public_key    TEXT NOT NULL,                -- "type base64", normalised, no comment
  fingerprint   TEXT NOT NULL,                -- "SHA256:…" as ssh-keygen -l prints it
  bits          INTEGER NOT NULL,
  comment       TEXT NOT NULL DEFAULT '',
  created_at    TEXT NOT NULL,
  created_by    TEXT NOT NULL,
  expires_at    TEXT,                         -- the key stops working at this instant
  revoked_at    TEXT,
  revoked_by    TEXT
);
-- A key identifies exactly one tenant: at most one unrevoked row per key.
CREATE UNIQUE INDEX ssh_keys_one_active ON ssh_keys(fingerprint) WHERE revoked_at IS NULL;
CREATE INDEX ssh_keys_by_tenant ON ssh_keys(tenant_id);

CREATE TABLE directory_groups (
  id           INTEGER PRIMARY KEY,
  tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  external_id  TEXT NOT NULL,                 -- the id the customer's file uses
  name         TEXT NOT NULL,
  source       TEXT NOT NULL CHECK (source IN ('sync', 'manual')),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  deleted_at   TEXT,                          -- soft delete, kept for history
  last_ingest_id TEXT,
  UNIQUE (tenant_id, external_id)
);

CREATE TABLE directory_users (
  id           INTEGER PRIMARY KEY,
  tenant_id    INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  external_id  TEXT NOT NULL,                 -- username / UniqueID / loginName, per profile
  first_name   TEXT NOT NULL DEFAULT '',
  last_name    TEXT NOT NULL DEFAULT '',
  display_name TEXT NOT NULL DEFAULT '',
  email        TEXT NOT NULL DEFAULT '',
  phone        TEXT NOT NULL DEFAULT '',
  status       TEXT NOT NULL DEFAULT 'active',
  attributes   TEXT NOT NULL DEFAULT '{}',    -- JSON: profile-specific fields
  source       TEXT NOT NULL CHECK (source IN ('sync', 'manual')),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  deleted_at   TEXT,
  last_ingest_id TEXT,
  UNIQUE (tenant_id, external_id)
);
CREATE INDEX directory_users_live ON directory_users(tenant_id, source) WHERE deleted_at IS NULL;

CREATE TABLE directory_memberships (
  user_id      INTEGER NOT NULL REFERENCES directory_users(id) ON DELETE CASCADE,
  group_id     INTEGER NOT NULL REFERENCES directory_groups(id) ON DELETE CASCADE,
  source       TEXT NOT NULL CHECK (source IN ('sync', 'manual')),
  created_at   TEXT NOT NULL,
  PRIMARY KEY (user_id, group_id)
);
CREATE INDEX directory_memberships_by_group ON directory_memberships(group_id);

CREATE TABLE ingests (
  id              TEXT PRIMARY KEY,           -- sortable unique id (time first)
  tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
  file_name       TEXT NOT NULL,              -- the name the client uploaded
  kind            TEXT NOT NULL DEFAULT '',   -- which of the profile's files it is
  size            INTEGER NOT NULL,
  sha256          TEXT,
  archive_path    TEXT,
  client_ip       TEXT NOT NULL DEFAULT '',
  key_fingerprint TEXT NOT NULL DEFAULT '',
  session_id      TEXT NOT NULL DEFAULT '',
  received_at     TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'applied', 'rejected',
                                                  'failed', 'duplicate', 'held', 'discarded', 'partial')),
  status_message  TEXT NOT NULL DEFAULT '',
  started_at      TEXT,
  finished_at     TEXT,
  rows_total      INTEGER NOT NULL DEFAULT 0,
  rows_added      INTEGER NOT NULL DEFAULT 0,
  rows_updated    INTEGER NOT NULL DEFAULT 0,
  rows_removed    INTEGER NOT NULL DEFAULT 0,
  rows_unchanged  INTEGER NOT NULL DEFAULT 0,
  rows_skipped    INTEGER NOT NULL DEFAULT 0,
  rows_invalid    INTEGER NOT NULL DEFAULT 0,
  report          TEXT                        -- the full report (JSON)
);
CREATE INDEX ingests_by_tenant ON ingests(tenant_id, id);
CREATE INDEX ingests_by_status ON ingests(status, id);

CREATE TABLE ingest_row_errors (
  ingest_id   TEXT NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  line        INTEGER NOT NULL,
  column_name TEXT NOT NULL DEFAULT '',
  message     TEXT NOT NULL,
  PRIMARY KEY (ingest_id, seq)
);

CREATE TABLE audit_events (
  id          INTEGER PRIMARY KEY,
  at          TEXT NOT NULL,
  actor       TEXT NOT NULL,                  -- a person (CLI) or "server"
  action      TEXT NOT NULL,                  -- e.g. tenant.add, key.revoke, login.denied
  tenant      TEXT NOT NULL DEFAULT '',
  details     TEXT NOT NULL DEFAULT '{}'      -- JSON: what changed
);
CREATE INDEX audit_events_by_tenant ON audit_events(tenant, id);
)sql";

// Version 2: bans imposed by the server's failed-login defence, so that `intake bans` (another
// process) can list and clear them.
constexpr std::string_view kV2 = R"sql(
CREATE TABLE bans (
  ip          TEXT PRIMARY KEY,              -- IPv4 address
  banned_at   TEXT NOT NULL,
  until       TEXT NOT NULL,
  strikes     INTEGER NOT NULL,              -- how many times this address has been banned recently
  reason      TEXT NOT NULL
);
)sql";

// v3: an ingest compares every stored user's synced group with the file; this index answers that
// from the index alone (1,000,000 users in the sqlite3 shell: 1.04 s with the former group-name
// subquery and no index, 0.48 s reading group ids from this index; docs/PERFORMANCE.md).
constexpr std::string_view kV3 = R"sql(
CREATE INDEX directory_memberships_by_user_source ON directory_memberships(user_id, source, group_id);
)sql";

// v4: per-tenant upload quotas; NULL means the server's default (upload_quota_bytes/_files).
constexpr std::string_view kV4 = R"sql(
ALTER TABLE tenants ADD COLUMN upload_quota_bytes INTEGER CHECK (upload_quota_bytes > 0);
ALTER TABLE tenants ADD COLUMN upload_quota_files INTEGER CHECK (upload_quota_files > 0);
)sql";

// v5: live sessions, so that `intake sessions` can list them and ask their server to end them.
constexpr std::string_view kV5 = R"sql(
CREATE TABLE sessions (
  id               TEXT PRIMARY KEY,
  server_pid       INTEGER NOT NULL,             -- the server process holding it
  tenant           TEXT NOT NULL,
  key_fingerprint  TEXT NOT NULL,
  client_ip        TEXT NOT NULL,
  client_version   TEXT NOT NULL DEFAULT '',     -- the client's SSH banner, cleaned
  started_at       TEXT NOT NULL,
  end_requested_by TEXT                          -- `intake sessions kill`: the server ends it
);
CREATE INDEX sessions_by_tenant ON sessions(tenant);
)sql";

// v6: the directory model for every profile (docs/PROFILES.md). Users get the fields the seeds name,
// an account status (active/inactive) separate from their lifecycle (present/removed, when, by what),
// contacts as an ordered list and free attributes in tables of their own, and the file that synced
// them (NULL: created by hand). Groups and memberships record their origin the same way, so that a
// file owns what it brought and nothing else. Ingests record the profile used and every change.
// Lossless from v5: phone -> a "mobile" phone contact (LiveSafe's mobilephone), attributes JSON ->
// rows, source/deleted_at -> origin_file/removed_at (the file name of the user's last ingest).
// Runs with foreign keys off (apply_migrations), so dropping the old tables cascades nothing.
constexpr std::string_view kV6 = R"sql(
CREATE TABLE directory_users_v6 (
  id             INTEGER PRIMARY KEY,
  tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  external_id    TEXT NOT NULL,                -- the profile's key: username / UniqueID / mail
  login_name     TEXT NOT NULL DEFAULT '',
  email          TEXT NOT NULL DEFAULT '',
  first_name     TEXT NOT NULL DEFAULT '',
  last_name      TEXT NOT NULL DEFAULT '',
  display_name   TEXT NOT NULL DEFAULT '',
  title          TEXT NOT NULL DEFAULT '',
  language       TEXT NOT NULL DEFAULT '',
  account_status TEXT NOT NULL DEFAULT 'active' CHECK (account_status IN ('active', 'inactive')),
  valid_from     TEXT NOT NULL DEFAULT '',
  valid_to       TEXT NOT NULL DEFAULT '',
  origin_file    TEXT,                         -- the file that synced it; NULL: created by hand
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  removed_at     TEXT,                         -- lifecycle: present while NULL
  removed_by     TEXT,                         -- the ingest id, or the person, that removed it
  last_ingest_id TEXT,
  UNIQUE (tenant_id, external_id)
);
INSERT INTO directory_users_v6 (id, tenant_id, external_id, email, first_name, last_name, display_name,
                                origin_file, created_at, updated_at, removed_at, removed_by, last_ingest_id)
SELECT u.id, u.tenant_id, u.external_id, u.email, u.first_name, u.last_name, u.display_name,
       CASE WHEN u.source = 'manual' THEN NULL
            ELSE COALESCE((SELECT i.file_name FROM ingests i WHERE i.id = u.last_ingest_id),
                          (SELECT f.file_name FROM tenant_file_names f WHERE f.tenant_id = u.tenant_id
                           ORDER BY f.file_name LIMIT 1),
                          'livesafe_snapshot.csv') END,
       u.created_at, u.updated_at, u.deleted_at,
       CASE WHEN u.deleted_at IS NULL THEN NULL ELSE u.last_ingest_id END, u.last_ingest_id
FROM directory_users u;

CREATE TABLE directory_user_contacts (
  user_id     INTEGER NOT NULL REFERENCES directory_users(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL CHECK (kind IN ('email', 'phone')),
  type        TEXT NOT NULL,                   -- mobile, primary, secondary, work, …
  value       TEXT NOT NULL,
  is_primary  INTEGER NOT NULL DEFAULT 0 CHECK (is_primary IN (0, 1)),
  position    INTEGER NOT NULL,                -- the list's order
  PRIMARY KEY (user_id, kind, type)
) WITHOUT ROWID;
INSERT INTO directory_user_contacts (user_id, kind, type, value, is_primary, position)
SELECT id, 'phone', 'mobile', phone, 1, 0 FROM directory_users WHERE phone <> '';

CREATE TABLE directory_user_attributes (
  user_id     INTEGER NOT NULL REFERENCES directory_users(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  value       TEXT NOT NULL,
  PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
INSERT INTO directory_user_attributes (user_id, name, value)
SELECT u.id, j.key, CAST(j.value AS TEXT) FROM directory_users u, json_each(u.attributes) j
WHERE json_valid(u.attributes) AND j.value IS NOT NULL;

CREATE TABLE directory_groups_v6 (
  id             INTEGER PRIMARY KEY,
  tenant_id      INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  external_id    TEXT NOT NULL,                -- the id files use; the name can change
  name           TEXT NOT NULL,
  origin_file    TEXT,                         -- the file that created it; NULL: created by hand
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL,
  removed_at     TEXT,
  last_ingest_id TEXT,
  UNIQUE (tenant_id, external_id)
);
INSERT INTO directory_groups_v6 (id, tenant_id, external_id, name, origin_file, created_at, updated_at,
                                 removed_at, last_ingest_id)
SELECT g.id, g.tenant_id, g.external_id, g.name,
       CASE WHEN g.source = 'manual' THEN NULL
            ELSE COALESCE((SELECT i.file_name FROM ingests i WHERE i.id = g.last_ingest_id),
                          'livesafe_snapshot.csv') END,
       g.created_at, g.updated_at, g.deleted_at, g.last_ingest_id
FROM directory_groups g;

CREATE TABLE directory_memberships_v6 (
  user_id     INTEGER NOT NULL REFERENCES directory_users(id) ON DELETE CASCADE,
  group_id    INTEGER NOT NULL REFERENCES directory_groups(id) ON DELETE CASCADE,
  origin      TEXT NOT NULL DEFAULT '',        -- the file that brought it; '': added by hand
  created_at  TEXT NOT NULL,
  PRIMARY KEY (user_id, origin, group_id)
) WITHOUT ROWID;
INSERT INTO directory_memberships_v6 (user_id, group_id, origin, created_at)
SELECT m.user_id, m.group_id,
       CASE WHEN m.source = 'manual' THEN ''
            ELSE COALESCE((SELECT u.origin_file FROM directory_users_v6 u WHERE u.id = m.user_id), '') END,
       m.created_at
FROM directory_memberships m;

DROP TABLE directory_memberships;
DROP TABLE directory_users;
DROP TABLE directory_groups;
ALTER TABLE directory_users_v6 RENAME TO directory_users;
ALTER TABLE directory_groups_v6 RENAME TO directory_groups;
ALTER TABLE directory_memberships_v6 RENAME TO directory_memberships;
CREATE INDEX directory_users_by_email ON directory_users(tenant_id, email COLLATE NOCASE) WHERE email <> '';
CREATE INDEX directory_memberships_by_group ON directory_memberships(group_id);

ALTER TABLE ingests ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE ingests ADD COLUMN profile_sha256 TEXT NOT NULL DEFAULT '';

CREATE TABLE ingest_changes (
  ingest_id   TEXT NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  seq         INTEGER NOT NULL,
  entity      TEXT NOT NULL CHECK (entity IN ('user', 'group', 'membership')),
  key         TEXT NOT NULL,
  operation   TEXT NOT NULL,                   -- added, updated, removed, adopted, brought back, …
  fields      TEXT NOT NULL DEFAULT '{}',      -- JSON: field -> [before, after]
  line        INTEGER NOT NULL DEFAULT 0,      -- the file's line; 0: not from a line (a removal)
  PRIMARY KEY (ingest_id, seq)
) WITHOUT ROWID;
)sql";

// v7: per tenant, the default region for national phone numbers (libphonenumber) and the mode
// (`validate`: uploads are reported with the changes they would make, nothing applied); ingests gain
// the status `validated`. SQLite cannot change a CHECK in place: the journal is rebuilt, row for row
// (its children keep their references: foreign keys are off while migrating).
constexpr std::string_view kV7 = R"sql(
ALTER TABLE tenants ADD COLUMN phone_region TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN mode TEXT NOT NULL DEFAULT 'apply' CHECK (mode IN ('apply', 'validate'));

CREATE TABLE ingests_v7 (
  id              TEXT PRIMARY KEY,           -- sortable unique id (time first)
  tenant_id       INTEGER NOT NULL REFERENCES tenants(id),
  file_name       TEXT NOT NULL,              -- the name the client uploaded
  kind            TEXT NOT NULL DEFAULT '',   -- which of the profile's files it is
  size            INTEGER NOT NULL,
  sha256          TEXT,
  archive_path    TEXT,
  client_ip       TEXT NOT NULL DEFAULT '',
  key_fingerprint TEXT NOT NULL DEFAULT '',
  session_id      TEXT NOT NULL DEFAULT '',
  received_at     TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('queued', 'processing', 'applied', 'rejected', 'failed',
                                                  'duplicate', 'held', 'discarded', 'partial', 'validated')),
  status_message  TEXT NOT NULL DEFAULT '',
  started_at      TEXT,
  finished_at     TEXT,
  rows_total      INTEGER NOT NULL DEFAULT 0,
  rows_added      INTEGER NOT NULL DEFAULT 0,
  rows_updated    INTEGER NOT NULL DEFAULT 0,
  rows_removed    INTEGER NOT NULL DEFAULT 0,
  rows_unchanged  INTEGER NOT NULL DEFAULT 0,
  rows_skipped    INTEGER NOT NULL DEFAULT 0,
  rows_invalid    INTEGER NOT NULL DEFAULT 0,
  report          TEXT,                       -- the full report (JSON)
  profile         TEXT NOT NULL DEFAULT '',
  profile_sha256  TEXT NOT NULL DEFAULT ''
);
INSERT INTO ingests_v7 (id, tenant_id, file_name, kind, size, sha256, archive_path, client_ip,
                        key_fingerprint, session_id, received_at, status, status_message, started_at,
                        finished_at, rows_total, rows_added, rows_updated, rows_removed, rows_unchanged,
                        rows_skipped, rows_invalid, report, profile, profile_sha256)
SELECT id, tenant_id, file_name, kind, size, sha256, archive_path, client_ip, key_fingerprint, session_id,
       received_at, status, status_message, started_at, finished_at, rows_total, rows_added, rows_updated,
       rows_removed, rows_unchanged, rows_skipped, rows_invalid, report, profile, profile_sha256
FROM ingests;
DROP TABLE ingests;
ALTER TABLE ingests_v7 RENAME TO ingests;
CREATE INDEX ingests_by_tenant ON ingests(tenant_id, id);
CREATE INDEX ingests_by_status ON ingests(status, id);
)sql";

// v8: per user, the digest of the image its last ingest wrote (ingest/image.hpp), so that an upload
// that leaves most users as they are reads one table; NULL until an ingest writes or confirms the user,
// and again whenever anything else changes it.
constexpr std::string_view kV8 = R"sql(
ALTER TABLE directory_users ADD COLUMN image_digest INTEGER;
)sql";

// v9: profiles of the operator's own (`intake profile add`), every version kept by its sha256.
constexpr std::string_view kV9 = R"sql(
CREATE TABLE profiles (
  id          INTEGER PRIMARY KEY,            -- the version order: the highest present one is used
  name        TEXT NOT NULL,
  sha256      TEXT NOT NULL,                  -- of the definition, as ingests.profile_sha256 records it
  definition  TEXT NOT NULL,                  -- the TOML text
  added_at    TEXT NOT NULL,
  added_by    TEXT NOT NULL,
  removed_at  TEXT,                           -- removed versions stay for the ingests that used them
  UNIQUE (name, sha256)
);
)sql";

// v10: Limeade ONE and SecureAuth. Per tenant, the roles a file may assign (empty: any) and whether a
// membership file may create stub users; per user, the Argon2id hash of an initial password; per
// ingest, where its file's password column is until the archived copy has it blanked.
constexpr std::string_view kV10 = R"sql(
ALTER TABLE tenants ADD COLUMN roles TEXT NOT NULL DEFAULT '';        -- comma-separated
ALTER TABLE tenants ADD COLUMN auto_create_users INTEGER NOT NULL DEFAULT 0;
ALTER TABLE directory_users ADD COLUMN password_hash TEXT;             -- a PHC string, never plain text
ALTER TABLE ingests ADD COLUMN secret_field TEXT;                      -- JSON: field, header, delimiter
ALTER TABLE ingests ADD COLUMN archive_redacted_at TEXT;
)sql";

// v11: the transactional outbox. Every side effect of an ingest's conclusion (its report file, each
// e-mail, each webhook and command hook) is a row written in the conclusion's transaction and
// delivered afterwards, with its attempts and outcome; per tenant, how its report is e-mailed and the
// sequence number of its events; the hooks.
constexpr std::string_view kV11 = R"sql(
ALTER TABLE tenants ADD COLUMN report_mail TEXT NOT NULL DEFAULT 'each'
  CHECK (report_mail IN ('each', 'daily', 'off'));
ALTER TABLE tenants ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN last_digest_until TEXT;  -- report_mail daily: the end of the last digest
CREATE TABLE hooks (
  id               INTEGER PRIMARY KEY,
  tenant_id        INTEGER REFERENCES tenants(id) ON DELETE CASCADE,  -- NULL: every tenant's events
  kind             TEXT NOT NULL CHECK (kind IN ('webhook', 'command')),
  target           TEXT NOT NULL,                 -- the URL, or the program's absolute path
  events           TEXT NOT NULL,                 -- comma-separated: ingest.concluded, ingest.held
  secret           TEXT,                          -- a webhook's signing secret, sealed (base/sealed_secret.hpp)
  created_at       TEXT NOT NULL,
  created_by       TEXT NOT NULL,
  disabled_at      TEXT,                          -- its receiver answered 410 Gone
  disabled_reason  TEXT,
  removed_at       TEXT
);
CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY,
  ingest_id        TEXT REFERENCES ingests(id),   -- NULL: not about one ingest (a daily digest)
  tenant_id        INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind             TEXT NOT NULL CHECK (kind IN ('report_file', 'email', 'webhook', 'command')),
  ingest_status    TEXT NOT NULL DEFAULT '',      -- the status it tells of (held, applied, …)
  target           TEXT NOT NULL DEFAULT '',      -- the addresses, URL or command, as queued
  hook_id          INTEGER REFERENCES hooks(id),
  event            TEXT NOT NULL DEFAULT '',      -- ingest.concluded, ingest.held
  sequence         INTEGER,                       -- the tenant's event number (hooks)
  payload          TEXT,                          -- the report as it was at the event (hooks)
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  created_at       TEXT NOT NULL,
  next_attempt_at  TEXT NOT NULL,
  claimed_at       TEXT,                          -- a dispatcher is attempting it
  last_attempt_at  TEXT,
  delivered_at     TEXT,
  retried_at       TEXT,                          -- retried by hand: its retry window starts again
  outcome          TEXT NOT NULL DEFAULT ''       -- the last attempt's result, as the receiver said it
);
CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
CREATE INDEX deliveries_by_ingest ON deliveries(ingest_id);
CREATE INDEX deliveries_by_hook ON deliveries(hook_id);
)sql";

constexpr std::array<std::string_view, 11> kMigrations{kV1, kV2, kV3, kV4,  kV5, kV6,
                                                       kV7, kV8, kV9, kV10, kV11};

}  // namespace

std::span<const std::string_view> migrations() { return kMigrations; }
int latest_schema_version() { return static_cast<int>(kMigrations.size()); }

void apply_migrations(Database& db) {
  // Cheap check first: an up-to-date database needs no write lock.
  if (db.schema_version() == latest_schema_version()) return;
  // Rebuilding a table (v6) must not cascade deletes into its children: foreign keys stay off while
  // migrating (a no-op inside a transaction, so set here), and are checked before the commit.
  db.execute("PRAGMA foreign_keys=OFF;");
  struct ForeignKeysBackOn {
    Database& db;
    ~ForeignKeysBackOn() {
      try {
        db.execute("PRAGMA foreign_keys=ON;");
      } catch (const DatabaseError&) {
      }
    }
  } back_on{db};
  Transaction transaction(db);
  const int current = db.schema_version();  // re-read under the lock: another process may have won
  if (current > latest_schema_version()) {
    throw DatabaseError("the database schema is version " + std::to_string(current) +
                            " but this intake only knows up to version " +
                            std::to_string(latest_schema_version()) + "; upgrade intake",
                        0);
  }
  for (int version = current; version < latest_schema_version(); ++version) {
    db.execute(kMigrations[static_cast<std::size_t>(version)]);
    db.execute("PRAGMA user_version = " + std::to_string(version + 1));
  }
  if (db.prepare("PRAGMA foreign_key_check").step())
    throw DatabaseError("migrating the database would break its references; nothing was changed", 0);
  transaction.commit();
}

}  // namespace intake::store
