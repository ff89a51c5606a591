#pragma once
// Tenants' SSH public keys. A key is active until it is revoked or its expiry passes.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

#include "store/errors.hpp"

namespace intake::store {

class Database;

struct SshKeyRecord {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string tenant_name;
  std::string algorithm;
  std::string public_key;   // "type base64"
  std::string fingerprint;  // "SHA256:…"
  std::int64_t bits = 0;
  std::string comment;
  std::string created_at;
  std::string created_by;
  std::optional<std::string> expires_at;
  std::optional<std::string> revoked_at;
  std::optional<std::string> revoked_by;
};

enum class KeyState { Active, Expired, Revoked };
// `now` is a stored-format UTC time (see kSqlNow); the formats compare as text.
KeyState key_state(const SshKeyRecord& key, std::string_view now);
std::string_view to_string(KeyState state);

struct NewSshKey {
  std::string algorithm;
  std::string public_key;
  std::string fingerprint;
  std::int64_t bits = 0;
  std::string comment;
  std::string created_by;
  std::optional<std::string> expires_at;
};

class KeyRepository {
 public:
  explicit KeyRepository(Database& db) : db_(db) {}

  // AlreadyExists when the tenant has this key; Conflict when another tenant has it.
  tl::expected<SshKeyRecord, StoreError> add(std::int64_t tenant_id, const NewSshKey& key);
  std::vector<SshKeyRecord> list(std::int64_t tenant_id);
  // The unrevoked, unexpired key with this fingerprint, with its tenant: what login looks up.
  std::optional<SshKeyRecord> find_active(std::string_view fingerprint);
  // Every record of this key, newest first, whatever its state: what login uses to say why it
  // refused a key (revoked, expired, another tenant's).
  std::vector<SshKeyRecord> find_by_fingerprint(std::string_view fingerprint);
  // `fingerprint` may be a unique prefix, with or without "SHA256:". NotFound, Ambiguous, or
  // Conflict when the only match is already revoked.
  tl::expected<SshKeyRecord, StoreError> revoke(std::int64_t tenant_id, std::string_view fingerprint,
                                                std::string_view actor);
  std::string now();  // the database's clock, in the stored format

 private:
  std::vector<SshKeyRecord> select(std::string_view where, std::int64_t tenant_id, std::string_view text);

  Database& db_;
};

}  // namespace intake::store
