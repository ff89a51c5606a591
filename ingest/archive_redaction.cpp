#include "ingest/archive_redaction.hpp"

#include <nlohmann/json.hpp>

#include "base/durable_file.hpp"
#include "base/secret.hpp"
#include "ingest/csv_reader.hpp"
#include "ingest/file_source.hpp"

namespace intake::ingest {

namespace {

constexpr std::string_view kBlanked =
    "# This upload was refused before its password column could be found, so all of it was blanked once\n"
    "# its ingest concluded. The journal keeps the original's SHA-256; the report says what was wrong.\n";
constexpr std::string_view kUnreadableRest =
    "# The rest of this upload could not be read as CSV and may hold passwords: it was blanked once its\n"
    "# ingest concluded. The journal keeps the original's SHA-256; the report says what was wrong.\n";

void append_field(std::string& out, std::string_view field, char delimiter) {
  if (field.find_first_of(std::string{delimiter, '"', '\r', '\n'}) == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string redaction_text(const Redaction& redaction) {
  nlohmann::json json{{"header", redaction.header}, {"delimiter", std::string(1, redaction.delimiter)}};
  json["field"] = redaction.field ? nlohmann::json(*redaction.field) : nlohmann::json(nullptr);
  return json.dump();
}

std::optional<Redaction> parse_redaction(const std::string& text) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  Redaction redaction;
  redaction.header = json.value("header", false);
  const auto delimiter = json.value("delimiter", std::string(","));
  if (delimiter.size() != 1) return std::nullopt;
  redaction.delimiter = delimiter[0];
  if (json.contains("field") && json["field"].is_number_unsigned())
    redaction.field = json["field"].get<std::size_t>();
  return redaction;
}

tl::expected<void, std::string> redact_archive(const std::filesystem::path& path,
                                               const Redaction& redaction) {
  // Streamed: an archive may be as large as an upload may be.
  const base::ContentProducer produce = [&](const std::function<void(std::string_view)>& write) {
    if (!redaction.field) return write(kBlanked);
    FileSource source(path);
    CsvReader reader(source, redaction.delimiter);
    std::string out;
    bool first = true;
    while (true) {
      auto record = reader.next();
      if (!record || source.error()) {
        write(out);
        base::wipe(out);
        return write(kUnreadableRest);
      }
      if (!*record) break;
      auto& fields = (**record).fields;
      const bool blank_line = fields.size() == 1 && fields[0].find_first_not_of(" \t") == std::string::npos;
      if (!blank_line) {
        if (!(first && redaction.header) && *redaction.field < fields.size())
          base::wipe(fields[*redaction.field]);
        first = false;
      }
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out += redaction.delimiter;
        append_field(out, fields[i], redaction.delimiter);
        base::wipe(fields[i]);
      }
      out += '\n';
      if (out.size() >= 64 * 1024) {
        write(out);
        out.clear();
      }
    }
    write(out);
    base::wipe(out);
  };
  const auto written =
      base::write_file_atomically(path, produce, base::Existing::Replace, base::Sync::Yes, 0600);
  if (!written)
    return tl::unexpected("cannot blank the passwords of " + path.string() + ": " + written.error().message);
  return {};
}

}  // namespace intake::ingest
