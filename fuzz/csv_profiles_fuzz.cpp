// Fuzzes the profile engine: arbitrary bytes (any encoding, any quoting) read with every file spec of
// every built-in profile must parse or be rejected with a line number, never crash or hang; row counts
// add up; the planner takes whatever the parser produced, and the results file lists it.
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
      const auto plan = plan_file(spec, parsed, {}, {spec.name});
      if (plan.writes.size() + plan.invalid_count != parsed.rows.size()) std::abort();
      // The results file starts with its header and writes a line per row it knows of.
      std::size_t pieces = 0;
      write_results(spec, parsed, plan, ResultsOutcome::Applied, [&](std::string_view piece) {
        if (pieces++ == 0 && !piece.starts_with("line,")) std::abort();
      });
    }
  }
  return 0;
}
