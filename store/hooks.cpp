#include "store/hooks.hpp"

#include "base/text.hpp"
#include "store/errors.hpp"
#include "store/sqlite.hpp"

namespace intake::store {
namespace {

const std::string kSelect =
    "SELECT h.id, h.tenant_id, t.name, h.kind, h.target, h.events, h.secret, h.created_at, h.created_by, "
    "h.disabled_at, h.disabled_reason, h.removed_at FROM hooks h LEFT JOIN tenants t ON t.id = h.tenant_id ";

Hook row_to_hook(const Statement& row) {
  Hook hook;
  hook.id = row.integer(0);
  if (!row.is_null(1)) hook.tenant_id = row.integer(1);
  hook.tenant = row.optional_text(2);
  hook.kind = row.text(3) == "command" ? HookKind::Command : HookKind::Webhook;
  hook.target = row.text(4);
  for (const auto event : base::split(row.text_view(5), ',')) hook.events.emplace_back(event);
  hook.sealed_secret = row.optional_text(6);
  hook.created_at = row.text(7);
  hook.created_by = row.text(8);
  hook.disabled_at = row.optional_text(9);
  hook.disabled_reason = row.optional_text(10);
  hook.removed_at = row.optional_text(11);
  return hook;
}

}  // namespace

std::string_view hook_kind_name(HookKind kind) { return kind == HookKind::Command ? "command" : "webhook"; }

Hook HookRepository::add(const Hook& hook) {
  auto insert =
      db_.prepare(std::string("INSERT INTO hooks (tenant_id, kind, target, events, secret, created_at, "
                              "created_by) VALUES (?1, ?2, ?3, ?4, ?5, ") +
                  kSqlNow + ", ?6)");
  if (hook.tenant_id) {
    insert.bind(1, *hook.tenant_id);
  } else {
    insert.bind_null(1);
  }
  insert.bind(2, hook_kind_name(hook.kind))
      .bind(3, hook.target)
      .bind(4, base::join(hook.events, ","))
      .bind_optional(5, hook.sealed_secret)
      .bind(6, hook.created_by)
      .run();
  return *find(db_.last_insert_id());
}

std::optional<Hook> HookRepository::find(std::int64_t id) {
  auto select = db_.prepare(kSelect + "WHERE h.id = ?1");
  select.bind(1, id);
  if (!select.step()) return std::nullopt;
  return row_to_hook(select);
}

std::vector<Hook> HookRepository::list(std::optional<std::int64_t> tenant_id) {
  auto select = db_.prepare(kSelect +
                            "WHERE h.removed_at IS NULL AND (?1 IS NULL OR h.tenant_id IS NULL OR "
                            "h.tenant_id = ?1) ORDER BY h.id");
  if (tenant_id) {
    select.bind(1, *tenant_id);
  } else {
    select.bind_null(1);
  }
  std::vector<Hook> out;
  while (select.step()) out.push_back(row_to_hook(select));
  return out;
}

std::vector<Hook> HookRepository::subscribed(std::int64_t tenant_id, std::string_view event) {
  std::vector<Hook> out;
  for (auto& hook : list(tenant_id)) {
    if (hook.disabled_at) continue;
    if (std::find(hook.events.begin(), hook.events.end(), event) != hook.events.end())
      out.push_back(std::move(hook));
  }
  return out;
}

bool HookRepository::remove(std::int64_t id) {
  db_.prepare(std::string("UPDATE hooks SET removed_at = ") + kSqlNow +
              " WHERE id = ?1 AND removed_at IS NULL")
      .bind(1, id)
      .run();
  return db_.changes() > 0;
}

void HookRepository::disable(std::int64_t id, const std::string& reason) {
  db_.prepare(std::string("UPDATE hooks SET disabled_at = ") + kSqlNow +
              ", disabled_reason = ?2 WHERE id = ?1 AND disabled_at IS NULL")
      .bind(1, id)
      .bind(2, reason)
      .run();
}

}  // namespace intake::store
