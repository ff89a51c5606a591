#include <doctest/doctest.h>
#include <fcntl.h>

#include <cstring>
#include <fstream>

#include "server/sftp/codec.hpp"
#include "server/sftp/sftp_session.hpp"
#include "server/sftp/upload_space.hpp"
#include "server/sftp/upload_sweep.hpp"
#include "server/sftp/virtual_path.hpp"
#include "test_support.hpp"

using namespace intake::server::sftp;

namespace {

// Builds a request packet (without the length prefix), the way a client would.
struct PacketBuilder {
  std::vector<std::uint8_t> bytes;
  explicit PacketBuilder(std::uint8_t type) { bytes.push_back(type); }
  PacketBuilder& u32(std::uint32_t value) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<std::uint8_t>(value >> shift));
    return *this;
  }
  PacketBuilder& u64(std::uint64_t value) {
    return u32(static_cast<std::uint32_t>(value >> 32)).u32(static_cast<std::uint32_t>(value));
  }
  PacketBuilder& str(std::string_view text) {
    u32(static_cast<std::uint32_t>(text.size()));
    bytes.insert(bytes.end(), text.begin(), text.end());
    return *this;
  }
};

std::uint32_t read_u32(const std::vector<std::uint8_t>& bytes, std::size_t at) {
  return (std::uint32_t{bytes[at]} << 24) | (std::uint32_t{bytes[at + 1]} << 16) |
         (std::uint32_t{bytes[at + 2]} << 8) | bytes[at + 3];
}

}  // namespace

TEST_CASE("decoding every v3 request") {
  // Requests are views into their packet: keep the packet alive while using them.
  const auto open_packet = PacketBuilder(3).u32(7).str("/upload/a.csv").u32(0x1a).u32(0x01).u64(99).bytes;
  const auto open = decode_request(open_packet);
  REQUIRE(open);
  const auto& o = std::get<Open>(*open);
  CHECK(o.id == 7);
  CHECK(o.path == "/upload/a.csv");
  CHECK(o.flags == 0x1a);
  CHECK(o.attrs.size == 99u);

  const auto write_packet = PacketBuilder(6).u32(8).str("h1").u64(1ULL << 33).str("DATA").bytes;
  const auto write = decode_request(write_packet);
  REQUIRE(write);
  const auto& w = std::get<Write>(*write);
  CHECK(w.offset == 1ULL << 33);
  CHECK(std::string(reinterpret_cast<const char*>(w.data.data()), w.data.size()) == "DATA");

  const auto setstat = decode_request(
      PacketBuilder(9).u32(9).str("x").u32(0x0f).u64(5).u32(1).u32(2).u32(0644).u32(10).u32(20).bytes);
  REQUIRE(setstat);
  const auto& s = std::get<Setstat>(*setstat);
  CHECK(s.attrs.uid == 1u);
  CHECK(s.attrs.permissions == 0644u);
  CHECK(s.attrs.mtime == 20u);

  CHECK(std::holds_alternative<Init>(*decode_request(PacketBuilder(1).u32(3).bytes)));
  const auto close_packet = PacketBuilder(4).u32(1).str("h").bytes;
  CHECK(std::get<Close>(*decode_request(close_packet)).handle == "h");
  CHECK(std::get<Read>(*decode_request(PacketBuilder(5).u32(1).str("h").u64(10).u32(4096).bytes)).length ==
        4096);
  for (const int type : {7, 8, 11, 12, 13, 15, 16, 17, 19}) {
    CAPTURE(type);
    CHECK(decode_request(PacketBuilder(static_cast<std::uint8_t>(type)).u32(1).str("/x").bytes));
  }
  const auto rename_packet = PacketBuilder(18).u32(1).str("a").str("b").bytes;
  CHECK(std::get<Rename>(*decode_request(rename_packet)).to == "b");
  const auto symlink_packet = PacketBuilder(20).u32(1).str("l").str("t").bytes;
  CHECK(std::get<Symlink>(*decode_request(symlink_packet)).target == "t");
  CHECK(std::holds_alternative<Mkdir>(*decode_request(PacketBuilder(14).u32(1).str("d").u32(0).bytes)));
  CHECK(std::holds_alternative<Fsetstat>(*decode_request(PacketBuilder(10).u32(1).str("h").u32(0).bytes)));
}

TEST_CASE("extensions, unknown requests and malformed packets") {
  const auto posix =
      decode_request(PacketBuilder(200).u32(3).str("posix-rename@openssh.com").str("a").str("b").bytes);
  REQUIRE(posix);
  CHECK(std::get<Rename>(*posix).posix);
  CHECK(std::holds_alternative<Fsync>(
      *decode_request(PacketBuilder(200).u32(3).str("fsync@openssh.com").str("h").bytes)));
  CHECK(std::holds_alternative<Limits>(
      *decode_request(PacketBuilder(200).u32(3).str("limits@openssh.com").bytes)));
  CHECK(std::holds_alternative<ExpandPath>(
      *decode_request(PacketBuilder(200).u32(3).str("expand-path@openssh.com").str("~").bytes)));
  CHECK(std::holds_alternative<Statvfs>(
      *decode_request(PacketBuilder(200).u32(3).str("statvfs@openssh.com").str("/").bytes)));
  const auto hardlink =
      decode_request(PacketBuilder(200).u32(4).str("hardlink@openssh.com").str("a").str("b").bytes);
  REQUIRE(hardlink);
  CHECK(std::get<Unsupported>(*hardlink).id == 4);
  const auto unknown = decode_request(PacketBuilder(77).u32(5).bytes);
  REQUIRE(unknown);
  CHECK(std::get<Unsupported>(*unknown).id == 5);

  CHECK(!decode_request({}));
  CHECK(!decode_request(PacketBuilder(3).bytes));                            // no id
  CHECK(!decode_request(PacketBuilder(3).u32(1).u32(1000).str("x").bytes));  // path runs past the end
  CHECK(!decode_request(PacketBuilder(6).u32(1).str("h").u64(0).u32(0xffffffff).bytes));
  CHECK(!decode_request(PacketBuilder(9).u32(1).str("x").u32(0x80000000).u32(0xffffffff).bytes));
  CHECK(request_id(PacketBuilder(77).u32(42).bytes) == 42u);
  CHECK(!request_id(PacketBuilder(1).u32(3).bytes));
}

TEST_CASE("framing is bounded by the advertised packet size") {
  std::vector<std::uint8_t> frame{0, 0, 0, 5, 1, 0, 0, 0, 3};
  CHECK(frame_length(frame) == 9u);
  frame.pop_back();
  CHECK(frame_length(frame).error() == FrameProblem::Incomplete);
  CHECK(frame_length(std::vector<std::uint8_t>{0, 0}).error() == FrameProblem::Incomplete);
  CHECK(frame_length(std::vector<std::uint8_t>{0, 0, 0, 0}).error() == FrameProblem::Empty);
  const std::uint32_t too_big = kMaxPacket + 1;
  CHECK(frame_length(std::vector<std::uint8_t>{
                         static_cast<std::uint8_t>(too_big >> 24), static_cast<std::uint8_t>(too_big >> 16),
                         static_cast<std::uint8_t>(too_big >> 8), static_cast<std::uint8_t>(too_big)})
            .error() == FrameProblem::TooLarge);
  CHECK(kMaxWrite >= 256 * 1024);
}

TEST_CASE("encoding replies") {
  const auto status = encode_status(9, Status::PermissionDenied, "no");
  CHECK(read_u32(status, 0) == status.size() - 4);
  CHECK(status[4] == 101);
  CHECK(read_u32(status, 5) == 9);
  CHECK(read_u32(status, 9) == 3);
  CHECK(read_u32(status, 13) == 2);

  const auto data = encode_data_header(1, 1000);
  CHECK(read_u32(data, 0) == 1 + 4 + 4 + 1000);  // the payload follows the header on the wire
  CHECK(data.size() == 13);

  Attributes attrs;
  attrs.size = 5;
  attrs.atime = 1;
  attrs.mtime = 2;
  const auto reply = encode_attrs(3, attrs);
  CHECK(read_u32(reply, 9) == (0x01 | 0x08));
  const auto name = encode_name(4, {{"a", "long a", {}}, {"b", "long b", attrs}});
  CHECK(read_u32(name, 9) == 2);
  const auto version = encode_version({{"limits@openssh.com", "1"}});
  CHECK(version[4] == 2);
  CHECK(read_u32(version, 5) == 3);
  const auto limits = encode_limits_reply(6, kMaxPacket, kMaxRead, kMaxWrite, 64);
  CHECK(limits.size() == 4 + 1 + 4 + 32);
}

TEST_CASE("virtual paths stay inside the root") {
  const auto check = [](std::string_view path, Area area, std::string name) {
    CAPTURE(path);
    const auto resolved = resolve_path(path);
    REQUIRE_MESSAGE(resolved, (resolved ? "" : resolved.error().message));
    CHECK(resolved->area == area);
    CHECK(resolved->name == name);
  };
  check("", Area::Root, "");
  check(".", Area::Root, "");
  check("/", Area::Root, "");
  check("~", Area::Root, "");
  check("/~/upload", Area::Upload, "");
  check("~/upload/a.csv", Area::Upload, "a.csv");
  check("/upload/~/upload", Area::Upload, "");
  check("upload//a.csv", Area::Upload, "a.csv");
  check("./upload/./a.csv", Area::Upload, "a.csv");
  check("/upload/../reports/r.txt", Area::Reports, "r.txt");
  check("../../../upload/x", Area::Upload, "x");
  check("/upload/..", Area::Root, "");
  check("/upload/.hidden.tmp", Area::Upload, ".hidden.tmp");
  check("/upload/caf\xC3\xA9.csv", Area::Upload, "caf\xC3\xA9.csv");
  CHECK(resolve_path("/upload/a.csv").value().display() == "/upload/a.csv");

  CHECK(resolve_path("/etc/passwd").error().status == Status::NoSuchFile);
  CHECK(resolve_path("../../etc/passwd").error().status == Status::NoSuchFile);
  CHECK(resolve_path("/upload/sub/a.csv").error().status == Status::NoSuchFile);
  CHECK(resolve_path(std::string_view("/upload/a\0b", 11)).error().message.find("NUL") != std::string::npos);
  CHECK(resolve_path("/upload/\xFF.csv").error().message.find("UTF-8") != std::string::npos);
  CHECK(resolve_path("/upload/a\x1b.csv").error().message.find("control") != std::string::npos);
  CHECK(resolve_path("/upload/" + std::string(256, 'a')).error().message.find("too long") !=
        std::string::npos);
  CHECK(!resolve_path(std::string(5000, 'a')));
}

TEST_CASE("temporary names") {
  intake::server::SftpSettings settings;
  for (const char* name :
       {"a.csv.filepart", "livesafe_snapshot.csv.a1b2c3d4.partial", "x.part", "x.tmp", ".hidden"}) {
    CAPTURE(name);
    CHECK(is_temporary_name(settings, name));
  }
  for (const char* name : {"livesafe_snapshot.csv", "partial.csv", "tmp"}) {
    CAPTURE(name);
    CHECK(!is_temporary_name(settings, name));
  }
}

TEST_CASE("name claims: one holder per tenant and name, all or none, released with the claim") {
  intake::server::sftp::NameClaims claims;
  auto held = claims.try_claim("acme", {"a.csv"});
  REQUIRE(held);
  CHECK(!claims.try_claim("acme", {"a.csv"}));
  CHECK(claims.try_claim("beta", {"a.csv"}));  // tenants apart (released at once: a temporary)
  CHECK(!claims.try_claim("acme", {"b.partial", "a.csv"}));
  CHECK(!claims.held("acme", "b.partial"));  // all or none: b was not left claimed
  {
    auto both = claims.try_claim("acme", {"b.partial", "c.csv"});
    REQUIRE(both);
    CHECK(claims.held("acme", "c.csv"));
    auto moved = std::move(*both);
    both.reset();
    CHECK(claims.held("acme", "c.csv"));  // a moved claim is still held
  }
  CHECK(!claims.held("acme", "c.csv"));
  held.reset();
  CHECK(claims.try_claim("acme", {"a.csv"}));
  CHECK(claims.try_claim("acme", {"x", "x"}));  // naming one name twice is one claim
}

TEST_CASE("upload sweep: temporary names sooner, unfinished uploads later, the oldest first when low") {
  intake::server::SftpSettings settings;
  settings.temp_ttl = std::chrono::seconds(3600);
  settings.partial_ttl = std::chrono::seconds(86400);
  const auto hours = [](int h) { return std::chrono::seconds(3600 * h); };
  const std::vector<UploadFile> files{
      {"acme", "a.tmp", hours(2), 10, true, false},                    // temporary, idle 2 h: swept
      {"acme", "b.tmp", std::chrono::seconds(1800), 10, true, false},  // temporary, idle 30 min: kept
      {"acme", "snap.csv", hours(25), 10, false, false},               // unfinished for a day: swept
      {"acme", "busy.csv", hours(30), 10, false, true},                // being written: never
      {"beta", "old.csv", hours(5), 300, false, false},
      {"beta", "older.csv", hours(6), 200, false, false},
      {"beta", "fresh.csv", std::chrono::seconds(60), 900, false, false},  // may be resumed any moment
  };
  const auto names = [](const std::vector<SweepItem>& plan) {
    std::vector<std::string> out;
    for (const auto& item : plan) out.push_back(item.tenant + "/" + item.name);
    return out;
  };
  CHECK(names(plan_upload_sweep(files, settings, 0)) ==
        std::vector<std::string>{"acme/a.tmp", "acme/snap.csv"});
  // Under the disk reserve: the oldest unfinished uploads go, until enough is free.
  CHECK(names(plan_upload_sweep(files, settings, 150)) ==
        std::vector<std::string>{"acme/a.tmp", "acme/snap.csv", "beta/older.csv"});
  CHECK(names(plan_upload_sweep(files, settings, 250)) ==
        std::vector<std::string>{"acme/a.tmp", "acme/snap.csv", "beta/older.csv", "beta/old.csv"});
  CHECK(names(plan_upload_sweep(files, settings, 1u << 30)).size() == 5);  // never busy.csv, fresh.csv, b.tmp
  CHECK(plan_upload_sweep(files, settings, 0)[0].reason.find("temporary name untouched") !=
        std::string::npos);
}

TEST_CASE("upload space: the tenant's file and byte quota, counted from the folder") {
  intake::test::TempDir dir;
  intake::server::SftpSettings settings;
  settings.disk_reserve = 0;
  settings.disk_reserve_inodes = 0;
  const auto write_file = [&](const std::string& name, std::size_t size) {
    std::ofstream(dir.path() / name) << std::string(size, 'x');
  };
  write_file("one.tmp", 100);
  write_file("two.tmp", 50);
  intake::base::UniqueFd folder(::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(folder);
  const auto usage = folder_usage(folder.get());
  REQUIRE(usage);
  CHECK(usage->files == 2);
  CHECK(usage->bytes == 150);

  const auto now = std::chrono::steady_clock::now();
  UploadSpace space(folder.get(), settings, {200, 3});
  CHECK_FALSE(space.new_file_problem(now));
  CHECK_FALSE(space.write_problem(50, now));  // 150 + 50 = 200: at the quota, not over
  const auto over = space.write_problem(1, now);
  REQUIRE(over);
  CHECK(over->find("at most 200 bytes") != std::string::npos);
  write_file("three.tmp", 0);
  const auto full = space.new_file_problem(now);
  REQUIRE(full);
  CHECK(full->find("already holds 3 files") != std::string::npos);
  CHECK(full->find("remove the unfinished uploads") != std::string::npos);
}
