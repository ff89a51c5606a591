#pragma once
// Where a tenant's profile comes from: built in (ingest/profiles/*.toml), else added by the operator
// (store/profiles.hpp, its newest version), both read by the one loader.
#include <memory>
#include <string>
#include <string_view>
#include <tl/expected.hpp>

#include "ingest/profile.hpp"

namespace intake::store {
class Database;
struct StoredProfile;
}  // namespace intake::store

namespace intake::ingest {

// The profile of that name. Errors say what to do: an unknown name lists the profiles there are; a
// stored definition this version of intake no longer loads names its version and the loader's error.
// Loaded definitions are kept by sha256 (a definition never changes under its hash).
tl::expected<std::shared_ptr<const Profile>, std::string> find_profile(store::Database& db,
                                                                       std::string_view name);

// One stored version, loaded (or the error find_profile reports for it).
tl::expected<std::shared_ptr<const Profile>, std::string> load_stored_profile(
    const store::StoredProfile& stored);

// "cosafe, livesafe, sap-ias, hr-export" for messages: the built-ins, then the operator's.
std::string profile_names(store::Database& db);

// A definition about to be added: loaded, and refused when it would shadow a built-in.
tl::expected<Profile, std::string> check_new_profile(std::string_view toml_text,
                                                     std::string_view source_name);

}  // namespace intake::ingest
