// Fuzzes the profile engine: arbitrary bytes (any encoding, any quoting) read with every file spec of
// every built-in profile must parse or be rejected with a line number, never crash or hang; row counts
// add up; the planner takes whatever the parser produced, and the results file lists it.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/csv_reader.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/plan.hpp"
#include "ingest/profile.hpp"
#include "ingest/results.hpp"

using namespace intake::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto& profile : builtin_profiles()) {
    for (const auto& spec : profile.files) {
      StringSource source(input);
      CsvReader reader(source, spec.delimiter);
      // National phone numbers are read in a region when the input's size is odd (both paths fuzzed).
      const auto parsed = parse_file(reader, spec, {"ORG1", size % 2 ? "US" : "", 50});
      if (parsed.rejection) {
        if (!parsed.rows.empty()) std::abort();
        continue;
      }
      if (parsed.rows.size() + parsed.invalid + parsed.skipped != parsed.records || parsed.errors.size() > 50)
        std::abort();
      // A group the file may name, and stub users on or off (both paths fuzzed).
      static const StoredGroups kGroups{{"G1", {"Group one", false, {}}}, {"HR", {"HR", true, {}}}};
      Planner::Options options{spec.name, &kGroups};
      options.create_missing_users = size % 3 == 0;
      const auto plan = plan_file(spec, parsed, {}, options);
      // Every row has one result, and the plan's lists agree with them.
      if (plan.row_results.size() != parsed.rows.size()) std::abort();
      const auto count = [&](std::initializer_list<RowResult> results) {
        return static_cast<std::size_t>(std::count_if(
            plan.row_results.begin(), plan.row_results.end(),
            [&](RowResult r) { return std::find(results.begin(), results.end(), r) != results.end(); }));
      };
      if (count({RowResult::Invalid}) != plan.invalid_count ||
          count({RowResult::Skipped}) != plan.skipped.size())
        std::abort();
      const auto writes =
          count({RowResult::Added, RowResult::BroughtBack, RowResult::Updated, RowResult::Adopted});
      if (rows_are_users(spec.semantics) && writes != plan.writes.size()) std::abort();
      if (spec.semantics == Semantics::GroupOps &&
          writes + count({RowResult::Removed}) != plan.group_writes.size())
        std::abort();
      // The results file starts with its header and writes a line per row it knows of.
      std::size_t pieces = 0;
      write_results(spec, parsed, plan, ResultsOutcome::Applied, [&](std::string_view piece) {
        if (pieces++ == 0 && !piece.starts_with("line,")) std::abort();
      });
    }
  }
  return 0;
}
