// Passwords in uploaded files: hashed on the bounded pool, in no output, and blanked in the archived
// copy once the ingest concludes — also when a crash came between the conclusion and the blanking.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "base/password_hash.hpp"
#include "base/sha256.hpp"
#include "ingest/archive_redaction.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/password_hasher.hpp"
#include "ingest/pipeline.hpp"
#include "ingest/profile.hpp"
#include "store/directory.hpp"
#include "store/ingests.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"
#include "test_support.hpp"

using namespace intake::ingest;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_all(const fs::path& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

const FileSpec& userstosync() { return *find_builtin_profile("limeade")->file_for("userstosync.csv"); }

ParsedFile parse(const FileSpec& spec, const std::string& text) {
  StringSource source(text);
  CsvReader reader(source, spec.delimiter);
  return parse_file(reader, spec, {"ORG1", ""});
}

}  // namespace

TEST_CASE("archive redaction: the password field of every data row is blanked, everything else kept") {
  intake::test::TempDir dir;
  const auto path = dir.path() / "upload.csv";
  write_all(path,
            "Firstname,lastname,email,role,language,password,sendemail\r\n"
            "Kelly,Gault,k@example.com,default,en,\"Se,cret\"\"1\",TRUE\r\n"
            "\r\n"
            "Sam,\"Re\nyes\",s@example.com,,,pw2,FALSE\r\n"
            "Short,row\r\n");
  REQUIRE(redact_archive(path, {5, true, ','}));
  CHECK(read_all(path) ==
        "Firstname,lastname,email,role,language,password,sendemail\n"
        "Kelly,Gault,k@example.com,default,en,,TRUE\n"
        "\n"
        "Sam,\"Re\nyes\",s@example.com,,,,FALSE\n"
        "Short,row\n");

  // Without a header every row is data; UTF-16 is read and written back as UTF-8.
  std::string utf16 = "\xFF\xFE";
  for (const char c : std::string("Ann,Lee,a@example.com,,,topsecret,TRUE\n")) utf16 += std::string{c, '\0'};
  write_all(path, utf16);
  REQUIRE(redact_archive(path, {5, false, ','}));
  CHECK(read_all(path) == "Ann,Lee,a@example.com,,,,TRUE\n");

  // What cannot be read as CSV from some record on may hold passwords: a note replaces it.
  write_all(path, "a,b,c,d,e,pw1,x\n\"unterminated,pw2\n");
  REQUIRE(redact_archive(path, {5, false, ','}));
  const auto unreadable = read_all(path);
  CHECK(unreadable.starts_with("a,b,c,d,e,,x\n# The rest of this upload could not be read as CSV"));
  CHECK(unreadable.find("pw") == std::string::npos);

  // A file refused before its columns were known is blanked whole.
  write_all(path, "password\nhunter2\n");
  REQUIRE(redact_archive(path, {std::nullopt, true, ','}));
  CHECK(read_all(path).find("hunter2") == std::string::npos);

  CHECK(parse_redaction(redaction_text({7, true, ';'}))->field == 7u);
  CHECK(parse_redaction(redaction_text({std::nullopt, false, '\t'}))->delimiter == '\t');
  CHECK(!parse_redaction("not json"));
}

TEST_CASE("password hasher: every cell hashed on the pool, the plain text gone, callers sharing it") {
  const auto& spec = userstosync();
  std::string csv;
  for (int i = 0; i < 20; ++i)
    csv += "F,L,u" + std::to_string(i) + "@example.com,,,password-" + std::to_string(i) + ",,,\n";
  auto first = parse(spec, csv);
  auto second = parse(spec, "F,L,x@example.com,,,other secret,,,\n");
  REQUIRE(first.secrets.size() == 20);
  CHECK(first.secret_of(first.rows[3])->plain.view() == "password-3");
  CHECK(first.secret_field == 5u);
  CHECK(!first.has_header);
  PasswordHasher hasher(2, intake::base::PasswordHashCost{});
  std::thread other([&] { REQUIRE(hasher.hash(second.secrets)); });
  REQUIRE(hasher.hash(first.secrets));
  other.join();
  for (std::size_t i = 0; i < first.secrets.size(); ++i) {
    CHECK(first.secrets[i].plain.empty());
    CHECK(intake::base::verify_password(first.secrets[i].hash, "password-" + std::to_string(i)));
  }
  CHECK(intake::base::verify_password(second.secrets[0].hash, "other secret"));
}

TEST_CASE(
    "pipeline: passwords are hashed into the directory and blanked in the archive, also after a crash") {
  intake::test::TempDir dir;
  IngestSettings settings{dir.path(), 10, 25, {}, {}, {}};
  auto db = intake::store::Database::open(dir.path() / "intake.db");
  intake::store::Tenant tenant;
  tenant.name = "lime";
  tenant.org_id = "ORG1";
  tenant.profile = "limeade";
  REQUIRE(intake::store::TenantRepository(db).add(tenant));
  const auto journal = [&](const std::string& content) {
    const auto path = dir.path() / "userstosync.csv";
    write_all(path, content);
    const auto id = journal_upload(settings, {"lime", "userstosync.csv", path, content.size(), "127.0.0.1",
                                              "SHA256:k", "s1", intake::base::sha256_hex(content)});
    REQUIRE(id);
    return *id;
  };
  const std::string content = "Kelly,Gault,k@example.com,,,Pa55-word!,,,\nSam,Reyes,s@example.com,,,,,,\n";
  const auto id = journal(content);
  intake::store::IngestRepository ingests(db);
  const auto archive = *ingests.find(id)->archive_path;
  CHECK(process_ingest(settings, db, id) == intake::store::IngestStatus::Applied);
  CHECK(read_all(archive) == "Kelly,Gault,k@example.com,,,,,,\nSam,Reyes,s@example.com,,,,,,\n");
  CHECK(ingests.pending_redactions().empty());
  CHECK(ingests.find(id)->sha256 == intake::base::sha256_hex(content));  // the original's, for duplicates
  const auto hash_of = [&](const std::string& user) -> std::optional<std::string> {
    auto select = db.prepare("SELECT password_hash FROM directory_users WHERE external_id = ?1");
    select.bind(1, user);
    REQUIRE(select.step());
    return select.optional_text(0);
  };
  CHECK(intake::base::verify_password(hash_of("k@example.com").value_or(""), "Pa55-word!"));
  CHECK(!hash_of("s@example.com"));  // no password in the file: none set

  // The same user again with another password: an existing user's password is never overwritten.
  const auto again = journal("Kelly,Gault-Smith,k@example.com,,,Other-pass-2,,,\n");
  CHECK(process_ingest(settings, db, again) == intake::store::IngestStatus::Applied);
  CHECK(intake::base::verify_password(hash_of("k@example.com").value_or(""), "Pa55-word!"));

  // A crash between the conclusion and the blanking: the start-up sweep blanks it.
  const auto crashed = journal("Ann,Lee,a@example.com,,,Lost-in-a-crash,,,\n");
  CHECK(process_ingest(settings, db, crashed) == intake::store::IngestStatus::Applied);
  const auto crashed_archive = *ingests.find(crashed)->archive_path;
  write_all(crashed_archive, "Ann,Lee,a@example.com,,,Lost-in-a-crash,,,\n");  // as it was before
  db.prepare("UPDATE ingests SET archive_redacted_at = NULL WHERE id = ?1").bind(1, crashed).run();
  REQUIRE(ingests.pending_redactions().size() == 1);
  CHECK(redact_concluded_archives(settings, db) == 1);
  CHECK(read_all(crashed_archive) == "Ann,Lee,a@example.com,,,,,,\n");
  CHECK(redact_concluded_archives(settings, db) == 0);
}
