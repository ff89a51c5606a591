#include "delivery/report_file.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "base/durable_file.hpp"
#include "base/hex.hpp"
#include "ingest/report.hpp"
#include "ingest/results.hpp"

namespace intake::delivery {

namespace fs = std::filesystem;

namespace {

// A copy, for a results/ folder on another file system than reports/ (a link cannot cross).
tl::expected<void, std::string> copy_results(const fs::path& kept, const fs::path& reports,
                                             const fs::path& staging, const std::string& name) {
  std::ifstream in(kept, std::ios::binary);
  const auto copied = base::write_file_atomically(
      reports / name,
      [&in](const std::function<void(std::string_view)>& write) {
        std::vector<char> buffer(1 << 16);
        while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0)
          write({buffer.data(), static_cast<std::size_t>(in.gcount())});
      },
      base::Existing::Replace, base::Sync::Yes, 0644, staging);
  if (!in.eof()) return tl::unexpected("cannot read " + kept.string());
  if (!copied) return tl::unexpected(copied.error().message);
  return {};
}

// Puts the kept results file in reports/ under `name` as a second link to the same bytes (no copy of a
// file that may be hundreds of megabytes): linked under a temporary name in staging, made durable,
// then renamed over any earlier link.
tl::expected<void, std::string> link_results(const fs::path& kept, const fs::path& reports,
                                             const fs::path& staging, const std::string& name) {
  const fs::path temporary = staging / ("." + name + "." + base::random_hex(8).value_or("0") + ".link");
  if (::link(kept.c_str(), temporary.c_str()) != 0) {
    if (errno == EXDEV) return copy_results(kept, reports, staging, name);
    return tl::unexpected("cannot link " + kept.string() + " into " + staging.string() + ": " +
                          std::strerror(errno));
  }
  std::error_code ec;
  fs::rename(temporary, reports / name, ec);
  // rename(2) does nothing when both names are links to the same file already (a repeated delivery):
  // the temporary name is then still there.
  std::error_code ignored;
  fs::remove(temporary, ignored);
  if (ec) return tl::unexpected("cannot put " + name + " in " + reports.string() + ": " + ec.message());
  base::fsync_directory(reports);
  return {};
}

}  // namespace

AttemptResult deliver_report_file(const fs::path& data_dir, const DeliveryJob& job) {
  const auto& report = job.report;
  const fs::path reports = data_dir / "tenants" / job.ingest.tenant / "reports";
  const fs::path staging = data_dir / "staging";
  std::error_code ec;
  fs::create_directories(reports, ec);
  fs::create_directories(staging, ec);
  if (const auto results = report.find("results_file"); results != report.end()) {
    const auto name = results->get<std::string>();
    const auto kept = ingest::stored_results_path(data_dir, job.ingest.tenant, name);
    if (fs::exists(kept, ec)) {
      if (auto linked = link_results(kept, reports, staging, name); !linked)
        return {Verdict::Retry, linked.error(), {}};
    }
  }
  const auto name = ingest::report_file_name(job.ingest.id, job.ingest.file_name);
  const auto written = base::write_file_atomically(reports / name, ingest::render_report_text(report),
                                                   base::Existing::Replace, base::Sync::Yes, 0644, staging);
  if (!written) return {Verdict::Retry, written.error().message, {}};
  return {Verdict::Delivered, "written to reports/" + name, {}};
}

}  // namespace intake::delivery
