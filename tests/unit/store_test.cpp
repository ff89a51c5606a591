#include <doctest/doctest.h>
#include <sqlite3.h>

#include "store/audit.hpp"
#include "store/ingest_status.hpp"
#include "store/ingests.hpp"
#include "store/migrations.hpp"
#include "store/sessions.hpp"
#include "store/sqlite.hpp"
#include "store/ssh_keys.hpp"
#include "store/tenants.hpp"
#include "test_support.hpp"

using namespace intake::store;

namespace {

Tenant sample_tenant(const std::string& name) {
  Tenant tenant;
  tenant.name = name;
  tenant.org_id = "0123456789abcdef0123456789abcdef";
  tenant.profile = "livesafe";
  tenant.report_emails = {"it@example.org", "ops@example.org"};
  tenant.allowed_networks = {"192.0.2.0/24"};
  return tenant;
}

NewSshKey sample_key(const std::string& fingerprint) {
  return {"ssh-ed25519", "ssh-ed25519 AAAA", fingerprint, 256, "alice", "tester", std::nullopt};
}

std::vector<std::string> table_names(Database& db) {
  auto stmt = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  std::vector<std::string> names;
  while (stmt.step()) names.push_back(stmt.text(0));
  return names;
}

}  // namespace

TEST_CASE("migrations build the whole schema on an empty database, in WAL mode") {
  intake::test::TempDir dir;
  auto db = Database::open(dir.path() / "intake.db");
  CHECK(db.schema_version() == latest_schema_version());
  const auto tables = table_names(db);
  for (const char* table :
       {"tenants", "ssh_keys", "directory_users", "directory_groups", "directory_memberships", "ingests",
        "ingest_row_errors", "audit_events", "bans", "sessions"}) {
    CAPTURE(table);
    CHECK(std::find(tables.begin(), tables.end(), table) != tables.end());
  }
  auto mode = db.prepare("PRAGMA journal_mode");
  REQUIRE(mode.step());
  CHECK(mode.text(0) == "wal");
}

TEST_CASE("reopening an existing database keeps its data and migrates nothing twice") {
  intake::test::TempDir dir;
  {
    auto db = Database::open(dir.path() / "intake.db");
    REQUIRE(TenantRepository(db).add(sample_tenant("acme-corp")));
  }
  auto db = Database::open(dir.path() / "intake.db");
  CHECK(db.schema_version() == latest_schema_version());
  const auto tenant = TenantRepository(db).find("acme-corp");
  REQUIRE(tenant);
  CHECK(tenant->report_emails.size() == 2);
}

TEST_CASE("a database from an older version is migrated forward; a newer one is refused") {
  intake::test::TempDir dir;
  const auto path = dir.path() / "intake.db";
  {
    // An "existing" database at version 0 with a table of its own: the migration must not fail
    // on it and must not drop it.
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    REQUIRE(sqlite3_exec(raw, "CREATE TABLE keep_me (x INTEGER); INSERT INTO keep_me VALUES (7);", nullptr,
                         nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
  }
  {
    auto db = Database::open(path);
    CHECK(db.schema_version() == latest_schema_version());
    auto kept = db.prepare("SELECT x FROM keep_me");
    REQUIRE(kept.step());
    CHECK(kept.integer(0) == 7);
    db.execute("PRAGMA user_version = 999");
  }
  CHECK_THROWS_WITH_AS(Database::open(path), doctest::Contains("upgrade intake"), DatabaseError);
}

TEST_CASE("tenant repository: add, find, list, update") {
  auto db = Database::open_in_memory();
  TenantRepository tenants(db);
  const auto added = tenants.add(sample_tenant("acme-corp"));
  REQUIRE(added);
  CHECK(added->id > 0);
  CHECK(added->enabled);
  CHECK(added->created_at.size() == 24);  // 2026-11-21T22:01:00.123Z
  CHECK(added->allowed_networks == std::vector<std::string>{"192.0.2.0/24"});

  const auto again = tenants.add(sample_tenant("acme-corp"));
  REQUIRE(!again);
  CHECK(again.error().problem == StoreProblem::AlreadyExists);

  REQUIRE(tenants.add(sample_tenant("beta-inc")));
  const auto all = tenants.list();
  REQUIRE(all.size() == 2);
  CHECK(all[0].name == "acme-corp");
  CHECK(all[1].name == "beta-inc");

  TenantChanges changes;
  changes.enabled = false;
  changes.report_emails = std::vector<std::string>{"new@example.org"};
  changes.allowed_networks = std::vector<std::string>{};
  const auto updated = tenants.update("acme-corp", changes);
  REQUIRE(updated);
  CHECK(!updated->enabled);
  CHECK(updated->report_emails == std::vector<std::string>{"new@example.org"});
  CHECK(updated->allowed_networks.empty());
  CHECK(updated->org_id == added->org_id);

  const auto missing = tenants.update("nobody-here", changes);
  REQUIRE(!missing);
  CHECK(missing.error().problem == StoreProblem::NotFound);
  CHECK(!tenants.find("nobody-here"));
}

TEST_CASE("key repository: one tenant per key, revoke by prefix, expiry") {
  auto db = Database::open_in_memory();
  TenantRepository tenants(db);
  const auto acme = *tenants.add(sample_tenant("acme-corp"));
  const auto beta = *tenants.add(sample_tenant("beta-inc"));
  KeyRepository keys(db);

  const auto first = keys.add(acme.id, sample_key("SHA256:abcDEF111"));
  REQUIRE(first);
  CHECK(first->tenant_name == "acme-corp");
  CHECK(key_state(*first, keys.now()) == KeyState::Active);

  const auto same_tenant = keys.add(acme.id, sample_key("SHA256:abcDEF111"));
  REQUIRE(!same_tenant);
  CHECK(same_tenant.error().problem == StoreProblem::AlreadyExists);
  const auto other_tenant = keys.add(beta.id, sample_key("SHA256:abcDEF111"));
  REQUIRE(!other_tenant);
  CHECK(other_tenant.error().problem == StoreProblem::Conflict);

  REQUIRE(keys.add(acme.id, sample_key("SHA256:abcXYZ222")));
  const auto found = keys.find_active("SHA256:abcXYZ222");
  REQUIRE(found);
  CHECK(found->tenant_name == "acme-corp");

  const auto ambiguous = keys.revoke(acme.id, "abc", "tester");
  REQUIRE(!ambiguous);
  CHECK(ambiguous.error().problem == StoreProblem::Ambiguous);
  CHECK(keys.revoke(acme.id, "nomatch", "tester").error().problem == StoreProblem::NotFound);
  CHECK(keys.revoke(beta.id, "abcDEF", "tester").error().problem == StoreProblem::NotFound);

  const auto revoked = keys.revoke(acme.id, "SHA256:abcD", "tester");
  REQUIRE(revoked);
  CHECK(revoked->fingerprint == "SHA256:abcDEF111");
  CHECK(revoked->revoked_by == "tester");
  CHECK(key_state(*revoked, keys.now()) == KeyState::Revoked);
  CHECK(!keys.find_active("SHA256:abcDEF111"));
  CHECK(keys.revoke(acme.id, "abcDEF", "tester").error().problem == StoreProblem::Conflict);
  // Once revoked, the key may be registered again (to this or another tenant).
  CHECK(keys.add(beta.id, sample_key("SHA256:abcDEF111")));

  auto expired = sample_key("SHA256:old");
  expired.expires_at = "2000-01-01T00:00:00.000Z";
  const auto old = keys.add(acme.id, expired);
  REQUIRE(old);
  CHECK(key_state(*old, keys.now()) == KeyState::Expired);
  CHECK(!keys.find_active("SHA256:old"));
  auto future = sample_key("SHA256:new");
  future.expires_at = "2999-01-01T00:00:00.000Z";
  REQUIRE(keys.add(acme.id, future));
  CHECK(keys.find_active("SHA256:new"));
  CHECK(keys.list(acme.id).size() == 4);
}

TEST_CASE("audit log records and lists newest first, filtered by tenant") {
  auto db = Database::open_in_memory();
  AuditLog audit(db);
  audit.record("alice", "tenant.add", "acme-corp", R"({"name":"acme-corp"})");
  audit.record("bob", "key.add", "beta-inc", "{}");
  audit.record("alice", "key.revoke", "acme-corp", "{}");
  const auto all = audit.list(std::nullopt, 10);
  REQUIRE(all.size() == 3);
  CHECK(all[0].action == "key.revoke");
  const auto acme = audit.list(std::string("acme-corp"), 10);
  REQUIRE(acme.size() == 2);
  CHECK(acme[1].details == R"({"name":"acme-corp"})");
  CHECK(audit.list(std::nullopt, 1).size() == 1);
}

TEST_CASE("a failed transaction leaves nothing behind") {
  auto db = Database::open_in_memory();
  {
    Transaction transaction(db);
    REQUIRE(TenantRepository(db).add(sample_tenant("acme-corp")));
    AuditLog(db).record("alice", "tenant.add", "acme-corp", "{}");
    // no commit: an error between the change and its audit record must undo both
  }
  CHECK(TenantRepository(db).list().empty());
  CHECK(AuditLog(db).list(std::nullopt, 10).empty());
}

TEST_CASE("prepared statements are reused, also when the same SQL is open twice at once") {
  auto db = Database::open_in_memory();
  db.execute("CREATE TABLE t (v INTEGER)");
  for (std::int64_t i = 0; i < 3; ++i) db.prepare("INSERT INTO t (v) VALUES (?1)").bind(1, i).run();
  auto outer = db.prepare("SELECT v FROM t ORDER BY v");
  std::int64_t pairs = 0;
  while (outer.step()) {
    auto inner = db.prepare("SELECT v FROM t ORDER BY v");  // the cached one is busy: a second one
    while (inner.step()) ++pairs;
  }
  CHECK(pairs == 9);
  auto again = db.prepare("SELECT count(*) FROM t WHERE v >= ?1");  // bindings from earlier uses are gone
  again.bind(1, std::int64_t{1});
  REQUIRE(again.step());
  CHECK(again.integer(0) == 2);
}

TEST_CASE("a reading transaction keeps its snapshot and never holds up a writer") {
  intake::test::TempDir dir;
  auto reader = Database::open(dir.path() / "intake.db");
  auto writer = Database::open(dir.path() / "intake.db");
  writer.execute("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1);");
  const auto count = [&] {
    auto select = reader.prepare("SELECT count(*) FROM t");
    REQUIRE(select.step());
    return select.integer(0);
  };
  {
    Transaction reading(reader, Transaction::Mode::Reading);
    CHECK(count() == 1);
    Transaction writing(writer);  // BEGIN IMMEDIATE succeeds at once: the reader holds no write lock
    writer.execute("INSERT INTO t VALUES (2)");
    writing.commit();
    CHECK(count() == 1);  // the reader's snapshot
  }
  CHECK(count() == 2);
}

TEST_CASE("session repository: a kill names one session by id, else every session of a tenant") {
  auto db = Database::open_in_memory();
  SessionRepository sessions(db);
  sessions.add({"s1", 100, "acme-corp", "SHA256:a", "192.0.2.1", "SSH-2.0-OpenSSH_9.2", "", std::nullopt});
  sessions.add({"s2", 100, "acme-corp", "SHA256:a", "192.0.2.2", "", "", std::nullopt});
  sessions.add({"s3", 200, "beta-corp", "SHA256:b", "192.0.2.3", "", "", std::nullopt});
  // A session whose id is a tenant's name is matched as a session, never as the tenant.
  sessions.add({"beta-corp", 200, "acme-corp", "SHA256:a", "192.0.2.4", "", "", std::nullopt});
  CHECK(sessions.list().size() == 4);
  CHECK(sessions.list_of_server(100).size() == 2);
  CHECK(sessions.count_matching("acme-corp") == 3);

  CHECK(sessions.request_end("s1", "alice") == 1);
  CHECK(sessions.list_of_server(100)[0].end_requested_by == std::optional<std::string>("alice"));
  CHECK_FALSE(sessions.list_of_server(100)[1].end_requested_by);
  CHECK(sessions.request_end("beta-corp", "alice") == 1);  // the session named so, not s3
  CHECK(sessions.request_end("nobody", "alice") == 0);

  sessions.remove("s1");
  CHECK(sessions.count_matching("s1") == 0);
  CHECK(sessions.remove_servers_unless([](std::int64_t pid) { return pid != 200; }) == 2);
  CHECK(sessions.list().size() == 1);
  CHECK(sessions.list()[0].server_pid == 100);
}

TEST_CASE("ingest state machine: final is final, and each status has the moves its lifecycle allows") {
  for (const auto from : kIngestStatuses) {
    CHECK(parse_ingest_status(ingest_status_name(from)) == from);
    for (const auto to : kIngestStatuses) {
      const auto refused = transition_refused(from, to);
      if (is_final(from)) {
        REQUIRE(refused);
        CHECK(refused->find("it has concluded already") != std::string::npos);
      }
      if (to == IngestStatus::Queued || to == IngestStatus::Partial) CHECK(refused);
    }
  }
  CHECK(!transition_refused(IngestStatus::Queued, IngestStatus::Processing));
  CHECK(transition_refused(IngestStatus::Processing, IngestStatus::Processing));
  CHECK(!transition_refused(IngestStatus::Queued, IngestStatus::Failed));  // the archive vanished
  CHECK(!transition_refused(IngestStatus::Processing, IngestStatus::Held));
  CHECK(!transition_refused(IngestStatus::Held, IngestStatus::Applied));  // released
  CHECK(!transition_refused(IngestStatus::Held, IngestStatus::Discarded));
  CHECK(*transition_refused(IngestStatus::Processing, IngestStatus::Discarded) ==
        "an ingest that is processing cannot become discarded: only a held ingest is discarded");
  CHECK(transition_refused(IngestStatus::Held, IngestStatus::Held));
  CHECK(transition_refused(IngestStatus::Held, IngestStatus::Duplicate));
  CHECK(!parse_ingest_status("done"));
}

TEST_CASE("ingest journal: a status changes only as the state machine allows, with its audit row") {
  intake::test::TempDir dir;
  auto db = Database::open(dir.path() / "intake.db");
  const auto tenant = TenantRepository(db).add(sample_tenant("acme-corp"));
  REQUIRE(tenant);
  IngestRepository ingests(db);
  IngestRecord record;
  record.id = "20261122T000000.000Z-0000-abcd";
  record.tenant_id = tenant->id;
  record.file_name = "livesafe_snapshot.csv";
  record.received_at = "2026-11-22T00:00:00.000Z";
  ingests.insert(record);
  ingests.start(record.id, "00");
  CHECK(ingests.find(record.id)->status == IngestStatus::Processing);
  {
    Transaction transaction(db);
    REQUIRE(ingests.change_status(record.id, IngestStatus::Held,
                                  {"held: too many removals", {3, 0, 0, 3, 0, 0, 0}, "{}", {}},
                                  "intake serve", "ingest.conclude"));
    transaction.commit();
  }
  const auto held = ingests.find(record.id);
  CHECK(held->status == IngestStatus::Held);
  CHECK(held->counts.removed == 3);
  // Discarding and applying race: the first one wins, the second is refused and writes nothing.
  {
    Transaction transaction(db);
    REQUIRE(ingests.change_status(record.id, IngestStatus::Discarded, {"discarded by alice", {}, {}, {}},
                                  "alice", "ingest.discard"));
    transaction.commit();
  }
  const auto again = ingests.change_status(record.id, IngestStatus::Applied, {"released", {}, {}, {}}, "bob",
                                           "ingest.release");
  REQUIRE(!again);
  CHECK(again.error().find("cannot become applied: it has concluded already") != std::string::npos);
  CHECK(ingests.find(record.id)->status == IngestStatus::Discarded);
  CHECK(ingests.find(record.id)->counts.removed == 0);
  const auto audit = AuditLog(db).list(std::string("acme-corp"), 10);
  REQUIRE(audit.size() >= 2);
  CHECK(audit[0].actor == "alice");
  CHECK(audit[0].action == "ingest.discard");
  CHECK(audit[0].details.find("\"from\":\"held\",\"id\":\"20261122T000000.000Z-0000-abcd\"") !=
        std::string::npos);
  CHECK(audit[1].action == "ingest.conclude");
  // Filtering the history by status uses the same names.
  CHECK(ingests.list({std::string("acme-corp"), {}, {}, {}, IngestStatus::Discarded, 10}).size() == 1);
  CHECK(ingests.list({std::string("acme-corp"), {}, {}, {}, IngestStatus::Applied, 10}).empty());
}
