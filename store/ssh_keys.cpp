#include "store/ssh_keys.hpp"

#include "store/sqlite.hpp"

namespace intake::store {
namespace {

constexpr std::string_view kSelect =
    "SELECT k.id, k.tenant_id, t.name, k.algorithm, k.public_key, k.fingerprint, k.bits, k.comment, "
    "k.created_at, k.created_by, k.expires_at, k.revoked_at, k.revoked_by "
    "FROM ssh_keys k JOIN tenants t ON t.id = k.tenant_id ";

SshKeyRecord row_to_key(const Statement& row) {
  SshKeyRecord key;
  key.id = row.integer(0);
  key.tenant_id = row.integer(1);
  key.tenant_name = row.text(2);
  key.algorithm = row.text(3);
  key.public_key = row.text(4);
  key.fingerprint = row.text(5);
  key.bits = row.integer(6);
  key.comment = row.text(7);
  key.created_at = row.text(8);
  key.created_by = row.text(9);
  key.expires_at = row.optional_text(10);
  key.revoked_at = row.optional_text(11);
  key.revoked_by = row.optional_text(12);
  return key;
}

}  // namespace

KeyState key_state(const SshKeyRecord& key, std::string_view now) {
  if (key.revoked_at) return KeyState::Revoked;
  if (key.expires_at && *key.expires_at <= now) return KeyState::Expired;
  return KeyState::Active;
}

std::string_view to_string(KeyState state) {
  switch (state) {
    case KeyState::Active: return "active";
    case KeyState::Expired: return "expired";
    case KeyState::Revoked: return "revoked";
  }
  return "unknown";
}

std::string KeyRepository::now() {
  auto stmt = db_.prepare(std::string("SELECT ") + kSqlNow);
  stmt.step();
  return stmt.text(0);
}

std::vector<SshKeyRecord> KeyRepository::select(std::string_view where, std::int64_t tenant_id,
                                                std::string_view text) {
  auto stmt = db_.prepare(std::string(kSelect) + std::string(where));
  if (tenant_id != 0) stmt.bind(1, tenant_id);
  if (!text.empty()) stmt.bind(2, text);
  std::vector<SshKeyRecord> keys;
  while (stmt.step()) keys.push_back(row_to_key(stmt));
  return keys;
}

tl::expected<SshKeyRecord, StoreError> KeyRepository::add(std::int64_t tenant_id, const NewSshKey& key) {
  const auto holders = select("WHERE k.fingerprint = ?2 AND k.revoked_at IS NULL", 0, key.fingerprint);
  if (!holders.empty()) {
    const auto& holder = holders.front();
    if (holder.tenant_id == tenant_id) {
      const bool expired = key_state(holder, now()) == KeyState::Expired;
      return tl::unexpected(StoreError{
          StoreProblem::AlreadyExists,
          "tenant '" + holder.tenant_name + "' already has key " + key.fingerprint + " (added " +
              holder.created_at +
              (expired ? ", expired " + holder.expires_at.value_or("") +
                             "); to add it again with a new expiry, first run `intake key revoke " +
                             holder.tenant_name + " " + key.fingerprint + "`"
                       : ")")});
    }
    return tl::unexpected(
        StoreError{StoreProblem::Conflict,
                   "key " + key.fingerprint + " is already registered to tenant '" + holder.tenant_name +
                       "'; a key identifies exactly one tenant — ask the customer for a separate "
                       "key for each account"});
  }
  db_.prepare(std::string("INSERT INTO ssh_keys (tenant_id, algorithm, public_key, fingerprint, bits, "
                          "comment, created_at, created_by, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ") +
              kSqlNow + ", ?7, ?8)")
      .bind(1, tenant_id)
      .bind(2, key.algorithm)
      .bind(3, key.public_key)
      .bind(4, key.fingerprint)
      .bind(5, key.bits)
      .bind(6, key.comment)
      .bind(7, key.created_by)
      .bind_optional(8, key.expires_at)
      .run();
  return select("WHERE k.id = " + std::to_string(db_.last_insert_id()), 0, {}).front();
}

std::vector<SshKeyRecord> KeyRepository::list(std::int64_t tenant_id) {
  return select("WHERE k.tenant_id = ?1 ORDER BY k.id", tenant_id, {});
}

std::optional<SshKeyRecord> KeyRepository::find_active(std::string_view fingerprint) {
  auto keys = select(std::string("WHERE k.fingerprint = ?2 AND k.revoked_at IS NULL AND "
                                 "(k.expires_at IS NULL OR k.expires_at > ") +
                         kSqlNow + ")",
                     0, fingerprint);
  if (keys.empty()) return std::nullopt;
  return keys.front();
}

std::vector<SshKeyRecord> KeyRepository::find_by_fingerprint(std::string_view fingerprint) {
  return select("WHERE k.fingerprint = ?2 ORDER BY k.id DESC", 0, fingerprint);
}

tl::expected<SshKeyRecord, StoreError> KeyRepository::revoke(std::int64_t tenant_id,
                                                             std::string_view fingerprint,
                                                             std::string_view actor) {
  std::string prefix(fingerprint);
  if (prefix.size() >= 4 &&
      (prefix.starts_with("MD5:") || prefix.starts_with("md5:") || (prefix.size() > 2 && prefix[2] == ':'))) {
    return tl::unexpected(
        StoreError{StoreProblem::NotFound,
                   "give the SHA256 fingerprint (or a unique prefix of it), not the MD5 form; "
                   "`intake key list` shows them"});
  }
  // "SHA256:" in any case, or none: what people copy from ssh-keygen, `key list` or a mail.
  if (prefix.size() >= 7 && (prefix.compare(0, 7, "SHA256:") == 0 || prefix.compare(0, 7, "sha256:") == 0)) {
    prefix.erase(0, 7);
  }
  prefix = "SHA256:" + prefix;
  if (prefix.size() <= 7) {
    return tl::unexpected(StoreError{StoreProblem::NotFound,
                                     "give the fingerprint (or a unique prefix of it) of the key to "
                                     "revoke; `intake key list` shows them"});
  }
  // substr() rather than LIKE: fingerprints contain '_'-free base64, but '+' and '/' are literal.
  const auto matches = select(
      "WHERE k.tenant_id = ?1 AND substr(k.fingerprint, 1, length(?2)) = ?2 "
      "ORDER BY k.id",
      tenant_id, prefix);
  std::vector<SshKeyRecord> unrevoked;
  for (const auto& key : matches) {
    if (!key.revoked_at) unrevoked.push_back(key);
  }
  if (unrevoked.empty()) {
    if (!matches.empty()) {
      return tl::unexpected(StoreError{StoreProblem::Conflict, "key " + matches.back().fingerprint +
                                                                   " was already revoked at " +
                                                                   *matches.back().revoked_at + " by " +
                                                                   matches.back().revoked_by.value_or("?")});
    }
    return tl::unexpected(
        StoreError{StoreProblem::NotFound, "this tenant has no key whose fingerprint starts with " + prefix +
                                               "; `intake key list` shows its keys"});
  }
  if (unrevoked.size() > 1) {
    std::string names;
    for (const auto& key : unrevoked) names += "\n  " + key.fingerprint;
    return tl::unexpected(
        StoreError{StoreProblem::Ambiguous, prefix + " matches " + std::to_string(unrevoked.size()) +
                                                " keys; give more of the fingerprint:" + names});
  }
  db_.prepare(std::string("UPDATE ssh_keys SET revoked_at = ") + kSqlNow + ", revoked_by = ?1 WHERE id = ?2")
      .bind(1, actor)
      .bind(2, unrevoked.front().id)
      .run();
  return select("WHERE k.id = " + std::to_string(unrevoked.front().id), 0, {}).front();
}

}  // namespace intake::store
