#pragma once
// JSON views of stored records: what `--json` prints and what the text renderers read.
#include <nlohmann/json.hpp>
#include <string_view>

#include "keys/host_keys.hpp"
#include "store/directory.hpp"
#include "store/outbox.hpp"
#include "store/ssh_keys.hpp"
#include "store/tenants.hpp"

namespace intake::cli {

// One-line JSON; invalid UTF-8 (which input checks should already have refused) becomes U+FFFD.
std::string compact_json(const nlohmann::json& value);

nlohmann::json tenant_json(const store::Tenant& tenant);
// A directory user: every field of the model, its contacts, attributes and groups.
nlohmann::json user_json(const store::DirectoryUser& user);
// `now` decides the key's state (active / expired / revoked).
nlohmann::json key_json(const store::SshKeyRecord& key, std::string_view now, bool with_md5);
// Deliveries of the outbox, for `--json` and for people: "e-mail to it@acme.example: delivered at …".
nlohmann::json delivery_json(const store::Delivery& delivery);
nlohmann::json deliveries_json(const std::vector<store::Delivery>& deliveries);
std::string deliveries_text(const std::vector<store::Delivery>& deliveries);
nlohmann::json host_key_json(const keys::HostKey& key, const std::string& host, unsigned port);

}  // namespace intake::cli
