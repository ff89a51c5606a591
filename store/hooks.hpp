#pragma once
// Ingest hooks: webhooks (an HTTPS endpoint, signed per Standard Webhooks) and command hooks (a
// program run with the event on stdin), for one tenant's events or every tenant's.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <vector>

namespace intake::store {

class Database;

enum class HookKind { Webhook, Command };
std::string_view hook_kind_name(HookKind kind);  // "webhook", "command"

// What a hook can be told of.
inline constexpr std::array<std::string_view, 2> kHookEvents{"ingest.concluded", "ingest.held"};

struct Hook {
  std::int64_t id = 0;
  std::optional<std::int64_t> tenant_id;  // none: every tenant
  std::optional<std::string> tenant;
  HookKind kind = HookKind::Webhook;
  std::string target;  // URL or program
  std::vector<std::string> events;
  std::optional<std::string> sealed_secret;  // webhooks: never shown after `hooks add`
  std::string created_at, created_by;
  std::optional<std::string> disabled_at, disabled_reason, removed_at;
};

class HookRepository {
 public:
  explicit HookRepository(Database& db) : db_(db) {}

  Hook add(const Hook& hook);  // tenant_id, kind, target, events, sealed_secret, created_by
  std::optional<Hook> find(std::int64_t id);
  std::vector<Hook> list(std::optional<std::int64_t> tenant_id);  // active ones, the tenant's and global
  // Active hooks of `tenant_id` (and global ones) that take `event`.
  std::vector<Hook> subscribed(std::int64_t tenant_id, std::string_view event);
  bool remove(std::int64_t id);  // false: no such active hook
  void disable(std::int64_t id, const std::string& reason);

 private:
  Database& db_;
};

}  // namespace intake::store
