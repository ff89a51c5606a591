#pragma once
// What a valid tenant looks like. Pure checks shared by every front end (CLI now, HTTP later);
// each error says what is wrong and what would be accepted.
#include <string>
#include <string_view>
#include <tl/expected.hpp>

namespace intake::store {

using Check = tl::expected<void, std::string>;

// The SSH user name: [a-z0-9][a-z0-9._-]{2,31}, and not a system account name such as root.
Check check_tenant_name(std::string_view name);
// The organisation id customers put in their files: 1-64 of [A-Za-z0-9._-].
Check check_org_id(std::string_view org_id);
// A file name the profile expects in upload/: a plain name, no path, no leading dot.
Check check_file_name(std::string_view name);

}  // namespace intake::store
