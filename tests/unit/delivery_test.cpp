// The outbox and its dispatcher: retry schedule, deliveries queued with conclusions, report files
// delivered once, e-mails retried and given up on an injected clock.
#include <doctest/doctest.h>

#include <fstream>

#include "base/base64.hpp"
#include "base/sealed_secret.hpp"
#include "base/sha256.hpp"
#include "delivery/digest.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/hooks.hpp"
#include "delivery/mail.hpp"
#include "delivery/report_file.hpp"
#include "delivery/retry_schedule.hpp"
#include "ingest/pipeline.hpp"
#include "ingest/report.hpp"
#include "store/hooks.hpp"
#include "store/migrations.hpp"
#include "store/outbox.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"
#include "test_support.hpp"

using intake::delivery::AttemptResult;
using intake::delivery::Verdict;
using intake::store::DeliveryKind;
using intake::store::DeliveryStatus;
using namespace std::chrono_literals;

namespace {

const intake::base::WallTime kNoon = *intake::base::parse_stored_time("2026-11-22T12:00:00.000Z");

// A data dir with tenant acme-corp (report e-mails to two addresses) and one applied upload.
struct Concluded {
  intake::test::TempDir dir;
  std::string id;

  explicit Concluded(intake::store::ReportMail mail = intake::store::ReportMail::Each) {
    {
      auto db = intake::store::Database::open(dir.path() / "intake.db");
      intake::store::Tenant tenant;
      tenant.name = "acme-corp";
      tenant.org_id = "ORG1";
      tenant.profile = "livesafe";
      tenant.report_emails = {"it@acme.example", "hr@acme.example"};
      tenant.report_mail = mail;
      REQUIRE(intake::store::TenantRepository(db).add(tenant));
    }
    const auto upload = dir.path() / "tenants" / "acme-corp" / "upload";
    std::filesystem::create_directories(upload);
    const std::string csv =
        "organizationid,username,firstname,lastname,email,mobilephone,groupname\nORG1,ann,Ann,A,ann@x.org,,"
        "Staff\n"
        "ORG1,bob,Bob,B,not-an-address,,Staff\nORG1,cy,Cy,C,cy@x.org,,Staff\nORG1,di,Di,D,di@x.org,,Staff\n"
        "ORG1,ed,Ed,E,ed@x.org,,Staff\nORG1,fa,Fa,F,fa@x.org,,Staff\nORG1,gu,Gu,G,gu@x.org,,Staff\n"
        "ORG1,ha,Ha,H,ha@x.org,,Staff\nORG1,io,Io,I,io@x.org,,Staff\nORG1,jo,Jo,J,jo@x.org,,Staff\n"
        "ORG1,ki,Ki,K,ki@x.org,,Staff\n";
    std::ofstream(upload / "livesafe_snapshot.csv") << csv;
    const intake::ingest::IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
    auto journalled = intake::ingest::journal_upload(
        settings, {"acme-corp", "livesafe_snapshot.csv", upload / "livesafe_snapshot.csv", csv.size(),
                   "127.0.0.1", "SHA256:k", "s1", intake::base::sha256_hex(csv)});
    REQUIRE(journalled);
    id = *journalled;
    REQUIRE(intake::ingest::process_ingest(settings, id).value() == intake::store::IngestStatus::Applied);
    // Queued at noon on the tests' clock.
    db().execute(
        "UPDATE deliveries SET created_at = '2026-11-22T12:00:00.000Z', next_attempt_at = "
        "'2026-11-22T12:00:00.000Z'");
  }
  intake::store::Database db() const { return intake::store::Database::open(dir.path() / "intake.db"); }
  std::vector<intake::store::Delivery> deliveries() const {
    auto database = db();
    return intake::store::OutboxRepository(database).of_ingest(id);
  }
  std::filesystem::path reports() const { return dir.path() / "tenants" / "acme-corp" / "reports"; }
};

// A dispatcher on `concluded`'s database whose clock the test moves.
struct Dispatching {
  intake::base::WallTime now = kNoon;
  std::vector<std::string> attempts;  // "kind:verdict"

  std::unique_ptr<intake::delivery::Dispatcher> make(
      const Concluded& concluded, std::map<DeliveryKind, intake::delivery::Deliverer> deliverers) {
    intake::delivery::DispatcherSettings settings;
    settings.database = concluded.dir.path() / "intake.db";
    settings.now = [this] { return now; };
    settings.random01 = [] { return 0.5; };  // no jitter
    intake::delivery::RetrySchedule mail;
    mail.backoff = {10s, 60s};
    mail.window = 1h;
    settings.schedules = {{DeliveryKind::Email, mail}};
    settings.on_attempt = [this](const intake::store::Delivery& d, const AttemptResult&,
                                 DeliveryStatus after) {
      attempts.push_back(std::string(intake::store::delivery_kind_name(d.kind)) + ":" +
                         std::string(intake::store::delivery_status_name(after)));
    };
    return std::make_unique<intake::delivery::Dispatcher>(std::move(settings), std::move(deliverers));
  }
};

}  // namespace

TEST_CASE("retry schedule: backoff in order, the last repeating, jitter, Retry-After, and the window") {
  intake::delivery::RetrySchedule schedule;
  schedule.backoff = {10s, 60s};
  schedule.window = 5min;
  schedule.jitter = 0.2;
  using intake::delivery::next_attempt;
  CHECK(next_attempt(schedule, 1, kNoon, kNoon, {}, 0.5) == kNoon + 10s);
  CHECK(next_attempt(schedule, 2, kNoon, kNoon, {}, 0.5) == kNoon + 60s);
  CHECK(next_attempt(schedule, 7, kNoon, kNoon, {}, 0.5) == kNoon + 60s);          // the last repeats
  CHECK(next_attempt(schedule, 1, kNoon, kNoon, {}, 0.0) == kNoon + 8s);           // 20% shorter
  CHECK(next_attempt(schedule, 1, kNoon, kNoon, {}, 1.0) == kNoon + 12s);          // 20% longer
  CHECK(next_attempt(schedule, 1, kNoon, kNoon, 120s, 0.5) == kNoon + 120s);       // Retry-After lengthens
  CHECK(next_attempt(schedule, 2, kNoon, kNoon, 5s, 0.5) == kNoon + 60s);          // never shortens
  CHECK(next_attempt(schedule, 2, kNoon, kNoon + 4min, {}, 0.5) == kNoon + 5min);  // just within
  CHECK(next_attempt(schedule, 2, kNoon, kNoon + 4min + 1s, {}, 0.5) == std::nullopt);  // past the window
}

TEST_CASE("outbox: a conclusion queues its report file and its e-mail in the same transaction") {
  const Concluded concluded;
  const auto queued = concluded.deliveries();
  REQUIRE(queued.size() == 2);
  CHECK(queued[1].kind == DeliveryKind::ReportFile);
  CHECK(queued[0].kind == DeliveryKind::Email);
  CHECK(queued[0].target == "it@acme.example, hr@acme.example");
  for (const auto& delivery : queued) {
    CHECK(delivery.status == DeliveryStatus::Pending);
    CHECK(delivery.ingest_status == intake::store::IngestStatus::Applied);
  }
  // Nothing is delivered by the ingest itself: reports/ stays empty until the dispatcher runs.
  CHECK(!std::filesystem::exists(concluded.reports()));

  const Concluded quiet(intake::store::ReportMail::Off);
  REQUIRE(quiet.deliveries().size() == 1);
  CHECK(quiet.deliveries()[0].kind == DeliveryKind::ReportFile);
}

TEST_CASE("dispatcher: the report file lands once with its results beside it, however often delivered") {
  const Concluded concluded;
  Dispatching clock;
  const auto data_dir = concluded.dir.path();
  const auto report_files = [&](const intake::delivery::DeliveryJob& job) {
    return intake::delivery::deliver_report_file(data_dir, job);
  };
  auto dispatcher = clock.make(concluded, {{DeliveryKind::ReportFile, report_files}});
  CHECK(dispatcher->deliver_due(DeliveryKind::ReportFile) == 1);
  CHECK(dispatcher->deliver_due(DeliveryKind::ReportFile) == 0);  // delivered: never again
  const auto names = [&] {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator(concluded.reports()))
      out.push_back(entry.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<std::string> expected{concluded.id + "_livesafe_snapshot.csv.results.csv",
                                          concluded.id + "_livesafe_snapshot.csv.txt"};
  CHECK(names() == expected);
  // The results file is the kept one, linked (not copied), and lists bob's invalid address.
  const auto kept = data_dir / "results" / "acme-corp" / expected[0];
  CHECK(std::filesystem::equivalent(kept, concluded.reports() / expected[0]));
  std::ifstream results(kept);
  const std::string text((std::istreambuf_iterator<char>(results)), std::istreambuf_iterator<char>());
  CHECK(text.find("bob") != std::string::npos);

  // A crash after the write but before it was recorded: the repeat replaces the same files.
  {
    auto db = concluded.db();
    REQUIRE(intake::store::OutboxRepository(db).retry(concluded.deliveries()[1].id,
                                                      intake::base::format_stored_time(kNoon)) ==
            tl::unexpected(std::string("delivery ") + std::to_string(concluded.deliveries()[1].id) +
                           " was delivered at 2026-11-22T12:00:00.000Z; there is nothing to retry"));
    db.execute("UPDATE deliveries SET status = 'pending', claimed_at = NULL");
  }
  CHECK(dispatcher->deliver_due(DeliveryKind::ReportFile) == 1);
  CHECK(names() == expected);
  for (const auto& left : std::filesystem::directory_iterator(data_dir / "staging")) FAIL(left.path());
}

TEST_CASE(
    "dispatcher: an e-mail is retried on the schedule, given up past its window or at a 5xx, and "
    "retried by hand") {
  const Concluded concluded;
  Dispatching clock;
  std::vector<AttemptResult> answers{{Verdict::Retry, "421 try later", {}},
                                     {Verdict::Retry, "421 try later", {}},
                                     {Verdict::Delivered, "250 OK", {}}};
  std::size_t answered = 0;
  const auto mail = [&](const intake::delivery::DeliveryJob& job) {
    CHECK(job.ingest.id == concluded.id);
    CHECK(job.report["status"] == "applied");
    return answers.at(answered++);
  };
  auto dispatcher = clock.make(concluded, {{DeliveryKind::Email, mail}});
  const auto email = [&] { return concluded.deliveries()[0]; };

  CHECK(dispatcher->deliver_due(DeliveryKind::Email) == 1);
  CHECK(email().status == DeliveryStatus::Pending);
  CHECK(email().next_attempt_at == "2026-11-22T12:00:10.000Z");
  CHECK(email().outcome == "421 try later");
  CHECK(dispatcher->deliver_due(DeliveryKind::Email) == 0);  // not due yet
  clock.now += 10s;
  CHECK(dispatcher->deliver_due(DeliveryKind::Email) == 1);
  CHECK(email().next_attempt_at == "2026-11-22T12:01:10.000Z");
  clock.now += 60s;
  CHECK(dispatcher->deliver_due(DeliveryKind::Email) == 1);
  CHECK(email().status == DeliveryStatus::Delivered);
  CHECK(email().attempts == 3);
  CHECK(email().outcome == "250 OK");
  CHECK(clock.attempts == std::vector<std::string>{"email:pending", "email:pending", "email:delivered"});

  // Past the window (an hour here), the delivery is given up, and says how to try again.
  auto db = concluded.db();
  db.execute(
      "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = "
      "'2026-11-22T12:00:00.000Z' WHERE kind = 'email'");
  answers = {{Verdict::Retry, "connection refused", {}}, {Verdict::GiveUp, "550 no such user", {}}};
  answered = 0;
  clock.now = kNoon + 59min + 55s;
  CHECK(dispatcher->deliver_due(DeliveryKind::Email) == 1);
  CHECK(email().status == DeliveryStatus::Failed);
  CHECK(
      email().outcome.starts_with("connection refused; given up after 1 attempts over 1 h (`intake outbox "
                                  "retry "));
  // Retried by hand: a fresh window; a 5xx is final at once.
  REQUIRE(intake::store::OutboxRepository(db).retry(email().id, intake::base::format_stored_time(clock.now)));
  CHECK(email().status == DeliveryStatus::Pending);
  CHECK(dispatcher->deliver_due(DeliveryKind::Email) == 1);
  CHECK(email().status == DeliveryStatus::Failed);
  CHECK(email().outcome == "550 no such user");
}

TEST_CASE("dispatcher: a claim left by a stopped dispatcher is released at start, a fresh one is not taken") {
  const Concluded concluded;
  Dispatching clock;
  std::size_t delivered = 0;
  auto dispatcher = clock.make(concluded, {{DeliveryKind::ReportFile, [&](const auto&) {
                                              ++delivered;
                                              return AttemptResult{Verdict::Delivered, "ok", {}};
                                            }}});
  auto db = concluded.db();
  intake::store::OutboxRepository outbox(db);
  REQUIRE(outbox.claim_due("2026-11-22T12:00:00.000Z", "2026-11-22T11:45:00.000Z", DeliveryKind::ReportFile)
              .size() == 1);
  CHECK(dispatcher->deliver_due(DeliveryKind::ReportFile) == 0);  // claimed by "another" dispatcher
  CHECK(outbox.release_claims() == 1);
  CHECK(dispatcher->deliver_due(DeliveryKind::ReportFile) == 1);
  CHECK(delivered == 1);
}

TEST_CASE("mail: the report message has stable ids, encoded headers and its results attached") {
  const Concluded concluded;
  auto db = concluded.db();
  const auto email = concluded.deliveries()[0];
  intake::delivery::MailSettings settings;
  settings.from = "Intake <intake@sftp.example.com>";
  settings.message_id_domain = "sftp.example.com";
  const auto record = *intake::store::IngestRepository(db).find(concluded.id);
  const intake::delivery::DeliveryJob job{email, record, intake::ingest::current_report(record), {}};
  const auto message = intake::delivery::report_message(settings, job, concluded.dir.path(), kNoon);
  CHECK(message.to == std::vector<std::string>{"it@acme.example", "hr@acme.example"});
  CHECK(message.envelope_from == settings.from);
  CHECK(intake::delivery::address_of(message.envelope_from) == "intake@sftp.example.com");
  CHECK(message.message_id == "<" + concluded.id + ".applied@sftp.example.com>");
  CHECK(message.date == "Sun, 22 Nov 2026 12:00:00 +0000");
  REQUIRE(message.attachments.size() == 1);
  const auto text = intake::delivery::render_message(message).value();
  CHECK(
      text.starts_with("From: Intake <intake@sftp.example.com>\r\nTo: it@acme.example, hr@acme.example\r\n"
                       "Subject: [Intake] livesafe_snapshot.csv: applied (10 added, 0 updated, 0 removed, "
                       "1 invalid)\r\n"));
  CHECK(text.find("Content-Type: multipart/mixed; boundary=") != std::string::npos);
  CHECK(text.find("\r\n\r\nIntake report for livesafe_snapshot.csv\r\n") != std::string::npos);
  // The attachment decodes back to the results file.
  const auto start = text.find("filename=\"" + message.attachments[0].name + "\"\r\n\r\n");
  REQUIRE(start != std::string::npos);
  const auto body_start = text.find("\r\n\r\n", start) + 4;
  std::string encoded;
  for (auto at = body_start; text.compare(at, 2, "--") != 0; at = text.find("\r\n", at) + 2)
    encoded += text.substr(at, text.find("\r\n", at) - at);
  std::ifstream results(message.attachments[0].path);
  const std::string bytes((std::istreambuf_iterator<char>(results)), std::istreambuf_iterator<char>());
  CHECK(intake::base::base64_decode(encoded) == bytes);

  auto renamed = message;
  renamed.subject = "[Intake] änderungen.csv";
  CHECK(intake::delivery::render_message(renamed)->find(
            "Subject: =?UTF-8?B?" + intake::base::base64_encode("[Intake] änderungen.csv") + "?=\r\n") !=
        std::string::npos);
}

TEST_CASE("webhooks: Standard Webhooks signatures, new secrets, and the event body") {
  // The specification's own example (standard-webhooks, "Signature scheme").
  CHECK(intake::delivery::sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                       "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})")
            .value() == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  CHECK(!intake::delivery::sign_webhook("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "id", 1, "{}"));
  const auto secret = intake::delivery::new_webhook_secret();
  CHECK(secret.starts_with("whsec_"));
  CHECK(intake::base::base64_decode(secret.substr(6))->size() == 24);
  CHECK(intake::delivery::new_webhook_secret() != secret);
}

TEST_CASE("sealed secrets: opened only with their data dir's key, which is private") {
  intake::test::TempDir dir;
  const auto sealer = intake::base::Sealer::open_or_create(dir.path() / "secrets.key").value();
  const auto owner_only = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  CHECK((std::filesystem::status(dir.path() / "secrets.key").permissions() & std::filesystem::perms::all) ==
        owner_only);
  const auto sealed = sealer.seal("whsec_abc");
  CHECK(sealed.find("abc") == std::string::npos);
  CHECK(sealer.open(sealed)->view() == "whsec_abc");
  CHECK(sealer.seal("whsec_abc") != sealed);  // a fresh nonce each time
  // The same file opens it again (a restart); another data dir's key does not.
  CHECK(intake::base::Sealer::open_or_create(dir.path() / "secrets.key")->open(sealed)->view() ==
        "whsec_abc");
  intake::test::TempDir other;
  CHECK(intake::base::Sealer::open_or_create(other.path() / "secrets.key")
            ->open(sealed)
            .error()
            .find("does not open") != std::string::npos);
  CHECK(!sealer.open("whsec_abc"));
}

TEST_CASE("hooks: each subscribed hook gets the event, numbered per tenant, with the report of that moment") {
  const Concluded first;  // event 1 of acme-corp, before any hook
  auto db = first.db();
  intake::store::HookRepository hooks(db);
  intake::store::Hook all_tenants;
  all_tenants.target = "https://hooks.example/all";
  all_tenants.events = {"ingest.concluded", "ingest.held"};
  all_tenants.sealed_secret = "sealed:v1:x";
  all_tenants.created_by = "test";
  hooks.add(all_tenants);
  intake::store::Hook held_only = all_tenants;
  held_only.target = "https://hooks.example/held";
  held_only.events = {"ingest.held"};
  held_only.tenant_id = 1;
  hooks.add(held_only);
  intake::store::Hook command = all_tenants;
  command.kind = intake::store::HookKind::Command;
  command.target = "/usr/local/bin/on-ingest";
  command.sealed_secret.reset();
  hooks.add(command);

  intake::store::Transaction transaction(db);
  intake::store::OutboxRepository(db).enqueue_for(first.id, 1, intake::store::IngestStatus::Failed,
                                                  R"({"status":"failed","counts":{}})");
  transaction.commit();
  auto queued = first.deliveries();
  std::erase_if(queued, [](const auto& d) { return !d.hook_id; });
  REQUIRE(queued.size() == 2);
  CHECK(queued[0].kind == DeliveryKind::Command);
  CHECK(queued[1].kind == DeliveryKind::Webhook);
  CHECK(queued[1].target == "https://hooks.example/all");
  for (const auto& delivery : queued) {
    CHECK(delivery.event == "ingest.concluded");
    CHECK(delivery.sequence == 2);
    CHECK(delivery.payload == R"({"status":"failed","counts":{}})");
  }
  const auto record = *intake::store::IngestRepository(db).find(first.id);
  const intake::delivery::DeliveryJob job{queued[1], record, intake::ingest::current_report(record), {}};
  const auto body = nlohmann::json::parse(intake::delivery::hook_event_body(job));
  CHECK(body["type"] == "ingest.concluded");
  CHECK(body["data"]["sequence"] == 2);
  CHECK(body["data"]["tenant"] == "acme-corp");
  CHECK(body["data"]["ingest_id"] == first.id);
  CHECK(body["data"]["status"] == "failed");  // the moment of the event, not the journal's status now
  CHECK(body["data"]["report_file"] == "reports/" + first.id + "_livesafe_snapshot.csv.txt");
  CHECK(intake::delivery::hook_event_body(job) == intake::delivery::hook_event_body(job));  // stable
  CHECK(intake::delivery::hook_message_id(job) == first.id + ".ingest.concluded");
}

TEST_CASE("command hooks: the event on stdin, INTAKE_* variables, exit status and output tail recorded") {
  const Concluded concluded;
  auto db = concluded.db();
  const auto script = concluded.dir.path() / "hook.sh";
  std::ofstream(script)
      << "#!/bin/sh\n"
         "input=$(cat)\n"
         "echo \"event=$INTAKE_EVENT tenant=$INTAKE_TENANT status=$INTAKE_STATUS seq=$INTAKE_SEQUENCE\"\n"
         "echo \"$input\" | grep -q '\"ingest_id\"' || exit 9\n"
         "[ -z \"$HOME\" ] || exit 8\n"
         "exit ${HOOK_EXIT:-3}\n";
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  intake::store::Hook hook;
  hook.kind = intake::store::HookKind::Command;
  hook.target = script.string();
  intake::store::Delivery delivery = concluded.deliveries()[0];
  delivery.event = "ingest.concluded";
  delivery.sequence = 4;
  const auto record = *intake::store::IngestRepository(db).find(concluded.id);
  const intake::delivery::DeliveryJob job{delivery, record, intake::ingest::current_report(record), hook};
  intake::delivery::HookSettings settings;
  const auto failed = intake::delivery::run_command_hook(settings, job);
  CHECK(failed.verdict == Verdict::Retry);
  CHECK(failed.outcome == "exit 3: event=ingest.concluded tenant=acme-corp status=applied seq=4");

  std::ofstream(script) << "#!/bin/sh\ncat > /dev/null\necho done\n";
  const auto done = intake::delivery::run_command_hook(settings, job);
  CHECK(done.verdict == Verdict::Delivered);
  CHECK(done.outcome == "exit 0: done");

  // A program that hangs is killed (with what it started) at the timeout.
  std::ofstream(script) << "#!/bin/sh\necho started\nsleep 30 &\nwait\n";
  settings.command_timeout = 1s;
  const auto hung = intake::delivery::run_command_hook(settings, job);
  CHECK(hung.verdict == Verdict::Retry);
  CHECK(hung.outcome == "killed after 1 s: started");

  hook.target = (concluded.dir.path() / "missing").string();
  const intake::delivery::DeliveryJob missing{delivery, record, job.report, hook};
  CHECK(intake::delivery::run_command_hook(settings, missing).outcome.find("cannot run") == 0);
}

TEST_CASE("daily digest: due once a day at the hour, covering what came since the last one") {
  using intake::delivery::digest_due;
  const auto at = [](const char* text) { return *intake::base::parse_stored_time(text); };
  // 07:00 UTC: at 06:59 yesterday's is the latest due; at 07:00 today's.
  auto window = digest_due(at("2026-11-22T06:59:00.000Z"), 7, std::nullopt);
  REQUIRE(window);
  CHECK(window->until == at("2026-11-21T07:00:00.000Z"));
  CHECK(window->since == at("2026-11-20T07:00:00.000Z"));  // the first: one day back
  window = digest_due(at("2026-11-22T07:00:00.000Z"), 7, at("2026-11-21T07:00:00.000Z"));
  REQUIRE(window);
  CHECK(window->since == at("2026-11-21T07:00:00.000Z"));
  CHECK(window->until == at("2026-11-22T07:00:00.000Z"));
  CHECK(!digest_due(at("2026-11-22T18:00:00.000Z"), 7, at("2026-11-22T07:00:00.000Z")));  // sent already
  // A digest sent by hand at 10:00 moves the next one's start; after a long stop, at most a week back.
  CHECK(digest_due(at("2026-11-23T07:00:00.000Z"), 7, at("2026-11-22T10:00:00.000Z"))->since ==
        at("2026-11-22T10:00:00.000Z"));
  CHECK(digest_due(at("2026-12-22T08:00:00.000Z"), 7, at("2026-11-01T07:00:00.000Z"))->since ==
        at("2026-12-15T07:00:00.000Z"));
}

TEST_CASE("daily digest: a daily tenant gets no message per report, one digest of its uploads, once") {
  const Concluded concluded(intake::store::ReportMail::Daily);
  CHECK(concluded.deliveries().size() == 1);  // the report file only
  auto db = concluded.db();
  const auto received =
      *intake::base::parse_stored_time(intake::store::IngestRepository(db).find(concluded.id)->received_at);
  const auto hour_after = std::chrono::floor<std::chrono::hours>(received) + std::chrono::hours(1);
  const auto hour = static_cast<unsigned>((hour_after - std::chrono::floor<std::chrono::days>(hour_after)) /
                                          std::chrono::hours(1));
  CHECK(intake::delivery::queue_daily_digests(db, hour_after + std::chrono::minutes(1), hour) == 1);
  CHECK(intake::delivery::queue_daily_digests(db, hour_after + std::chrono::minutes(2), hour) == 0);  // once
  intake::store::DeliveryFilter filter;
  filter.tenant = "acme-corp";
  const auto digest = intake::store::OutboxRepository(db).list(filter).front();
  CHECK(digest.event == "digest");
  CHECK(!digest.ingest_id);
  CHECK(digest.target == "it@acme.example, hr@acme.example");
  const auto payload = nlohmann::json::parse(*digest.payload);
  CHECK(payload["uploads"] == 1);
  CHECK(payload["ingests"][0]["id"] == concluded.id);

  intake::delivery::MailSettings settings;
  settings.from = "Intake <intake@sftp.example.com>";
  settings.message_id_domain = "sftp.example.com";
  intake::store::IngestRecord none;
  none.tenant = "acme-corp";
  const intake::delivery::DeliveryJob job{digest, none, payload, {}};
  const auto message = intake::delivery::digest_message(settings, job, kNoon);
  CHECK(message.subject == "[Intake] daily report for acme-corp: 1 uploads (1 applied)");
  CHECK(message.message_id.starts_with("<digest.acme-corp."));
  CHECK(message.text.find("livesafe_snapshot.csv: applied (10 added, 0 updated, 0 removed, 1 invalid)") !=
        std::string::npos);
  CHECK(message.text.find("report: reports/" + concluded.id + "_livesafe_snapshot.csv.txt") !=
        std::string::npos);
}
