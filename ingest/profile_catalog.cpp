#include "ingest/profile_catalog.hpp"

namespace intake::ingest {
namespace {

// Seed 000 (LiveSafe Automated User Management): "Required File Name: livesafe_snapshot.csv",
// every header required, one group per user.
const std::vector<ProfileInfo> kProfiles{
    {"livesafe",
     "LiveSafe Automated User Management (snapshot)",
     {"livesafe_snapshot.csv"},
     true,
     "organizationid,username,firstname,lastname,email,mobilephone,groupname",
     "{org_id},jjones,Jessica,Jones,j.jones@example.org,+15713124645,Staff"},
};

}  // namespace

std::span<const ProfileInfo> builtin_profiles() { return kProfiles; }

const ProfileInfo* find_profile(std::string_view name) {
  for (const auto& profile : kProfiles) {
    if (profile.name == name) return &profile;
  }
  return nullptr;
}

std::string profile_names() {
  std::string names;
  for (const auto& profile : kProfiles) {
    if (!names.empty()) names += ", ";
    names += profile.name;
  }
  return names;
}

std::string sample_row_for(const ProfileInfo& profile, std::string_view org_id) {
  std::string row(profile.sample_row);
  constexpr std::string_view kPlaceholder = "{org_id}";
  if (const auto at = row.find(kPlaceholder); at != std::string::npos) {
    row.replace(at, kPlaceholder.size(), org_id);
  }
  return row;
}

}  // namespace intake::ingest
