#pragma once
// The built-in ingest profiles as onboarding sees them: name, expected file names, a sample file.
// The parsing rules of each profile live beside it in ingest/ (ARCHITECTURE.md: profiles are data).
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace intake::ingest {

struct ProfileInfo {
  std::string_view name;   // what `--profile` takes
  std::string_view title;  // the vendor document it follows
  std::vector<std::string_view> file_names;
  bool exact_file_name;  // the vendor requires exactly these names (no dates, no timestamps)
  std::string_view sample_header;
  std::string_view sample_row;  // "{org_id}" stands for the tenant's organisation id
};

std::span<const ProfileInfo> builtin_profiles();
const ProfileInfo* find_profile(std::string_view name);
std::string profile_names();  // "livesafe, …" for messages

// The sample row with the tenant's organisation id filled in.
std::string sample_row_for(const ProfileInfo& profile, std::string_view org_id);

}  // namespace intake::ingest
