#include "ingest/profile_catalog.hpp"

#include <map>
#include <mutex>

#include "store/profiles.hpp"

namespace intake::ingest {

tl::expected<std::shared_ptr<const Profile>, std::string> load_stored_profile(
    const store::StoredProfile& stored) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<const Profile>> loaded;  // by sha256
  std::lock_guard lock(mutex);
  if (const auto found = loaded.find(stored.sha256); found != loaded.end()) return found->second;
  auto profile = load_profile(stored.definition, stored.name + ".toml");
  if (!profile) {
    return tl::unexpected("profile '" + stored.name + "' (version " + stored.sha256.substr(0, 12) +
                          ", added " + stored.added_at + " by " + stored.added_by +
                          ") does not load in this version of intake: " + profile.error() +
                          "; correct its file and add it again with `intake profile add FILE`");
  }
  return loaded.emplace(stored.sha256, std::make_shared<const Profile>(std::move(*profile))).first->second;
}

tl::expected<std::shared_ptr<const Profile>, std::string> find_profile(store::Database& db,
                                                                       std::string_view name) {
  if (const auto* builtin = find_builtin_profile(name))
    return std::shared_ptr<const Profile>(std::shared_ptr<const Profile>(), builtin);  // static: not owned
  if (const auto stored = store::ProfileRepository(db).newest(name)) return load_stored_profile(*stored);
  return tl::unexpected("unknown profile '" + std::string(name) + "'; profiles: " + profile_names(db) +
                        " (`intake profile list` describes them, `intake profile add FILE` adds one)");
}

std::string profile_names(store::Database& db) {
  auto names = builtin_profile_names();
  for (const auto& stored : store::ProfileRepository(db).list()) names += ", " + stored.name;
  return names;
}

tl::expected<Profile, std::string> check_new_profile(std::string_view toml_text,
                                                     std::string_view source_name) {
  auto profile = load_profile(toml_text, source_name);
  if (!profile) return tl::unexpected(profile.error());
  if (find_builtin_profile(profile->name)) {
    return tl::unexpected(std::string(source_name) + ": name: '" + profile->name +
                          "' is a built-in profile; give yours another name");
  }
  return profile;
}

}  // namespace intake::ingest
