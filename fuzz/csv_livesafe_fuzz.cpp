// Fuzzes the streaming CSV reader with the LiveSafe profile: arbitrary bytes (any encoding, any
// quoting) must parse or be rejected with a line number, never crash or hang; row counts add up.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ingest/csv_reader.hpp"
#include "ingest/snapshot.hpp"

using namespace intake::ingest;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  StringSource source(std::string_view(reinterpret_cast<const char*>(data), size));
  CsvReader reader(source);
  const auto parsed = parse_snapshot(reader, livesafe_rules(), "ORG1", 50);
  if (parsed.rejection) {
    if (!parsed.users.empty()) std::abort();
  } else if (parsed.users.size() + parsed.invalid != parsed.rows || parsed.errors.size() > 50) {
    std::abort();
  }
  return 0;
}
