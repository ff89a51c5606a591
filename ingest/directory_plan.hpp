#pragma once
// A parsed file planned against a tenant's stored directory: the planner's merge join (plan.hpp) over
// the store's stream, reading whole users only where digests cannot decide. Inside the caller's
// transaction; the ingest pipeline and `intake profile check --tenant` both plan through it.
#include <cstdint>
#include <functional>
#include <string_view>

#include "ingest/plan.hpp"

namespace intake::store {
class DirectoryRepository;
}

namespace intake::ingest {

Plan plan_against_directory(store::DirectoryRepository& directory, std::int64_t tenant_id,
                            std::string_view file_name, std::string_view profile_sha256, const FileSpec& spec,
                            const ParsedFile& parsed, bool create_missing_users,
                            std::function<void(const Change&)> on_change);

}  // namespace intake::ingest
