#include "ingest/results.hpp"

#include <limits>

namespace intake::ingest {
namespace {

constexpr std::size_t kFlushAt = 64 * 1024;

std::string_view result_word(RowResult result) {
  switch (result) {
    case RowResult::Unchanged: return "unchanged";
    case RowResult::Added: return "added";
    case RowResult::BroughtBack: return "brought back";
    case RowResult::Updated: return "updated";
    case RowResult::Adopted: return "adopted";
    case RowResult::Removed: return "removed";
    case RowResult::Invalid: return "invalid";
    case RowResult::Skipped: return "skipped";
  }
  return "";
}

// The reason of a row the planner left out, looked up in its line-ordered issues as rows go by.
class IssueCursor {
 public:
  explicit IssueCursor(const std::vector<RowIssue>& issues) : issues_(issues) {}
  std::string_view reason_at(std::size_t line) {
    while (next_ < issues_.size() && issues_[next_].line < line) ++next_;
    return next_ < issues_.size() && issues_[next_].line == line ? std::string_view(issues_[next_].message)
                                                                 : std::string_view();
  }

 private:
  const std::vector<RowIssue>& issues_;
  std::size_t next_ = 0;
};

}  // namespace

std::string spreadsheet_cell(std::string_view value) {
  std::string cell;
  if (!value.empty() && std::string_view("=+-@\t\r").find(value.front()) != std::string_view::npos)
    cell += '\'';
  cell += value;
  if (cell.find_first_of(",\"\r\n") == std::string::npos) return cell;
  std::string quoted = "\"";
  for (const char c : cell) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + '"';
}

void write_results(const FileSpec& spec, const ParsedFile& file, const Plan& plan, ResultsOutcome outcome,
                   const std::function<void(std::string_view)>& write) {
  std::string buffer = "line," + spreadsheet_cell(spec.key().header) + ",result,reason\n";
  const auto row = [&](std::size_t line, std::string_view key, std::string_view result,
                       std::string_view reason) {
    if (line > 0) buffer += std::to_string(line);
    buffer += ',';
    buffer += spreadsheet_cell(key);
    buffer += ',';
    buffer += result;
    buffer += ',';
    buffer += spreadsheet_cell(reason);
    buffer += '\n';
    if (buffer.size() >= kFlushAt) {
      write(buffer);
      buffer.clear();
    }
  };
  const bool planned = plan.row_results.size() == file.rows.size();
  // A change is "added" once applied, "would be added" while only proposed.
  const auto change_word = [&](std::string_view done) {
    return outcome == ResultsOutcome::Proposed ? "would be " + std::string(done) : std::string(done);
  };
  constexpr std::string_view kRejected = "the file was rejected (see the report); this row is valid";
  IssueCursor invalid(plan.invalid), skipped(plan.skipped);
  // Three line-ordered streams: the rows read, the rows the parser refused, the rows a filter skipped.
  std::size_t next_row = 0, next_error = 0, next_skip = 0;
  constexpr auto kEnd = std::numeric_limits<std::size_t>::max();
  while (true) {
    const std::size_t row_line = next_row < file.rows.size() ? file.rows[next_row].line : kEnd;
    const std::size_t error_line = next_error < file.errors.size() ? file.errors[next_error].line : kEnd;
    const std::size_t skip_line = next_skip < file.skips.size() ? file.skips[next_skip].line : kEnd;
    const std::size_t line = std::min({row_line, error_line, skip_line});
    if (line == kEnd) break;
    if (line == error_line) {
      const auto& issue = file.errors[next_error++];
      row(line, issue.key, "invalid", issue.message);
    } else if (line == skip_line) {
      const auto& issue = file.skips[next_skip++];
      row(line, issue.key, "skipped", issue.message);
    } else {
      const auto& file_row = file.rows[next_row];
      const auto result = planned ? plan.row_results[next_row] : RowResult::Unchanged;
      ++next_row;
      if (result == RowResult::Invalid) {
        row(line, file_row.key, "invalid", invalid.reason_at(line));
      } else if (result == RowResult::Skipped) {
        row(line, file_row.key, "skipped", skipped.reason_at(line));
      } else if (!planned || outcome == ResultsOutcome::NotApplied) {
        row(line, file_row.key, "not applied", kRejected);
      } else if (result == RowResult::Unchanged) {
        row(line, file_row.key, "unchanged", "");
      } else {
        row(line, file_row.key, change_word(result_word(result)), "");
      }
    }
  }
  // A snapshot's removals are of users not in the file: listed after its rows, without a line. (A
  // delete list's are its rows.)
  for (const auto& removal : plan.removals) {
    if (spec.semantics != Semantics::Snapshot) break;
    if (outcome == ResultsOutcome::NotApplied) {
      row(0, removal.key, "not removed", "not in this file, but the file was rejected (see the report)");
    } else {
      row(0, removal.key, change_word("removed"), "not in this file");
    }
  }
  write(buffer);
}

std::filesystem::path stored_results_path(const std::filesystem::path& data_dir, const std::string& tenant,
                                          const std::string& results_file) {
  return data_dir / "results" / tenant / results_file;
}

}  // namespace intake::ingest
