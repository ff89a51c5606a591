#include "ingest/report.hpp"

#include <algorithm>
#include <cstdio>

#include "base/text.hpp"

namespace intake::ingest {

std::string file_kind(const FileSpec& spec) {
  return spec.name + ": " + std::string(semantics_description(spec.semantics));
}

void add_plan_counts(ReportInputs& report, const ParsedFile& parsed, const Plan& plan) {
  report.added = plan.added + plan.brought_back + plan.groups_added;
  report.updated = plan.updated + plan.adopted + plan.groups_renamed;
  report.removed = plan.removals.size() + plan.groups_removed;
  report.unchanged = plan.unchanged;
  report.skipped = plan.skipped.size() + parsed.skipped;
  report.invalid = parsed.invalid + plan.invalid_count;
  report.entities = {
      {"users",
       {{"added", plan.added},
        {"brought back", plan.brought_back},
        {"updated", plan.updated},
        {"adopted", plan.adopted},
        {"removed", plan.removals.size()},
        {"unchanged", plan.unchanged}}},
      {"memberships", {{"added", plan.memberships_added}, {"removed", plan.memberships_removed}}},
      {"groups",
       {{"added", plan.groups_added}, {"renamed", plan.groups_renamed}, {"removed", plan.groups_removed}}}};
  std::sort(report.changes.begin(), report.changes.end(),
            [](const Change& a, const Change& b) { return a.line < b.line; });
}

nlohmann::json report_json(const ReportInputs& in) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& error : in.errors) {
    errors.push_back({{"line", error.line}, {"column", error.column}, {"message", error.message}});
  }
  nlohmann::json changes = nlohmann::json::array();
  for (const auto& change : in.changes) {
    nlohmann::json fields = nlohmann::json::object();
    for (const auto& [name, values] : change.fields) fields[name] = {values.first, values.second};
    changes.push_back({{"key", change.key},
                       {"entity", change.entity},
                       {"operation", change.operation},
                       {"fields", fields},
                       {"line", change.line}});
  }
  nlohmann::json report{
      {"id", in.id},
      {"profile", in.profile},
      {"profile_sha256", in.profile_sha256},
      {"entities", in.entities},
      {"changes", changes},
      {"tenant", in.tenant},
      {"file", in.file_name},
      {"file_kind", in.file_kind},
      {"received_at", in.received_at},
      {"status", in.status},
      {"message", in.message},
      {"sha256", in.sha256},
      {"counts",
       {{"rows", in.rows},
        {"added", in.added},
        {"updated", in.updated},
        {"removed", in.removed},
        {"unchanged", in.unchanged},
        {"skipped", in.skipped},
        {"invalid", in.invalid}}},
      {"errors", errors},
      {"ignored_columns", in.ignored_columns},
      {"timings", {{"queued_seconds", in.queued_seconds}, {"processing_seconds", in.processing_seconds}}}};
  if (!in.results_file.empty()) report["results_file"] = in.results_file;
  return report;
}

std::string render_report_text(const nlohmann::json& r) {
  const auto& c = r["counts"];
  std::string out;
  out += "Intake report for " + r["file"].get<std::string>() + "\n";
  // A file checked with `intake profile check` was never uploaded: no id, time, hash or timings.
  const bool uploaded = !r["received_at"].get<std::string>().empty();
  if (uploaded) {
    out += "Ingest id:   " + r["id"].get<std::string>() + "\n";
    out += "Received:    " + r["received_at"].get<std::string>() + "\n";
  }
  out += "Status:      " + r["status"].get<std::string>() + "\n";
  if (!r["message"].get<std::string>().empty())
    out += "             " + r["message"].get<std::string>() + "\n";
  if (uploaded) out += "SHA-256:     " + r["sha256"].get<std::string>() + "\n";
  if (const auto kind = r.value("file_kind", std::string()); !kind.empty())
    out += "Read as:     " + kind + "\n";
  if (const auto profile = r.value("profile", std::string()); !profile.empty()) {
    // The rules that read the file: their name and the version of their definition.
    out += "Profile:     " + profile + " (definition " +
           r.value("profile_sha256", std::string()).substr(0, 12) + ")\n";
  }
  out += "\n";
  out += "Rows " + std::to_string(c["rows"].get<std::size_t>()) + ": added " +
         std::to_string(c["added"].get<std::size_t>()) + ", updated " +
         std::to_string(c["updated"].get<std::size_t>()) + ", removed " +
         std::to_string(c["removed"].get<std::size_t>()) + ", unchanged " +
         std::to_string(c["unchanged"].get<std::size_t>()) + ", skipped " +
         std::to_string(c["skipped"].get<std::size_t>()) + ", invalid " +
         std::to_string(c["invalid"].get<std::size_t>()) + "\n";
  if (r.contains("entities")) {
    for (const auto& [entity, operations] : r["entities"].items()) {
      std::string line;
      for (const auto& [operation, count] : operations.items()) {
        if (count.get<std::size_t>() == 0) continue;
        line += (line.empty() ? "" : ", ") + operation + " " + std::to_string(count.get<std::size_t>());
      }
      if (!line.empty()) out += "  " + entity + ": " + line + "\n";
    }
  }
  if (r.contains("results_file")) {
    out +=
        "Every row's result: reports/" + r["results_file"].get<std::string>() + " (CSV, for a spreadsheet)\n";
  }
  if (!r["ignored_columns"].empty()) {
    std::string names;
    for (const auto& name : r["ignored_columns"])
      names += (names.empty() ? "" : ", ") + name.get<std::string>();
    out += "Columns not used: " + names + "\n";
  }
  if (!r["errors"].empty()) {
    out += "\nProblems (line, column: what to fix):\n";
    for (const auto& error : r["errors"]) {
      out += "  line " + std::to_string(error["line"].get<std::size_t>());
      if (!error["column"].get<std::string>().empty()) out += ", " + error["column"].get<std::string>();
      out += ": " + error["message"].get<std::string>() + "\n";
    }
    if (c["invalid"].get<std::size_t>() > r["errors"].size()) {
      out += "  (only the first " + std::to_string(r["errors"].size()) + " problems are listed)\n";
    }
  }
  if (r.contains("changes") && !r["changes"].empty()) {
    out += "\nChanges (line, key: what changed):\n";
    for (const auto& change : r["changes"]) {
      out += "  ";
      if (change["line"].get<std::size_t>() > 0)
        out += "line " + std::to_string(change["line"].get<std::size_t>()) + ", ";
      if (const auto entity = change.value("entity", std::string("user")); entity != "user")
        out += entity + " ";
      out += base::escape_for_log(change["key"].get<std::string>()) + ": " +
             change["operation"].get<std::string>();
      std::string fields;
      for (const auto& [name, values] : change["fields"].items()) {
        fields += (fields.empty() ? "" : "; ") + name + " '" +
                  base::escape_for_log(values[0].get<std::string>()) + "' -> '" +
                  base::escape_for_log(values[1].get<std::string>()) + "'";
      }
      if (!fields.empty()) out += " (" + fields + ")";
      out += "\n";
    }
    const auto total = [&] {
      std::size_t sum = 0;
      const auto users =
          r.value("entities", nlohmann::json::object()).value("users", nlohmann::json::object());
      for (const auto& [entity, operations] : users.items()) {
        if (entity != "unchanged") sum += operations.get<std::size_t>();
      }
      return sum;
    }();
    if (total > r["changes"].size()) {
      out += "  (the first " + std::to_string(r["changes"].size()) + " of " + std::to_string(total) +
             " changes; `intake report` and the results file list them all)\n";
    }
  }
  if (uploaded) {
    char timings[128];
    std::snprintf(timings, sizeof timings, "\nTimings: waited %.3f s, processed in %.3f s\n",
                  r["timings"]["queued_seconds"].get<double>(),
                  r["timings"]["processing_seconds"].get<double>());
    out += timings;
  }
  return out;
}

std::string report_email_subject(const nlohmann::json& r) {
  const auto& c = r["counts"];
  return "[Intake] " + r["file"].get<std::string>() + ": " + r["status"].get<std::string>() + " (" +
         std::to_string(c["added"].get<std::size_t>()) + " added, " +
         std::to_string(c["updated"].get<std::size_t>()) + " updated, " +
         std::to_string(c["removed"].get<std::size_t>()) + " removed, " +
         std::to_string(c["invalid"].get<std::size_t>()) + " invalid)";
}

nlohmann::json current_report(const store::IngestRecord& record) {
  nlohmann::json report;
  if (record.report) report = nlohmann::json::parse(*record.report, nullptr, false);
  if (!report.is_object()) {
    ReportInputs inputs;
    inputs.id = record.id;
    inputs.tenant = record.tenant;
    inputs.file_name = record.file_name;
    inputs.received_at = record.received_at;
    inputs.sha256 = record.sha256.value_or("");
    report = report_json(inputs);
  }
  report["status"] = store::ingest_status_name(record.status);
  report["message"] = record.status_message;
  return report;
}

// The ingest id leads: unique per upload (two received in the same millisecond differ by its counter)
// and sortable by time, so reports/ lists in upload order.
std::string report_file_name(const std::string& ingest_id, const std::string& file_name) {
  return ingest_id + "_" + file_name + ".txt";
}

std::string results_file_name(const std::string& ingest_id, const std::string& file_name) {
  return ingest_id + "_" + file_name + ".results.csv";
}

}  // namespace intake::ingest
