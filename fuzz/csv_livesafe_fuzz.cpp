// Fuzzes the streaming CSV reader with the LiveSafe profile: arbitrary bytes (any encoding, any
// quoting) must parse or be rejected with a line number, never crash or hang; row counts add up.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/csv_reader.hpp"
#include "ingest/file_parser.hpp"
#include "ingest/profile.hpp"

using namespace intake::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  StringSource source(std::string_view(reinterpret_cast<const char*>(data), size));
  CsvReader reader(source);
  static const auto& spec = *find_builtin_profile("livesafe")->file_for("livesafe_snapshot.csv");
  const auto parsed = parse_file(reader, spec, {"ORG1", 50});
  if (parsed.rejection) {
    if (!parsed.rows.empty()) std::abort();
  } else if (parsed.rows.size() + parsed.invalid + parsed.skipped != parsed.records ||
             parsed.errors.size() > 50) {
    std::abort();
  }
  return 0;
}
