#pragma once
// The per-row results file (`<report>.results.csv` in the tenant's reports/): what became of every
// row of an upload, in the file's order, then every user the file removed. It is what support and the
// customer open in a spreadsheet, so every cell is neutralised against formula injection. Pure.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "ingest/file_parser.hpp"
#include "ingest/plan.hpp"

namespace intake::ingest {

enum class ResultsOutcome {
  Applied,     // the plan was applied: "added", "updated", …
  Proposed,    // validated or held: "would be added", …
  NotApplied,  // rejected after reading: valid rows were not applied either
};

// Writes the CSV (line, the key column, result, reason) to `write` in pieces. `plan` may be empty
// (a file rejected before it was planned): its valid rows are then reported as not applied.
void write_results(const FileSpec& spec, const ParsedFile& file, const Plan& plan, ResultsOutcome outcome,
                   const std::function<void(std::string_view)>& write);

// Where an ingest's results file is kept (DATA_DIR/results/TENANT/NAME), written durably before the
// conclusion commits: its report's delivery links it into the tenant's reports/ (a crash in between
// loses nothing), and support can fetch it later.
std::filesystem::path stored_results_path(const std::filesystem::path& data_dir, const std::string& tenant,
                                          const std::string& results_file);

// One CSV cell that a spreadsheet shows as text: quoted when it must be, and prefixed with ' when it
// starts like a formula (=, +, -, @, tab or CR), as OWASP recommends against CSV injection.
std::string spreadsheet_cell(std::string_view value);

}  // namespace intake::ingest
