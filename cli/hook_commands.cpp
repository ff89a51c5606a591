// intake hooks add | list | remove | deliveries | replay: the ingest hooks that tell a vendor's own
// application what each ingest changed.
#include <sys/stat.h>

#include <iostream>

#include "base/text.hpp"
#include "base/utc_time.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "delivery/hooks.hpp"
#include "store/hooks.hpp"
#include "store/outbox.hpp"

namespace intake::cli {
namespace {

struct HookOptions {
  std::string tenant, url, command, events;
  std::int64_t id = 0;
  std::int64_t limit = 50;
  bool json = false;
};

// https:// anywhere; plain http:// only to this machine (a receiver beside the server).
void check_url(const std::string& url) {
  if (url.starts_with("https://")) return;
  for (const auto local :
       {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/"})
    if (url.starts_with(local)) return;
  throw UserError(
      "--url " + url +
      ": give an https:// URL (its certificate is checked); plain http:// is only for a receiver on "
      "this machine (http://127.0.0.1:PORT/…)");
}

void check_command(const std::string& path) {
  struct stat st {};
  if (!path.starts_with("/"))
    throw UserError("--command " + path + ": give the program's absolute path (it runs without a shell)");
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    throw UserError("--command " + path + ": no such program");
  if ((st.st_mode & 0111) == 0) throw UserError("--command " + path + ": not executable (chmod +x it)");
  if (st.st_mode & S_IWOTH)
    throw UserError("--command " + path +
                    ": anyone may change it (chmod o-w it): the server would run what they "
                    "write");
}

std::vector<std::string> checked_events(const std::string& text) {
  std::vector<std::string> events;
  for (auto event : base::split(text, ',')) {
    event = base::trim(event);
    if (event.empty()) continue;
    if (std::find(store::kHookEvents.begin(), store::kHookEvents.end(), event) == store::kHookEvents.end())
      throw UserError("--events: '" + std::string(event) +
                      "' is not an event; use ingest.concluded (an upload " +
                      "concluded: applied, rejected, failed, …) and/or ingest.held (held for support)");
    if (std::find(events.begin(), events.end(), event) == events.end()) events.emplace_back(event);
  }
  if (events.empty()) throw UserError("--events: name at least one of ingest.concluded, ingest.held");
  return events;
}

nlohmann::json hook_json(const store::Hook& hook) {
  const auto optional = [](const std::optional<std::string>& text) {
    return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
  };
  return {{"id", hook.id},
          {"tenant", optional(hook.tenant)},
          {"kind", store::hook_kind_name(hook.kind)},
          {"target", hook.target},
          {"events", hook.events},
          {"created_at", hook.created_at},
          {"created_by", hook.created_by},
          {"disabled_at", optional(hook.disabled_at)},
          {"disabled_reason", optional(hook.disabled_reason)}};
}

store::Hook require_hook(Context& context, std::int64_t id) {
  auto hook = store::HookRepository(context.db()).find(id);
  if (!hook || hook->removed_at)
    throw UserError("no hook " + std::to_string(id) + "; `intake hooks list` lists them");
  return *hook;
}

void add(Context& context, const HookOptions& o) {
  if (o.url.empty() == o.command.empty()) throw UserError("give either --url URL or --command PROGRAM");
  store::Hook hook;
  hook.kind = o.url.empty() ? store::HookKind::Command : store::HookKind::Webhook;
  hook.target = o.url.empty() ? o.command : o.url;
  if (hook.kind == store::HookKind::Webhook) {
    check_url(hook.target);
  } else {
    check_command(hook.target);
  }
  hook.events = checked_events(o.events);
  if (!o.tenant.empty()) hook.tenant_id = require_tenant(context, o.tenant).id;
  hook.created_by = context.actor();
  std::string secret;
  if (hook.kind == store::HookKind::Webhook) {
    auto sealer = secrets_sealer(context);
    if (!sealer) throw UserError(sealer.error());
    secret = delivery::new_webhook_secret();
    hook.sealed_secret = sealer->seal(secret);
  }
  auto& db = context.db();
  store::Transaction transaction(db);
  const auto added = store::HookRepository(db).add(hook);
  audit(context, "hook.add", o.tenant, hook_json(added));  // never the secret
  transaction.commit();
  if (o.json) {
    auto out = hook_json(added);
    if (!secret.empty()) out["secret"] = secret;
    print_json(out);
    return;
  }
  std::cout << "hook " << added.id << ": " << store::hook_kind_name(added.kind) << " " << added.target
            << " for " << (o.tenant.empty() ? "every tenant" : "tenant " + o.tenant) << ", events "
            << base::join(added.events, ",") << "\n";
  if (!secret.empty()) {
    std::cout << "signing secret (shown this once; give it to the receiver, which verifies each request's "
                 "webhook-signature with it):\n  "
              << secret << "\n";
  }
}

void list(Context& context, const HookOptions& o) {
  std::optional<std::int64_t> tenant_id;
  if (!o.tenant.empty()) tenant_id = require_tenant(context, o.tenant).id;
  const auto hooks = store::HookRepository(context.db()).list(tenant_id);
  if (o.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& hook : hooks) out.push_back(hook_json(hook));
    print_json(out);
    return;
  }
  if (hooks.empty()) {
    std::cout << "no hooks; add one with `intake hooks add --url https://… --events ingest.concluded`\n";
    return;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "TENANT", "KIND", "TARGET", "EVENTS", "STATE"}};
  for (const auto& hook : hooks)
    rows.push_back({std::to_string(hook.id), hook.tenant.value_or("*"),
                    std::string(store::hook_kind_name(hook.kind)), hook.target, base::join(hook.events, ","),
                    hook.disabled_at
                        ? "disabled " + *hook.disabled_at + ": " + hook.disabled_reason.value_or("")
                        : "active"});
  std::cout << render_table(rows);
}

void remove(Context& context, const HookOptions& o) {
  auto& db = context.db();
  store::Transaction transaction(db);
  const auto hook = require_hook(context, o.id);
  store::HookRepository(db).remove(o.id);
  audit(context, "hook.remove", hook.tenant.value_or(""), hook_json(hook));
  transaction.commit();
  if (o.json) {
    print_json(hook_json(*store::HookRepository(db).find(o.id)));
  } else {
    std::cout << "removed hook " << o.id << "; its pending deliveries are given up\n";
  }
}

void deliveries(Context& context, const HookOptions& o) {
  require_hook(context, o.id);
  store::DeliveryFilter filter;
  filter.hook_id = o.id;
  filter.limit = o.limit;
  const auto found = store::OutboxRepository(context.db()).list(filter);
  if (o.json) {
    print_json(deliveries_json(found));
  } else {
    std::cout << deliveries_text(found);
  }
}

void replay(Context& context, const HookOptions& o) {
  auto& db = context.db();
  store::Transaction transaction(db);
  const auto replayed =
      store::OutboxRepository(db).retry(o.id, base::format_stored_time(std::chrono::system_clock::now()),
                                        store::OutboxRepository::Again::Replay);
  if (!replayed) throw UserError(replayed.error());
  audit(context, "hook.replay", replayed->tenant,
        {{"delivery", replayed->id}, {"hook", replayed->hook_id.value_or(0)}, {"target", replayed->target}});
  transaction.commit();
  if (o.json) {
    print_json(delivery_json(*replayed));
  } else {
    std::cout << "delivery " << o.id << " is sent again (same webhook-id); `intake hooks deliveries "
              << replayed->hook_id.value_or(0) << "` shows the outcome\n";
  }
}

}  // namespace

void add_hook_commands(CLI::App& app, Context& context) {
  auto o = std::make_shared<HookOptions>();
  auto* hooks = app.add_subcommand("hooks", "Webhooks and command hooks told of each ingest");
  hooks->require_subcommand(1);

  auto* add_command = hooks->add_subcommand("add", "Add a webhook (--url) or a command hook (--command)");
  add_command->add_option("--tenant", o->tenant, "Only this tenant's events (default: every tenant's)");
  add_command->add_option("--url", o->url, "HTTPS endpoint that receives signed POSTs (Standard Webhooks)");
  add_command->add_option("--command", o->command,
                          "Absolute path of a program run with the event as JSON on stdin (no shell)");
  add_command->add_option("--events", o->events, "Comma-separated: ingest.concluded, ingest.held")
      ->default_val("ingest.concluded,ingest.held");
  add_command->add_flag("--json", o->json, "Print JSON (with the secret, this once)");
  add_command->callback([&context, o] { add(context, *o); });

  auto* list_command = hooks->add_subcommand("list", "The hooks (a tenant's: its own and the global ones)");
  list_command->add_option("--tenant", o->tenant, "Only those this tenant's events reach");
  list_command->add_flag("--json", o->json, "Print JSON");
  list_command->callback([&context, o] { list(context, *o); });

  auto* remove_command =
      hooks->add_subcommand("remove", "Remove a hook (its pending deliveries are given up)");
  remove_command->add_option("ID", o->id, "Hook id")->required();
  remove_command->add_flag("--json", o->json, "Print JSON");
  remove_command->callback([&context, o] { remove(context, *o); });

  auto* deliveries_command = hooks->add_subcommand("deliveries", "A hook's deliveries, newest first");
  deliveries_command->add_option("ID", o->id, "Hook id")->required();
  deliveries_command->add_option("--limit", o->limit, "At most this many")->check(CLI::PositiveNumber);
  deliveries_command->add_flag("--json", o->json, "Print JSON");
  deliveries_command->callback([&context, o] { deliveries(context, *o); });

  auto* replay_command =
      hooks->add_subcommand("replay", "Send one of a hook's deliveries again (even a delivered one)");
  replay_command->add_option("DELIVERY", o->id, "Delivery id (from `intake hooks deliveries`)")->required();
  replay_command->add_flag("--json", o->json, "Print JSON");
  replay_command->callback([&context, o] { replay(context, *o); });
}

}  // namespace intake::cli
