#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>
#include <mutex>
#include <thread>

#include "base/sha256.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/file_source.hpp"
#include "ingest/image.hpp"
#include "ingest/ingest_queue.hpp"
#include "ingest/phone.hpp"
#include "ingest/pipeline.hpp"
#include "ingest/plan.hpp"
#include "ingest/profile.hpp"
#include "ingest/profile_catalog.hpp"
#include "ingest/report.hpp"
#include "ingest/results.hpp"
#include "store/audit.hpp"
#include "store/directory.hpp"
#include "store/ingests.hpp"
#include "store/migrations.hpp"
#include "store/outbox.hpp"
#include "store/profiles.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"
#include "test_support.hpp"

using namespace intake::ingest;
using intake::store::IngestStatus;

namespace {

std::string sha256_hex(const std::string& content) {
  intake::base::Sha256 sha;
  sha.update(std::span(reinterpret_cast<const std::uint8_t*>(content.data()), content.size()));
  return sha.finish_hex();
}

// Hands out one byte per read: every boundary case of the streaming reader gets exercised.
class TrickleSource : public ByteSource {
 public:
  explicit TrickleSource(std::string text) : text_(std::move(text)) {}
  std::size_t read(std::span<char> buffer) override {
    if (at_ >= text_.size() || buffer.empty()) return 0;
    buffer[0] = text_[at_++];
    return 1;
  }

 private:
  std::string text_;
  std::size_t at_ = 0;
};

std::vector<CsvRecord> read_all(const std::string& text, bool trickle = false) {
  StringSource whole(text);
  TrickleSource bytes(text);
  CsvReader reader(trickle ? static_cast<ByteSource&>(bytes) : whole);
  std::vector<CsvRecord> out;
  while (true) {
    auto record = reader.next();
    REQUIRE_MESSAGE(record, (record ? "" : record.error().message));
    if (!*record) break;
    out.push_back(std::move(**record));
  }
  return out;
}

CsvError error_of(const std::string& text) {
  StringSource source(text);
  CsvReader reader(source);
  while (true) {
    auto record = reader.next();
    if (!record) return record.error();
    REQUIRE(*record);
  }
}

std::string utf16(const std::u16string& text, bool little) {
  std::string out = little ? "\xFF\xFE" : "\xFE\xFF";
  for (char16_t unit : text) {
    const char high = static_cast<char>(unit >> 8), low = static_cast<char>(unit & 0xff);
    out += little ? low : high;
    out += little ? high : low;
  }
  return out;
}

const FileSpec& livesafe() { return *find_builtin_profile("livesafe")->file_for("livesafe_snapshot.csv"); }

ParsedFile parse(const std::string& text, const std::string& org = "ORG1") {
  StringSource source(text);
  CsvReader reader(source);
  return parse_file(reader, livesafe(), {org, ""});
}

// A row's value in one of the LiveSafe slots (first_name, last_name, email, mobile phone, groups).
std::string slot(const ParsedFile& parsed, std::size_t row, std::string_view target) {
  const auto& spec = livesafe();
  const auto values = slot_values(parsed.rows.at(row).image, spec.slots.size());
  for (std::size_t i = 0; i < spec.slots.size(); ++i) {
    if (target_text(spec.slots[i]) == target) return std::string(values[i]);
  }
  FAIL("no slot " << target);
  return {};
}

// A stored LiveSafe user; the strings are literals, so the views stay valid.
StoredUser known(std::int64_t id, const char* key, const char* first, const char* email,
                 const char* group = "", bool manual = false, bool removed = false, const char* phone = "") {
  StoredUser user;
  user.id = id;
  user.key = key;
  user.fields[static_cast<std::size_t>(UserField::FirstName)] = first;
  user.fields[static_cast<std::size_t>(UserField::LastName)] = "B";
  user.fields[static_cast<std::size_t>(UserField::Email)] = email;
  if (*phone) user.contacts.push_back({ContactKind::Phone, "mobile", phone});
  user.groups = group;
  user.origin_file = manual ? "" : "livesafe_snapshot.csv";
  user.manual = manual;
  user.removed = removed;
  return user;
}

Plan plan_of(const ParsedFile& parsed, std::vector<StoredUser> stored) {
  return plan_file(livesafe(), parsed, std::move(stored), {"livesafe_snapshot.csv"});
}

const std::string kHeader = "organizationid,username,firstname,lastname,email,mobilephone,groupname\n";

// The LiveSafe tenant "acme-corp" with org id ORG1; returns its id.
std::int64_t add_acme_tenant(intake::store::Database& db) {
  intake::store::Tenant tenant;
  tenant.name = "acme-corp";
  tenant.org_id = "ORG1";
  tenant.profile = "livesafe";
  REQUIRE(intake::store::TenantRepository(db).add(tenant));
  return intake::store::TenantRepository(db).find("acme-corp")->id;
}

}  // namespace

TEST_CASE("CSV: RFC 4180 quoting, embedded separators and newlines, CRLF and LF, line numbers") {
  for (const bool trickle : {false, true}) {
    CAPTURE(trickle);
    const auto records =
        read_all("a,b,c\r\n\"x, y\",\"line1\nline2\",\"say \"\"hi\"\"\"\nlast,,\"\"", trickle);
    REQUIRE(records.size() == 3);
    CHECK(records[0].fields == std::vector<std::string>{"a", "b", "c"});
    CHECK(records[0].line == 1);
    CHECK(records[1].fields == std::vector<std::string>{"x, y", "line1\nline2", "say \"hi\""});
    CHECK(records[1].line == 2);
    CHECK(records[2].fields == std::vector<std::string>{"last", "", ""});
    CHECK(records[2].line == 4);  // the quoted newline moved it down
  }
  CHECK(read_all("").empty());
  CHECK(read_all("only\n").size() == 1);
  CHECK(read_all("a\r\n\r\nb").size() == 3);  // a blank line is a record with one empty field
}

TEST_CASE("CSV: UTF-8 with BOM, UTF-16 LE/BE with BOM, and undecodable text") {
  for (const bool trickle : {false, true}) {
    CAPTURE(trickle);
    auto records = read_all("\xEF\xBB\xBFname\ncaf\xC3\xA9\n", trickle);
    CHECK(records[0].fields[0] == "name");
    CHECK(records[1].fields[0] == "caf\xC3\xA9");
    for (const bool little : {true, false}) {
      records = read_all(utf16(u"n,\u00e9\r\nx,\U0001F600\r\n", little), trickle);
      REQUIRE(records.size() == 2);
      CHECK(records[0].fields[1] == "\xC3\xA9");
      CHECK(records[1].fields[1] == "\xF0\x9F\x98\x80");
    }
  }
  const auto latin1 = error_of("name\nok\ncaf\xE9\n");
  CHECK(latin1.line == 3);
  CHECK(latin1.message.find("not UTF-8") != std::string::npos);
  CHECK(error_of("a\n\"never closed\nb\n").message.find("never closed") != std::string::npos);
  CHECK(error_of(utf16(u"ab", true) + "x").message.find("UTF-16") != std::string::npos);
}

TEST_CASE("LiveSafe: headers in any order and case, every header required") {
  const auto parsed = parse(
      "GroupName, MobilePhone ,Email,LastName,FirstName,UserName,OrganizationID,extra\n"
      "Staff,+15713124645,j@example.org,Jones,Jessica,jjones,ORG1,ignored\n");
  REQUIRE(!parsed.rejection);
  REQUIRE(parsed.rows.size() == 1);
  CHECK(parsed.rows[0].key == "jjones");
  CHECK(slot(parsed, 0, "groups") == "Staff");
  CHECK(slot(parsed, 0, "contact:phone:mobile") == "+15713124645");
  CHECK(parsed.ignored_columns == std::vector<std::string>{"extra"});

  const auto missing = parse("organizationid,username,firstname,lastname,email\nORG1,a,b,c,d@e.org\n");
  REQUIRE(missing.rejection);
  CHECK(missing.rejection->message.find("mobilephone and groupname") != std::string::npos);
  CHECK(parse("").rejection->message.find("empty") != std::string::npos);
}

TEST_CASE("LiveSafe: org id, unique usernames, contact details") {
  const auto wrong_org = parse(kHeader + "ORG1,a,,,a@example.org,,\nOTHER,b,,,b@example.org,,\n");
  REQUIRE(wrong_org.rejection);
  CHECK(wrong_org.rejection->line == 3);
  CHECK(wrong_org.rejection->message.find("'OTHER'") != std::string::npos);
  CHECK(wrong_org.rows.empty());

  const auto parsed = parse(kHeader +
                            "ORG1,a,,,a@example.org,,\n"
                            "ORG1,a,,,again@example.org,,\n"
                            "ORG1,,,,x@example.org,,\n"
                            "ORG1,nocontact,,,,,\n"
                            "ORG1,bademail,,,not-mail,,\n"
                            "ORG1,badphone,,,,555-1234,\n"
                            "ORG1,phoneonly,,,,+447700900123,G\n"
                            "\n");
  CHECK(!parsed.rejection);
  CHECK(parsed.records == 7);
  CHECK(parsed.invalid == 5);
  CHECK(parsed.rows.size() == 2);
  REQUIRE(parsed.errors.size() == 5);
  CHECK(parsed.errors[0].line == 3);
  CHECK(parsed.errors[0].message.find("already appears on line 2") != std::string::npos);
  CHECK(parsed.errors[1].column == "username");
  CHECK(parsed.errors[2].message.find("neither email nor mobilephone") != std::string::npos);
  CHECK(parsed.errors[3].column == "email");
  CHECK(parsed.errors[4].message.find("E.164") != std::string::npos);
}

TEST_CASE("phone numbers: E.164 as typed without a region, national numbers normalised with one") {
  CHECK(valid_e164("+15713124645"));
  CHECK(!valid_e164("15713124645"));
  CHECK(!valid_e164("+0123"));
  CHECK(normalise_phone("+15713124645", "").value() == "+15713124645");
  const auto national = normalise_phone("571-312-4600", "");
  REQUIRE(!national);
  CHECK(national.error() ==
        "'571-312-4600' is not a phone number in international format (E.164, e.g. +15713124645)");
  CHECK(normalise_phone("571-312-4600", "US").value() == "+15713124600");
  CHECK(normalise_phone("(571) 312 4600", "US").value() == "+15713124600");
  CHECK(normalise_phone("+44 20 7946 0958", "US").value() == "+442079460958");  // international wins
  CHECK(normalise_phone("0171 1234567", "DE").value() == "+491711234567");
  CHECK(normalise_phone("555-0100", "US").value() == "+15550100");  // possible, if not allocated
  for (const auto* bad : {"12", "abc", "+1", "571-312-4600-99999999999"}) {
    CAPTURE(bad);
    const auto refused = normalise_phone(bad, "US");
    REQUIRE(!refused);
    CHECK(refused.error().find("national number of region US") != std::string::npos);
  }
  CHECK(checked_phone_region("us").value() == "US");
  CHECK(checked_phone_region("SE").value() == "SE");
  for (const auto* bad : {"", "USA", "XX", "u\x1b"}) {
    CAPTURE(bad);
    REQUIRE(!checked_phone_region(bad));
    CHECK(checked_phone_region(bad).error().find("two-letter ISO 3166") != std::string::npos);
  }

  // In a file: the tenant's region turns national numbers into E.164; other columns are untouched.
  const std::string file = kHeader + "ORG1,jane,Jane,Doe,,571-312-4600,G\nORG1,joe,Joe,Doe,,12,G\n";
  StringSource source(file);
  CsvReader reader(source);
  const auto parsed = parse_file(reader, livesafe(), {"ORG1", "US"});
  REQUIRE(parsed.rows.size() == 1);
  CHECK(slot(parsed, 0, "contact:phone:mobile") == "+15713124600");
  REQUIRE(parsed.errors.size() == 1);
  CHECK(parsed.errors[0].message ==
        "mobilephone '12' is not a phone number (a national number of region US, or international with "
        "its + and country code, e.g. +15713124645)");
}

TEST_CASE("plan: adds, updates, removals, unchanged, manual users untouched, comebacks") {
  const auto parsed = parse(kHeader +
                            "ORG1,same,A,B,a@x.org,,G\n"
                            "ORG1,changed,A,B,a@x.org,,H\n"
                            "ORG1,new,N,N,n@x.org,,\n"
                            "ORG1,staff,X,Y,z@x.org,,\n"
                            "ORG1,back,A,B,a@x.org,,\n");
  const auto plan =
      plan_of(parsed, {known(1, "same", "A", "a@x.org", "G"), known(2, "changed", "A", "a@x.org", "G"),
                       known(3, "gone", "A", "a@x.org"), known(4, "staff", "S", "s@x.org", "", true),
                       known(5, "back", "A", "a@x.org", "", false, true)});
  CHECK(plan.unchanged == 1);
  CHECK(plan.updated == 1);
  CHECK(plan.added == 1);
  CHECK(plan.brought_back == 1);
  REQUIRE(plan.writes.size() == 3);  // in line order
  CHECK((plan.writes[0].kind == WriteKind::Update && plan.writes[0].id == 2));
  CHECK((plan.writes[1].kind == WriteKind::Add && plan.writes[1].id == 0));
  CHECK((plan.writes[2].kind == WriteKind::Comeback && plan.writes[2].id == 5));
  REQUIRE(plan.removals.size() == 1);
  CHECK(plan.removals[0].id == 3);
  REQUIRE(plan.skipped.size() == 1);
  CHECK(plan.skipped[0].line == 5);
  CHECK(plan.active_synced == 3);
}

TEST_CASE("results file: every row in line order, worded for applied, proposed and rejected files") {
  const auto parsed = parse(kHeader +
                            "ORG1,same,A,B,a@x.org,,G\n"
                            "ORG1,bad,A,B,not-an-email,,\n"
                            "ORG1,changed,A,B,a@x.org,,H\n"
                            "ORG1,new,N,N,n@x.org,,\n"
                            "ORG1,staff,X,Y,z@x.org,,\n");
  const auto plan =
      plan_of(parsed, {known(1, "same", "A", "a@x.org", "G"), known(2, "changed", "A", "a@x.org", "G"),
                       known(3, "gone", "A", "a@x.org"), known(4, "staff", "S", "s@x.org", "", true)});
  const auto results = [&](const Plan& with, ResultsOutcome outcome) {
    std::string csv;
    write_results(livesafe(), parsed, with, outcome, [&](std::string_view piece) { csv += piece; });
    return csv;
  };
  const std::string invalid =
      "3,bad,invalid,email: 'not-an-email' is not an e-mail address (expected name@example.com; "
      "international "
      "domains in their xn-- form)\n";
  CHECK(results(plan, ResultsOutcome::Applied) ==
        "line,username,result,reason\n2,same,unchanged,\n" + invalid +
            "4,changed,updated,\n5,new,added,\n"
            "6,staff,skipped,user 'staff' was created by hand in the directory; files do not change it\n"
            ",gone,removed,not in this file\n");
  CHECK(results(plan, ResultsOutcome::Proposed) ==
        "line,username,result,reason\n2,same,unchanged,\n" + invalid +
            "4,changed,would be updated,\n5,new,would be added,\n"
            "6,staff,skipped,user 'staff' was created by hand in the directory; files do not change it\n"
            ",gone,would be removed,not in this file\n");
  const std::string rejected = ",not applied,the file was rejected (see the report); this row is valid\n";
  CHECK(results(Plan{}, ResultsOutcome::NotApplied) == "line,username,result,reason\n2,same" + rejected +
                                                           invalid + "4,changed" + rejected + "5,new" +
                                                           rejected + "6,staff" + rejected);
}

TEST_CASE("results file: cells a spreadsheet would run as a formula are neutralised, CSV quoting kept") {
  CHECK(spreadsheet_cell("plain") == "plain");
  CHECK(spreadsheet_cell("") == "");
  CHECK(spreadsheet_cell("=1+1") == "'=1+1");
  CHECK(spreadsheet_cell("+15551234") == "'+15551234");
  CHECK(spreadsheet_cell("-2") == "'-2");
  CHECK(spreadsheet_cell("@SUM(A1)") == "'@SUM(A1)");
  CHECK(spreadsheet_cell("\tx") == "'\tx");
  CHECK(spreadsheet_cell("\r=x") == "\"'\r=x\"");
  CHECK(spreadsheet_cell("a,b") == "\"a,b\"");
  CHECK(spreadsheet_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(spreadsheet_cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
  CHECK(spreadsheet_cell("a=b") == "a=b");  // only the first character matters
}

TEST_CASE("plan: a row skipped for an error never removes or changes its user") {
  const auto parsed = parse(kHeader + "ORG1,typo,A,B,not-an-email,,\nORG1,fine,A,B,f@x.org,,\n");
  CHECK(parsed.kept_keys == std::vector<std::string>{"typo"});
  const auto plan = plan_of(parsed, {known(1, "typo", "A", "a@x.org"), known(2, "fine", "A", "f@x.org")});
  CHECK(plan.removals.empty());
  CHECK(plan.writes.empty());
  CHECK(plan.unchanged == 1);
}

TEST_CASE("plan: a snapshot removes only the users its own file name synced") {
  const auto parsed = parse(kHeader + "ORG1,mine,A,B,a@x.org,,\n");
  auto other = known(2, "theirs", "A", "t@x.org");
  other.origin_file = "other_account.csv";
  const auto plan =
      plan_of(parsed, {known(1, "mine", "A", "a@x.org"), known(3, "gone", "A", "g@x.org"), other});
  REQUIRE(plan.removals.size() == 1);
  CHECK(plan.removals[0].key == "gone");
  CHECK(plan.active_synced == 2);
}

TEST_CASE("invalid-row guard: more than the percentage of the rows, said with the counts") {
  CHECK(!too_many_invalid(1, 10, 10));  // exactly 10%: within
  CHECK(too_many_invalid(2, 10, 10) ==
        std::optional<std::string>("2 of 10 rows are invalid (more than 10%)"));
  CHECK(!too_many_invalid(0, 0, 0));  // an empty file has nothing invalid
  CHECK(too_many_invalid(1, 1, 0).has_value());
}

TEST_CASE("mass-removal guard: more than the percentage and more than 10 users, for snapshots only") {
  FileSpec snapshot, delete_list;
  delete_list.semantics = Semantics::DeleteList;
  Plan plan;
  plan.active_synced = 100;
  plan.removals.assign(25, {});
  CHECK(!needs_hold(snapshot, plan, 25));
  plan.removals.assign(26, {});
  CHECK(needs_hold(snapshot, plan, 25));
  plan.active_synced = 20;
  plan.removals.assign(10, {});  // half, but only 10
  CHECK(!needs_hold(snapshot, plan, 25));
  plan.removals.assign(11, {});
  CHECK(needs_hold(snapshot, plan, 25));
  // A delete list names every user it removes: nothing to guard against.
  CHECK(!needs_hold(delete_list, plan, 25));
}

TEST_CASE("reports: text, file name and e-mail") {
  ReportInputs in;
  in.id = "20261121T221500.123Z-0000-abcd";
  in.tenant = "acme-corp";
  in.file_name = "livesafe_snapshot.csv";
  in.received_at = "2026-11-21T22:15:00.123Z";
  in.status = "applied";
  in.rows = 3;
  in.added = 2;
  in.invalid = 1;
  in.errors = {{4, "email", "'x' is not an e-mail address"}};
  const auto json = report_json(in);
  const auto text = render_report_text(json);
  CHECK(text.find("Status:      applied") != std::string::npos);
  CHECK(text.find("line 4, email: 'x' is not an e-mail address") != std::string::npos);
  // Named by the ingest id: two uploads received in the same millisecond get two reports.
  CHECK(report_file_name("20261121T221500.123Z-0000-3f9a", in.file_name) ==
        "20261121T221500.123Z-0000-3f9a_livesafe_snapshot.csv.txt");
  CHECK(report_file_name("20261121T221500.123Z-0001-07c2", in.file_name) !=
        report_file_name("20261121T221500.123Z-0000-3f9a", in.file_name));
  CHECK(report_email_subject(json) ==
        "[Intake] livesafe_snapshot.csv: applied (2 added, 0 updated, 0 removed, 1 invalid)");
}

namespace {

// acme-corp's data directory with a real database: uploads journalled as the SFTP server hands them
// over, applied by process_ingest.
struct AcmeDataDir {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};

  AcmeDataDir() {
    auto db = intake::store::Database::open(dir.path() / "intake.db");
    add_acme_tenant(db);
    std::filesystem::create_directories(dir.path() / "tenants" / "acme-corp" / "upload");
  }
  intake::store::Database open() const { return intake::store::Database::open(dir.path() / "intake.db"); }
  std::string upload(const std::string& content) const {
    const auto path = dir.path() / "tenants" / "acme-corp" / "upload" / "livesafe_snapshot.csv";
    std::ofstream(path) << content;
    auto id = journal_upload(settings, {"acme-corp", "livesafe_snapshot.csv", path, content.size(),
                                        "127.0.0.1", "SHA256:k", "s1", sha256_hex(content)});
    REQUIRE_MESSAGE(id, (id ? "" : id.error()));
    CHECK(!std::filesystem::exists(path));  // taken out of upload/
    return *id;
  }
  intake::store::IngestRecord record(const std::string& id) const {
    auto db = open();
    return *intake::store::IngestRepository(db).find(id);
  }
  // user0 … user<count-1>, first name F<suffix>, all in group G.
  static std::string users(int count, const std::string& suffix) {
    std::string csv = kHeader;
    for (int i = 0; i < count; ++i)
      csv += "ORG1,user" + std::to_string(i) + ",F" + suffix + ",L,u" + std::to_string(i) + "@x.org,,G\n";
    return csv;
  }
};

}  // namespace

TEST_CASE(
    "pipeline on a real database: apply, update and remove, duplicate, validation mode, hold and release") {
  AcmeDataDir acme;
  const auto& dir = acme.dir;
  const auto& settings = acme.settings;
  const auto upload = [&](const std::string& content) { return acme.upload(content); };
  const auto users = &AcmeDataDir::users;
  const auto counts = [&](const std::string& id) { return acme.record(id); };

  const auto first = upload(users(40, "a"));
  CHECK(process_ingest(settings, first).value() == intake::store::IngestStatus::Applied);
  CHECK(counts(first).counts.added == 40);
  CHECK(process_ingest(settings, first).value() == intake::store::IngestStatus::Applied);  // never twice
  CHECK(counts(first).counts.added == 40);

  const auto second = upload(users(35, "b"));
  CHECK(process_ingest(settings, second).value() == intake::store::IngestStatus::Applied);
  CHECK(counts(second).counts.updated == 35);
  CHECK(counts(second).counts.removed == 5);
  {
    auto db = intake::store::Database::open(dir.path() / "intake.db");
    const auto changes = intake::store::IngestRepository(db).changes(second, 100);
    REQUIRE(changes.size() == 40);  // in key order: user0 (line 2) first
    CHECK(changes[0].key == "user0");
    CHECK(changes[0].operation == "updated");
    CHECK(changes[0].line == 2);
    CHECK(nlohmann::json::parse(changes[0].fields_json) ==
          nlohmann::json::parse(R"({"first_name":["Fa","Fb"]})"));
    CHECK(std::count_if(changes.begin(), changes.end(),
                        [](const auto& c) { return c.operation == "removed"; }) == 5);
  }

  const auto again = upload(users(35, "b"));
  CHECK(process_ingest(settings, again).value() == intake::store::IngestStatus::Duplicate);

  const auto set_mode = [&](intake::store::TenantMode mode) {
    auto db = intake::store::Database::open(dir.path() / "intake.db");
    intake::store::TenantChanges changes;
    changes.mode = mode;
    REQUIRE(intake::store::TenantRepository(db).update("acme-corp", changes));
  };
  set_mode(intake::store::TenantMode::Validate);  // checked and reported, never applied
  const auto trial = upload(users(10, "c"));
  CHECK(process_ingest(settings, trial).value() == intake::store::IngestStatus::Validated);
  CHECK(counts(trial).counts.updated == 10);
  CHECK(counts(trial).status_message.find("nothing was applied") != std::string::npos);
  CHECK(counts(trial).status_message.find("held for support: it removes 25 of 35") != std::string::npos);
  {
    auto db = intake::store::Database::open(dir.path() / "intake.db");
    CHECK(intake::store::IngestRepository(db).changes(trial, 100).size() == 35);   // what it would change
    CHECK(intake::store::DirectoryRepository(db).find_users(1, {}).size() == 35);  // what it did not
  }
  set_mode(intake::store::TenantMode::Apply);

  const auto mass = upload(users(10, "b"));
  CHECK(process_ingest(settings, mass).value() == intake::store::IngestStatus::Held);
  CHECK(counts(mass).status_message.find("would remove 25 of 35") != std::string::npos);
  CHECK(process_ingest(settings, mass, Release::Yes).value() == intake::store::IngestStatus::Applied);
  CHECK(counts(mass).counts.removed == 25);

  auto db = intake::store::Database::open(dir.path() / "intake.db");
  const auto tenant = *intake::store::TenantRepository(db).find("acme-corp");
  intake::store::DirectoryRepository directory(db);
  CHECK(directory.find_users(tenant.id, {}).size() == 10);
  CHECK(directory.find_users(tenant.id, {std::nullopt, std::string("removed"), std::nullopt, 1000}).size() ==
        30);
  CHECK(directory.groups(tenant.id).at(0).members == 10);
  // Its held report and its final one wait in the outbox, queued with each status.
  const auto queued = intake::store::OutboxRepository(db).of_ingest(mass);
  REQUIRE(queued.size() == 2);
  CHECK(queued[0].ingest_status == intake::store::IngestStatus::Applied);
  CHECK(queued[1].ingest_status == intake::store::IngestStatus::Held);
  CHECK(queued[1].kind == intake::store::DeliveryKind::ReportFile);
}

TEST_CASE(
    "pipeline: unchanged users are known by the digests ingests store; anything else that changes a user "
    "clears its digest") {
  AcmeDataDir acme;
  const auto digests = [&] {
    auto db = acme.open();
    auto count = db.prepare("SELECT count(image_digest), count(*) FROM directory_users");
    REQUIRE(count.step());
    return std::pair{count.integer(0), count.integer(1)};
  };
  const auto first = acme.upload(AcmeDataDir::users(30, "a"));
  CHECK(process_ingest(acme.settings, first).value() == intake::store::IngestStatus::Applied);
  CHECK(digests() == std::pair<std::int64_t, std::int64_t>{30, 30});

  // Support removes group G by hand: its 30 members' digests go, so the next file, which lists G for
  // everyone, puts each back in it (instead of finding 29 users "unchanged").
  {
    auto db = acme.open();
    intake::store::Transaction transaction(db);
    CHECK(intake::store::DirectoryRepository(db).remove_group(1, "G", "alice"));
    transaction.commit();
  }
  CHECK(digests().first == 0);
  auto csv = AcmeDataDir::users(30, "a");
  csv.replace(csv.find(",Fa,"), 4, ",Fz,");  // user0's first name: the file is not a duplicate
  const auto second = acme.upload(csv);
  CHECK(process_ingest(acme.settings, second).value() == intake::store::IngestStatus::Applied);
  CHECK(acme.record(second).counts.updated == 30);
  CHECK(acme.record(second).counts.unchanged == 0);
  CHECK(digests().first == 30);
  {  // the file names G again: it comes back with its 30 members (a removed group never has members)
    auto db = acme.open();
    const auto groups = intake::store::DirectoryRepository(db).groups(1);
    REQUIRE(groups.size() == 1);
    CHECK(groups[0].external_id == "G");
    CHECK(groups[0].members == 30);
  }

  // Digests lost (a database from before them): the next file compares whole users, finds them
  // unchanged and stores their digests again.
  acme.open().execute("UPDATE directory_users SET image_digest = NULL");
  const auto third = acme.upload(AcmeDataDir::users(30, "a"));
  CHECK(process_ingest(acme.settings, third).value() == intake::store::IngestStatus::Applied);
  CHECK(acme.record(third).counts.updated == 1);
  CHECK(acme.record(third).counts.unchanged == 29);
  CHECK(digests().first == 30);

  // With them, the same: one update, 29 unchanged, one removal.
  auto fourth_csv = AcmeDataDir::users(29, "a");
  fourth_csv.replace(fourth_csv.find(",Fa,"), 4, ",Fy,");
  const auto fourth = acme.upload(fourth_csv);
  CHECK(process_ingest(acme.settings, fourth).value() == intake::store::IngestStatus::Applied);
  CHECK(acme.record(fourth).counts.updated == 1);
  CHECK(acme.record(fourth).counts.unchanged == 28);
  CHECK(acme.record(fourth).counts.removed == 1);
  CHECK(digests() == std::pair<std::int64_t, std::int64_t>{29, 30});  // a removed user keeps none
}

TEST_CASE(
    "the store reads whole users only where asked, stepping over short runs and seeking past long ones") {
  auto db = intake::store::Database::open_in_memory();
  const auto tenant_id = add_acme_tenant(db);
  intake::store::DirectoryRepository directory(db);
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) {
    char key[16];
    std::snprintf(key, sizeof key, "u%03d", i);
    keys.emplace_back(key);
    intake::store::UserWrite user;
    user.external_id = keys.back();
    user.fields[static_cast<std::size_t>(UserField::FirstName)] = keys.back();
    const std::string phone = "+1555000" + std::to_string(1000 + i);  // the write views it
    user.contacts.push_back({ContactKind::Phone, "mobile", phone, 0, true});
    user.origin_file = "livesafe_snapshot.csv";
    const auto id = directory.write_user(tenant_id, user, "i1");
    if (i % 3 == 0) directory.set_memberships(tenant_id, id, "livesafe_snapshot.csv", {"G", "H"}, true, "i1");
  }
  // Asked for: the first, a short run, isolated ones near each other and far apart, a long run (the
  // join drives, then the summaries again), the last.
  std::vector<int> asked{0, 1, 2, 3, 4, 5, 9, 20, 37, 38};
  for (int i = 100; i < 160; ++i) asked.push_back(i);
  for (const int i : {162, 200, 201, 250, 299}) asked.push_back(i);
  std::vector<std::string> summaries, whole;
  directory.for_each_user(
      tenant_id, "livesafe_snapshot.csv",
      [&](const intake::store::UserSummary& user) {
        summaries.emplace_back(user.external_id);
        const int index = std::stoi(std::string(user.external_id.substr(1)));
        return std::find(asked.begin(), asked.end(), index) != asked.end();
      },
      [&](const intake::store::StoredUserView& user) {
        const int index = std::stoi(std::string(user.external_id.substr(1)));
        CHECK(user.fields[static_cast<std::size_t>(UserField::FirstName)] == user.external_id);
        REQUIRE(user.contacts.size() == 1);
        CHECK(user.contacts[0].value == "+1555000" + std::to_string(1000 + index));
        CHECK(user.groups == (index % 3 == 0 ? "G\nH" : ""));
        whole.emplace_back(user.external_id);
      });
  CHECK(summaries == keys);
  std::vector<std::string> asked_keys;
  for (const int index : asked) asked_keys.push_back(keys[static_cast<std::size_t>(index)]);
  CHECK(whole == asked_keys);
}

TEST_CASE("snapshot: every repeat of a username is a row error pointing at its first line") {
  const auto parsed = parse(kHeader +
                            "ORG1,b,,,b@example.org,,\n"
                            "ORG1,a,,,a@example.org,,\n"
                            "ORG1,b,,,b2@example.org,,\n"
                            "ORG1,c,,,not-mail,,\n"
                            "ORG1,b,,,b3@example.org,,\n");
  REQUIRE(!parsed.rejection);
  CHECK(parsed.records == 5);
  CHECK(parsed.invalid == 3);
  REQUIRE(parsed.rows.size() == 2);
  CHECK(parsed.rows[0].key == "b");  // the first row counts, file order kept
  CHECK(slot(parsed, 0, "email") == "b@example.org");
  CHECK(parsed.rows[1].key == "a");
  // The key order handed to the planner points at the rows that stayed.
  REQUIRE(parsed.by_key.size() == 2);
  CHECK(parsed.rows[parsed.by_key[0]].key == "a");
  CHECK(slot(parsed, parsed.by_key[1], "email") == "b@example.org");
  REQUIRE(parsed.errors.size() == 3);  // merged in line order with the other row errors
  CHECK(parsed.errors[0].line == 4);
  CHECK(parsed.errors[0].message.find("'b' already appears on line 2") != std::string::npos);
  CHECK(parsed.errors[1].line == 5);
  CHECK(parsed.errors[1].column == "email");
  CHECK(parsed.errors[2].line == 6);
  CHECK(parsed.errors[2].message.find("already appears on line 2") != std::string::npos);
}

TEST_CASE("the store streams users in the planner's order, whatever the case or script of the names") {
  auto db = intake::store::Database::open_in_memory();
  const auto tenant_id = add_acme_tenant(db);
  intake::store::DirectoryRepository directory(db);
  const std::vector<std::string> names{"zed", "Zed", "\xc3\xa9mile", "emile", "a",
                                       "a-b", "a.b", "10",           "9",     "ab"};
  for (const auto& name : names) {
    intake::store::UserWrite user;
    user.external_id = name;
    user.fields[static_cast<std::size_t>(UserField::Email)] = "x@example.org";
    user.origin_file = "livesafe_snapshot.csv";
    directory.write_user(tenant_id, user, "i1");
  }
  std::vector<std::string> streamed;
  directory.for_each_user(
      tenant_id, "livesafe_snapshot.csv", [](const intake::store::UserSummary&) { return true; },
      [&](const intake::store::StoredUserView& u) { streamed.emplace_back(u.external_id); });
  auto sorted = names;
  std::sort(sorted.begin(), sorted.end());
  CHECK(streamed == sorted);

  // And the merge join finds every one of them again: no spurious adds or removals.
  std::string csv = kHeader;
  for (const auto& name : names) csv += "ORG1," + name + ",,,x@example.org,,\n";
  const auto parsed = parse(csv);
  Planner planner(livesafe(), parsed, {"livesafe_snapshot.csv"});
  directory.for_each_user(
      tenant_id, "livesafe_snapshot.csv", [](const intake::store::UserSummary&) { return true; },
      [&](const intake::store::StoredUserView& u) {
        StoredUser user;
        user.id = u.id;
        user.key = u.external_id;
        for (std::size_t i = 0; i < kUserFieldCount; ++i) user.fields[i] = u.fields[i];
        user.origin_file = u.origin_file;
        planner.add_known(user);
      });
  const auto plan = planner.finish();
  CHECK(plan.writes.empty());
  CHECK(plan.removals.empty());
  CHECK(plan.unchanged == names.size());
}

TEST_CASE("plan: a changed group is flagged, an unchanged one leaves the membership alone") {
  const auto parsed =
      parse(kHeader + "ORG1,same-group,Changed,B,a@x.org,,G\nORG1,new-group,A,B,a@x.org,,H\n");
  const auto plan = plan_of(
      parsed, {known(1, "same-group", "A", "a@x.org", "G"), known(2, "new-group", "A", "a@x.org", "G")});
  REQUIRE(plan.writes.size() == 2);
  CHECK(plan.writes[0].row->key == "same-group");
  const auto groups = livesafe().slots.size() - 1;  // groupname is the last column
  CHECK(!plan.writes[0].changed(groups));
  CHECK(plan.writes[0].changed(0));  // first_name
  CHECK(plan.writes[1].changed(groups));
  CHECK(plan.memberships_added == 1);
  CHECK(plan.memberships_removed == 1);
}

namespace {

// Journals `content` as acme-corp's livesafe_snapshot.csv, as the SFTP server hands it over.
tl::expected<std::string, std::string> journal_file(const IngestSettings& settings,
                                                    const std::string& content) {
  const auto path = settings.data_dir / "livesafe_snapshot.csv";
  std::ofstream(path) << content;
  return journal_upload(settings, {"acme-corp", "livesafe_snapshot.csv", path, content.size(), "127.0.0.1",
                                   "SHA256:k", "s1", sha256_hex(content)});
}

}  // namespace

TEST_CASE("queue retries: transient failures wait them out, a failure that repeats concludes failed") {
  const RetryPolicy policy{{std::chrono::seconds(1)}, 3};
  CHECK(after_failure({"database is locked", true}, 50, policy) == AfterFailure::Retry);
  CHECK(after_failure({"cannot read the archive", false}, 2, policy) == AfterFailure::Retry);
  CHECK(after_failure({"cannot read the archive", false}, 3, policy) == AfterFailure::Conclude);
}

TEST_CASE("queue retries: a failing file waits on a timer, not on a worker, and keeps its tenant's order") {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  std::mutex notes_mutex;
  std::vector<std::string> notes;
  settings.on_error = [&](const std::string&, const std::string& note) {
    std::lock_guard lock(notes_mutex);
    notes.push_back(note);
  };
  auto db = intake::store::Database::open(dir.path() / "intake.db");
  add_acme_tenant(db);
  intake::store::Tenant other;
  other.name = "other-co";
  other.org_id = "ORG2";
  other.profile = "livesafe";
  REQUIRE(intake::store::TenantRepository(db).add(other));
  intake::store::IngestRepository ingests(db);
  // acme-corp's first file cannot be read (its archive became a folder); its second waits behind it.
  const auto broken = journal_file(settings, kHeader + "ORG1,a,A,B,a@example.org,,G\n");
  const auto next = journal_file(settings, kHeader + "ORG1,b,A,B,b@example.org,,G\n");
  REQUIRE((broken && next));
  const auto archive = *ingests.find(*broken)->archive_path;
  std::filesystem::remove(archive);
  std::filesystem::create_directory(archive);
  const auto other_path = dir.path() / "other.csv";
  std::ofstream(other_path) << kHeader + "ORG2,c,A,B,c@example.org,,G\n";
  const auto other_file = journal_upload(
      settings, {"other-co", "livesafe_snapshot.csv", other_path, 10, "127.0.0.1", "SHA256:k", "s2", ""});
  REQUIRE(other_file);

  SUBCASE("one worker: the other tenant's file is applied while the broken one waits for its retry") {
    IngestQueue queue(settings, 1, {{std::chrono::hours(1)}, 3});  // a retry that never comes in the test
    queue.submit("acme-corp", *broken);
    queue.submit("acme-corp", *next);
    queue.submit("other-co", *other_file);
    CHECK(queue.wait_for_backlog("other-co", 0, std::chrono::seconds(30)));
    CHECK(ingests.find(*other_file)->status == IngestStatus::Applied);
    CHECK(ingests.find(*broken)->status == IngestStatus::Queued);  // it could not even be read
    CHECK(ingests.find(*broken)->status_message.find("attempt 1 failed (cannot read") != std::string::npos);
    CHECK(ingests.find(*next)->status == IngestStatus::Queued);                      // order held
    CHECK(queue.stop(std::chrono::steady_clock::now() + std::chrono::seconds(30)));  // the timer ends at once
    CHECK(queue.left_queued() == std::vector<std::string>{*broken, *next});
  }
  SUBCASE("the same failure three times: concluded failed with the reason, and the next file goes") {
    IngestQueue queue(settings, 2, {{std::chrono::milliseconds(1)}, 3});
    queue.submit("acme-corp", *broken);
    queue.submit("acme-corp", *next);
    CHECK(queue.wait_for_backlog("acme-corp", 0, std::chrono::seconds(30)));
    const auto failed = ingests.find(*broken);
    CHECK(failed->status == IngestStatus::Failed);
    CHECK(failed->status_message.starts_with(
        "failed the same way 3 times, so it is not tried again: cannot read"));
    CHECK(ingests.find(*next)->status == IngestStatus::Applied);
    const auto audit = intake::store::AuditLog(db).list(std::string("acme-corp"), 10);
    CHECK(std::any_of(audit.begin(), audit.end(), [&](const intake::store::AuditEvent& event) {
      return event.actor == "intake serve" && event.details.find(*broken) != std::string::npos;
    }));
    std::lock_guard lock(notes_mutex);
    CHECK(std::count_if(notes.begin(), notes.end(), [](const std::string& note) {
            return note.starts_with("attempt ");
          }) == 2);  // retried twice, concluded at the third
  }
}

TEST_CASE("queue flow control: a tenant's backlog is waited for, with a bound") {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  auto db = intake::store::Database::open(dir.path() / "intake.db");
  add_acme_tenant(db);
  const std::string content = kHeader + "ORG1,a,A,B,a@example.org,,G\n";
  const auto id = journal_file(settings, content);
  REQUIRE(id);

  IngestQueue queue(settings, 2);
  CHECK(queue.wait_for_backlog("acme-corp", 0, std::chrono::milliseconds(0)));  // nothing submitted
  {
    intake::store::Transaction hold_the_lock(db);  // the ingest cannot conclude while this is open
    queue.submit("acme-corp", *id);
    CHECK(!queue.wait_for_backlog("acme-corp", 0, std::chrono::milliseconds(300)));  // bounded: gives up
    CHECK(queue.wait_for_backlog("acme-corp", 1, std::chrono::milliseconds(0)));     // one may wait
    CHECK(queue.wait_for_backlog("other-tenant", 0, std::chrono::milliseconds(0)));  // tenants apart
  }
  CHECK(queue.wait_for_backlog("acme-corp", 0, std::chrono::seconds(20)));  // concluded once released
  CHECK(intake::store::IngestRepository(db).find(*id)->status == intake::store::IngestStatus::Applied);
}

TEST_CASE(
    "queue shutdown: nothing starts after stop_taking, the running job is waited for until the deadline") {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  auto db = intake::store::Database::open(dir.path() / "intake.db");
  add_acme_tenant(db);
  std::vector<std::string> ids;
  for (const char* user : {"a", "b", "c"}) {
    const auto id = journal_file(settings, kHeader + "ORG1," + user + ",A,B," + user + "@example.org,,G\n");
    REQUIRE(id);
    ids.push_back(*id);
  }
  IngestQueue queue(settings, 1);
  {
    intake::store::Transaction hold_the_lock(db);  // the first job cannot conclude while this is open
    for (const auto& id : ids) queue.submit("acme-corp", id);
    while (queue.running().empty()) std::this_thread::yield();
    CHECK(queue.running() == std::vector<std::string>{ids[0]});
    CHECK_FALSE(queue.stop(std::chrono::steady_clock::now() + std::chrono::milliseconds(200)));
    CHECK(queue.running() == std::vector<std::string>{ids[0]});  // still applying: the caller abandons it
  }
  CHECK(queue.stop(std::chrono::steady_clock::now() + std::chrono::seconds(30)));
  CHECK(queue.running().empty());
  CHECK(queue.left_queued() == std::vector<std::string>{ids[1], ids[2]});
  intake::store::IngestRepository ingests(db);
  CHECK(ingests.find(ids[0])->status == intake::store::IngestStatus::Applied);
  CHECK(ingests.find(ids[1])->status ==
        intake::store::IngestStatus::Queued);  // the next start runs them, in this order
  CHECK(ingests.find(ids[2])->status == intake::store::IngestStatus::Queued);
}

TEST_CASE(
    "a poison file (megabyte cells, every row invalid) concludes once, its problems and report bounded") {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  auto db = intake::store::Database::open(dir.path() / "intake.db");
  add_acme_tenant(db);
  std::string content = kHeader;
  for (int i = 0; i < 1500; ++i)
    content += "ORG1,user" + std::to_string(i) + ",A,B," + std::string(i < 20 ? 900'000 : 2'000, 'x') +
               "@example.org,,G\n";
  const auto id = journal_file(settings, content);
  REQUIRE(id);
  CHECK(process_ingest(settings, db, *id) == IngestStatus::Rejected);
  intake::store::IngestRepository ingests(db);
  const auto record = ingests.find(*id);
  CHECK(record->counts.invalid == 1500);
  CHECK(record->report->size() < 400'000);    // 1,000 problems of at most 80 quoted characters
  CHECK(ingests.errors(*id).size() == 1000);  // the rest counted, not stored
  CHECK(record->report->find(std::string(81, 'x')) == std::string::npos);  // no cell quoted whole
  CHECK(process_ingest(settings, db, *id) == IngestStatus::Rejected);      // concluded: never run again
}

TEST_CASE("an archived file that changed after it was journalled is never applied") {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  std::string alert;
  settings.on_error = [&](const std::string&, const std::string& error) { alert = error; };
  auto db = intake::store::Database::open(dir.path() / "intake.db");
  add_acme_tenant(db);
  const std::string content = kHeader + "ORG1,a,A,B,a@example.org,,G\n";
  const auto id = journal_file(settings, content);
  REQUIRE(id);
  intake::store::IngestRepository ingests(db);
  CHECK(ingests.find(*id)->sha256 == sha256_hex(content));  // journalled with the upload
  std::ofstream(*ingests.find(*id)->archive_path, std::ios::app) << "ORG1,b,Late,Bytes,b@example.org,,G\n";

  const auto status = process_ingest(settings, db, *id);
  REQUIRE(status);
  CHECK(*status == intake::store::IngestStatus::Failed);
  CHECK(ingests.find(*id)->status_message.find("no longer matches what was received") != std::string::npos);
  CHECK(alert.find("changed after it was received") != std::string::npos);
  CHECK(intake::store::DirectoryRepository(db).find_users(1, {}).empty());
}

TEST_CASE(
    "a v5 database with LiveSafe data upgrades to the v6 directory and the v7 journal losslessly: the next "
    "snapshot changes nothing") {
  intake::test::TempDir dir;
  const auto path = dir.path() / "intake.db";
  {
    // The schema as version 5 left it, filled the way the LiveSafe ingest of that version did.
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    std::string sql;
    for (std::size_t v = 0; v < 5; ++v) sql += std::string(intake::store::migrations()[v]);
    sql += R"sql(
      PRAGMA user_version = 5;
      INSERT INTO tenants (id, name, org_id, profile, created_at, updated_at) VALUES (1, 'acme-corp', 'ORG1', 'livesafe', 'x', 'x');
      INSERT INTO ingests (id, tenant_id, file_name, kind, size, received_at, status) VALUES ('20260101T000000.000Z-0000-abcd', 1, 'livesafe_snapshot.csv', 'livesafe_snapshot.csv', 1, 'x', 'applied');
      INSERT INTO directory_groups (id, tenant_id, external_id, name, source, created_at, updated_at, last_ingest_id) VALUES (7, 1, 'Staff', 'Staff', 'sync', 'x', 'x', '20260101T000000.000Z-0000-abcd');
      INSERT INTO directory_users (id, tenant_id, external_id, first_name, last_name, email, phone, source, created_at, updated_at, last_ingest_id, attributes)
        VALUES (1, 1, 'jjones', 'Jessica', 'Jones', 'j@example.org', '+15713124645', 'sync', 'x', 'x', '20260101T000000.000Z-0000-abcd', '{"note":"kept"}'),
               (2, 1, 'lcage', 'Luke', 'Cage', '', '+15713124646', 'sync', 'x', 'x', '20260101T000000.000Z-0000-abcd', '{}'),
               (3, 1, 'gone', 'Old', 'User', 'g@example.org', '', 'sync', 'x', 'x', '20260101T000000.000Z-0000-abcd', '{}'),
               (4, 1, 'boss', 'By', 'Hand', 'b@example.org', '', 'manual', 'x', 'x', NULL, '{}');
      UPDATE directory_users SET deleted_at = 'y', status = 'removed' WHERE id = 3;
      INSERT INTO directory_memberships (user_id, group_id, source, created_at) VALUES (1, 7, 'sync', 'x'), (4, 7, 'manual', 'x');
    )sql";
    char* error = nullptr;
    REQUIRE_MESSAGE(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, &error) == SQLITE_OK,
                    (error ? error : ""));
    sqlite3_close(raw);
  }
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  {
    auto db = intake::store::Database::open(path);
    CHECK(db.schema_version() == intake::store::latest_schema_version());
    intake::store::DirectoryRepository directory(db);
    const auto jjones = directory.find_user(1, "jjones").value();
    CHECK(jjones.field(UserField::FirstName) == "Jessica");
    CHECK(jjones.phone() == "+15713124645");
    CHECK(jjones.origin_file == std::optional<std::string>("livesafe_snapshot.csv"));
    CHECK(jjones.groups == std::vector<std::string>{"Staff"});
    CHECK(jjones.attributes == std::vector<std::pair<std::string, std::string>>{{"note", "kept"}});
    CHECK(directory.find_user(1, "gone")->removed_at == std::optional<std::string>("y"));
    const auto boss = directory.find_user(1, "boss").value();
    CHECK(!boss.origin_file);
    CHECK(boss.groups == std::vector<std::string>{"Staff"});  // the manual membership too
    // v7 rebuilt the journal (row for row) and gave the tenant its defaults.
    CHECK(intake::store::IngestRepository(db).find("20260101T000000.000Z-0000-abcd")->status ==
          intake::store::IngestStatus::Applied);
    const auto tenant = intake::store::TenantRepository(db).find("acme-corp").value();
    CHECK(tenant.mode == intake::store::TenantMode::Apply);
    CHECK(tenant.phone_region.empty());
  }
  const auto id = journal_file(settings, kHeader +
                                             "ORG1,jjones,Jessica,Jones,j@example.org,+15713124645,Staff\n"
                                             "ORG1,lcage,Luke,Cage,,+15713124646,\n");
  REQUIRE(id);
  CHECK(process_ingest(settings, *id).value() == intake::store::IngestStatus::Applied);
  auto db = intake::store::Database::open(path);
  const auto record = intake::store::IngestRepository(db).find(*id).value();
  CHECK(record.counts.unchanged == 2);
  CHECK(record.counts.added + record.counts.updated + record.counts.removed == 0);
  CHECK(intake::store::IngestRepository(db).changes(*id).empty());
}

TEST_CASE("profiles of your own: versions by sha256, the newest used, removal kept on record, load errors") {
  auto db = intake::store::Database::open_in_memory();
  intake::store::ProfileRepository profiles(db);
  const std::string head = "name = \"hr\"\ntitle = \"HR\"\n[[files]]\nname = \"hr.csv\"\nkey = \"id\"\n";
  const std::string v1 = head + "[[files.columns]]\nheader = \"id\"\ntarget = \"key\"\n";
  const std::string v2 = v1 + "[[files.columns]]\nheader = \"mail\"\ntarget = \"email\"\n";
  const auto loaded1 = check_new_profile(v1, "hr.toml").value();
  const auto loaded2 = check_new_profile(v2, "hr.toml").value();
  CHECK(
      check_new_profile(
          "name = \"livesafe\"\ntitle = \"x\"\n[[files]]\nname = \"a.csv\"\nkey = \"id\"\n[[files.columns]]\n"
          "header = \"id\"\ntarget = \"key\"\n",
          "mine.toml")
          .error()
          .find("'livesafe' is a built-in profile") != std::string::npos);

  CHECK(profiles.add("hr", loaded1.sha256, v1, "alice"));
  CHECK_FALSE(profiles.add("hr", loaded1.sha256, v1, "alice"));  // already the newest
  CHECK(find_profile(db, "hr").value()->sha256 == loaded1.sha256);
  CHECK(profiles.add("hr", loaded2.sha256, v2, "bob"));
  CHECK(find_profile(db, "hr").value()->sha256 == loaded2.sha256);  // the newest version is used
  CHECK(find_profile(db, "hr").value()->files[0].columns.size() == 2);
  CHECK(profiles.add("hr", loaded1.sha256, v1, "alice"));  // an older version again: newest now
  CHECK(profiles.newest("hr")->sha256 == loaded1.sha256);
  CHECK(profiles.version_count("hr") == 2);
  CHECK(profiles.list().size() == 1);
  CHECK(find_profile(db, "livesafe").value()->name == "livesafe");  // built-ins first
  CHECK(profile_names(db) == builtin_profile_names() + ", hr");

  CHECK(profiles.remove("hr"));
  CHECK_FALSE(profiles.remove("hr"));
  CHECK(!profiles.newest("hr"));
  // Kept for the ingests that used them.
  CHECK(profiles.version_count("hr") == 2);
  auto kept = db.prepare("SELECT definition FROM profiles WHERE sha256 = ?1");
  kept.bind(1, loaded2.sha256);
  REQUIRE(kept.step());
  CHECK(kept.text(0) == v2);
  const auto unknown = find_profile(db, "hr");
  REQUIRE(!unknown);
  CHECK(unknown.error().find("unknown profile 'hr'; profiles: cosafe") != std::string::npos);

  // A stored definition this intake no longer loads: an error that names it and says what to do.
  CHECK(profiles.add("old", std::string(64, 'a'), "name = \"old\"\n", "carol"));
  const auto broken = find_profile(db, "old");
  REQUIRE(!broken);
  CHECK(broken.error().find("profile 'old' (version aaaaaaaaaaaa") != std::string::npos);
  CHECK(broken.error().find("old.toml:") != std::string::npos);
  CHECK(broken.error().find("intake profile add FILE") != std::string::npos);
}

TEST_CASE("an archived file that cannot be read is an error, never a shorter file") {
  intake::test::TempDir dir;
  const auto path = dir.path() / "f.csv";
  std::ofstream(path) << "a,b\n";
  FileSource whole(path);
  std::array<char, 64> buffer{};
  CHECK(whole.read(buffer) == 4);
  CHECK(whole.read(buffer) == 0);  // the end
  CHECK(!whole.error());

  FileSource missing(dir.path() / "gone.csv");
  CHECK(missing.read(buffer) == 0);
  CHECK(missing.error().value().find("cannot open it") != std::string::npos);

  // read() on a directory fails (EISDIR) as a failing disk would: the stream ends and says why.
  FileSource failing(dir.path());
  CHECK(failing.read(buffer) == 0);
  REQUIRE(failing.error());
  CHECK(*failing.error() == "reading it failed after 0 bytes: Is a directory");
  CsvReader reader(failing, ',');
  CHECK(reader.next().value() == std::nullopt);  // the parser sees an end, which the pipeline must not trust
}
