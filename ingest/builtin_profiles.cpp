#include <stdexcept>
#include <utility>

#include "ingest/profile.hpp"

namespace intake::ingest {

// Generated from ingest/profiles/*.toml (ingest/CMakeLists.txt): file name -> text.
std::span<const std::pair<std::string_view, std::string_view>> builtin_profile_texts();

std::span<const Profile> builtin_profiles() {
  // Loaded once by the loader customers' profiles go through; a built-in that does not load is a
  // defect the unit suite catches, never a runtime condition.
  static const std::vector<Profile> profiles = [] {
    std::vector<Profile> loaded;
    for (const auto& [file, text] : builtin_profile_texts()) {
      auto profile = load_profile(text, file);
      if (!profile) throw std::logic_error("built-in profile " + std::string(file) + ": " + profile.error());
      loaded.push_back(std::move(*profile));
    }
    return loaded;
  }();
  return profiles;
}

const Profile* find_builtin_profile(std::string_view name) {
  for (const auto& profile : builtin_profiles()) {
    if (profile.name == name) return &profile;
  }
  return nullptr;
}

std::string builtin_profile_names() {
  std::string names;
  for (const auto& profile : builtin_profiles()) names += (names.empty() ? "" : ", ") + profile.name;
  return names;
}

}  // namespace intake::ingest
