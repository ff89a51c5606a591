#include "delivery/digest.hpp"

#include "base/text.hpp"
#include "store/outbox.hpp"
#include "store/sqlite.hpp"
#include "store/tenants.hpp"

namespace intake::delivery {

namespace {
using std::chrono::days;
constexpr std::int64_t kListed = 1000;  // uploads listed in one digest; the rest are counted
}  // namespace

std::optional<DigestWindow> digest_due(base::WallTime now, unsigned hour,
                                       std::optional<base::WallTime> last_until) {
  base::WallTime until = std::chrono::floor<days>(now) + std::chrono::hours(hour);
  if (until > now) until -= days(1);
  if (last_until && *last_until >= until) return std::nullopt;
  const auto since = last_until ? std::max(*last_until, until - days(7)) : until - days(1);
  return DigestWindow{since, until};
}

nlohmann::json digest_json(const std::string& tenant, const DigestWindow& window,
                           const std::vector<store::IngestRecord>& ingests) {
  nlohmann::json listed = nlohmann::json::array();
  nlohmann::json by_status = nlohmann::json::object();
  std::int64_t added = 0, updated = 0, removed = 0, invalid = 0;
  for (const auto& ingest : ingests) {
    const std::string status(store::ingest_status_name(ingest.status));
    by_status[status] = by_status.value(status, 0) + 1;
    added += ingest.counts.added;
    updated += ingest.counts.updated;
    removed += ingest.counts.removed;
    invalid += ingest.counts.invalid;
    if (static_cast<std::int64_t>(listed.size()) < kListed)
      listed.push_back({{"id", ingest.id},
                        {"file", ingest.file_name},
                        {"received_at", ingest.received_at},
                        {"status", status},
                        {"message", ingest.status_message},
                        {"counts",
                         {{"rows", ingest.counts.rows},
                          {"added", ingest.counts.added},
                          {"updated", ingest.counts.updated},
                          {"removed", ingest.counts.removed},
                          {"invalid", ingest.counts.invalid}}}});
  }
  return {{"tenant", tenant},
          {"since", base::format_stored_time(window.since)},
          {"until", base::format_stored_time(window.until)},
          {"uploads", ingests.size()},
          {"by_status", by_status},
          {"totals", {{"added", added}, {"updated", updated}, {"removed", removed}, {"invalid", invalid}}},
          {"ingests", listed}};
}

std::string digest_subject(const nlohmann::json& d) {
  std::string statuses;
  for (const auto& [status, count] : d["by_status"].items())
    statuses += (statuses.empty() ? "" : ", ") + std::to_string(count.get<int>()) + " " + status;
  return "[Intake] daily report for " + d["tenant"].get<std::string>() + ": " +
         std::to_string(d["uploads"].get<std::size_t>()) + " uploads" +
         (statuses.empty() ? "" : " (" + statuses + ")");
}

std::string render_digest_text(const nlohmann::json& d) {
  std::string out = "Intake daily report for " + d["tenant"].get<std::string>() + "\n";
  out += "Uploads received from " + d["since"].get<std::string>() + " to " + d["until"].get<std::string>() +
         " (UTC)\n\n";
  const auto& t = d["totals"];
  if (d["uploads"].get<std::size_t>() == 0) return out + "No uploads in this period.\n";
  out += std::to_string(d["uploads"].get<std::size_t>()) + " uploads: users added " +
         std::to_string(t["added"].get<std::int64_t>()) + ", updated " +
         std::to_string(t["updated"].get<std::int64_t>()) + ", removed " +
         std::to_string(t["removed"].get<std::int64_t>()) + "; invalid rows " +
         std::to_string(t["invalid"].get<std::int64_t>()) + "\n\n";
  for (const auto& ingest : d["ingests"]) {
    const auto& c = ingest["counts"];
    out += "  " + ingest["received_at"].get<std::string>() + "  " +
           base::escape_for_log(ingest["file"].get<std::string>()) + ": " +
           ingest["status"].get<std::string>() + " (" + std::to_string(c["added"].get<std::int64_t>()) +
           " added, " + std::to_string(c["updated"].get<std::int64_t>()) + " updated, " +
           std::to_string(c["removed"].get<std::int64_t>()) + " removed, " +
           std::to_string(c["invalid"].get<std::int64_t>()) + " invalid)\n";
    if (const auto message = ingest["message"].get<std::string>(); !message.empty())
      out += "      " + base::escape_for_log(message) + "\n";
    out += "      report: reports/" + ingest["id"].get<std::string>() + "_" +
           ingest["file"].get<std::string>() + ".txt\n";
  }
  if (d["uploads"].get<std::size_t>() > d["ingests"].size())
    out += "  (the first " + std::to_string(d["ingests"].size()) +
           " are listed; `intake history` has them all)\n";
  return out;
}

bool queue_digest(store::Database& db, const std::string& tenant_name, const DigestWindow& window) {
  const auto tenant = store::TenantRepository(db).find(tenant_name);
  if (!tenant || tenant->report_emails.empty()) return false;
  store::Transaction transaction(db);
  store::IngestFilter filter;
  filter.tenant = tenant->name;
  filter.since = base::format_stored_time(window.since);
  filter.until = base::format_stored_time(window.until);
  filter.limit = 100000;
  auto ingests = store::IngestRepository(db).list(filter);
  std::reverse(ingests.begin(), ingests.end());  // oldest first
  const auto digest = digest_json(tenant->name, window, ingests);
  if (!store::OutboxRepository(db).enqueue_digest(
          tenant->id, base::format_stored_time(window.until), base::join(tenant->report_emails, ", "),
          digest.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)))
    return false;
  transaction.commit();
  return true;
}

std::size_t queue_daily_digests(store::Database& db, base::WallTime now, unsigned hour) {
  std::size_t queued = 0;
  for (const auto& tenant : store::TenantRepository(db).list()) {
    if (tenant.report_mail != store::ReportMail::Daily || tenant.report_emails.empty()) continue;
    const auto last = store::OutboxRepository(db).last_digest_until(tenant.id);
    const auto window = digest_due(now, hour, last ? base::parse_stored_time(*last) : std::nullopt);
    if (window && queue_digest(db, tenant.name, *window)) ++queued;
  }
  return queued;
}

}  // namespace intake::delivery
