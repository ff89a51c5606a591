// intake key add | list | revoke
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "base/text.hpp"
#include "base/utc_time.hpp"
#include "cli/commands.hpp"
#include "cli/views.hpp"
#include "keys/fingerprint.hpp"
#include "keys/public_key.hpp"
#include "store/audit.hpp"
#include "store/ssh_keys.hpp"
#include "store/tenants.hpp"

namespace intake::cli {
namespace {

constexpr std::size_t kMaxKeyText = 64 * 1024;  // far above any public key; stops a wrong file early

struct KeyOptions {
  std::string tenant;
  std::string file;
  std::string dash;
  std::string comment;
  std::string expires;
  std::string fingerprint;
  bool md5 = false;
  bool json = false;
};

// Reads at most kMaxKeyText + 1 bytes, so that a wrong file (a disk image, /dev/zero) fails fast.
std::string read_bounded(std::istream& in, const std::string& source) {
  std::string text(kMaxKeyText + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw UserError("cannot read " + source);
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKeyText) {
    throw UserError(source + " is larger than " + std::to_string(kMaxKeyText / 1024) +
                    " KiB, far too large for a public key; give the .pub file");
  }
  return text;
}

std::string read_key_text(const KeyOptions& options) {
  if (options.file.empty() || options.file == "-") {
    if (::isatty(STDIN_FILENO)) std::cerr << "Paste the public key, then press Ctrl-D:\n";
    return read_bounded(std::cin, "standard input");
  }
  std::error_code ec;
  if (!std::filesystem::exists(options.file, ec)) {
    throw UserError("key file " + options.file + " does not exist; check the path of the .pub file");
  }
  if (!std::filesystem::is_regular_file(options.file, ec)) {
    throw UserError("key file " + options.file + " is not a regular file; give the path of the .pub file");
  }
  std::ifstream in(options.file, std::ios::binary);
  if (!in) throw UserError("cannot read key file " + options.file + "; check the path and its permissions");
  return read_bounded(in, "key file " + options.file);
}

void add_key(Context& context, const KeyOptions& options) {
  const auto text = read_key_text(options);
  auto parsed = keys::parse_public_key(text);
  if (!parsed) throw UserError("key refused: " + parsed.error().message);
  if (!options.comment.empty()) parsed->comment = base::clean_comment(options.comment);

  store::NewSshKey key{std::string(keys::wire_name(parsed->algorithm)),
                       parsed->type_and_data(),
                       keys::sha256_fingerprint(*parsed),
                       parsed->bits,
                       parsed->comment,
                       context.actor(),
                       std::nullopt};
  auto& db = context.db();
  store::KeyRepository repository(db);
  if (!options.expires.empty()) {
    const auto typed = base::parse_typed_time(options.expires);
    if (!typed) throw UserError("--expires: " + typed.error());
    const auto expires = base::format_stored_time(*typed);
    if (expires <= repository.now()) {
      throw UserError("--expires " + options.expires + " is in the past; give a future date (UTC)");
    }
    key.expires_at = expires;
  }

  store::Transaction transaction(db);
  const auto tenant = require_tenant(context, options.tenant);
  auto added = repository.add(tenant.id, key);
  if (!added) throw UserError(added.error().message);
  const auto now = repository.now();
  audit(context, "key.add", tenant.name, key_json(*added, now, false));
  transaction.commit();

  if (options.json) {
    print_json(key_json(*added, now, true));
  } else {
    std::cout << "added to tenant " << tenant.name << ": " << keys::fingerprint_line(*parsed) << "\n"
              << "stored as: " << parsed->openssh_line() << "\n";
    if (added->expires_at) std::cout << "expires: " << *added->expires_at << "\n";
  }
}

void list_keys(Context& context, const KeyOptions& options) {
  const auto tenant = require_tenant(context, options.tenant);
  store::KeyRepository repository(context.db());
  const auto now = repository.now();
  const auto records = repository.list(tenant.id);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows{
      {"FINGERPRINT", "TYPE", "BITS", "STATE", "ADDED", "EXPIRES", "COMMENT"}};
  for (const auto& record : records) {
    auto view = key_json(record, now, options.md5);
    rows.push_back({options.md5 ? view.value("fingerprint_md5", "") : record.fingerprint, record.algorithm,
                    std::to_string(record.bits), view["state"].get<std::string>(), record.created_at,
                    record.expires_at.value_or("never"), record.comment});
    out.push_back(std::move(view));
  }
  if (options.json) {
    print_json(out);
  } else if (records.empty()) {
    std::cout << "tenant " << tenant.name << " has no keys; add one with `intake key add " << tenant.name
              << " --file KEY.pub`\n";
  } else {
    std::cout << render_table(rows);
  }
}

void revoke_key(Context& context, const KeyOptions& options) {
  auto& db = context.db();
  store::Transaction transaction(db);
  const auto tenant = require_tenant(context, options.tenant);
  store::KeyRepository repository(db);
  auto revoked = repository.revoke(tenant.id, options.fingerprint, context.actor());
  if (!revoked) throw UserError(revoked.error().message);
  const auto now = repository.now();
  audit(context, "key.revoke", tenant.name, key_json(*revoked, now, false));
  transaction.commit();
  if (options.json) {
    print_json(key_json(*revoked, now, false));
  } else {
    std::cout << "revoked " << revoked->fingerprint << " (" << revoked->comment << ") of tenant "
              << tenant.name
              << "; it is refused from now on, and a running server ends the sessions "
                 "logged in with it within seconds\n";
  }
}

}  // namespace

void add_key_commands(CLI::App& app, Context& context) {
  auto* key = app.add_subcommand("key", "Register, list and revoke tenants' SSH public keys");
  key->require_subcommand(1);
  auto options = std::make_shared<KeyOptions>();

  auto* add = key->add_subcommand(
      "add", "Register a public key (OpenSSH one-line or RFC 4716/PuTTYgen) from a file or stdin");
  add->add_option("TENANT", options->tenant, "Tenant name")->required();
  add->add_option("SOURCE", options->dash, "'-' reads the key from stdin (the default without --file)")
      ->check(CLI::IsMember({"-"}));
  add->add_option("--file", options->file, "The .pub file ('-' for stdin)");
  add->add_option("--comment", options->comment, "Comment to store instead of the key's own");
  add->add_option("--expires", options->expires,
                  "The key stops working at this UTC time: YYYY-MM-DD (midnight) or YYYY-MM-DDTHH:MM[:SS]Z");
  add->add_flag("--json", options->json, "Print JSON");
  add->callback([&context, options] { add_key(context, *options); });

  auto* list = key->add_subcommand("list", "List a tenant's keys with their state");
  list->add_option("TENANT", options->tenant, "Tenant name")->required();
  list->add_flag("--md5", options->md5, "Show MD5 fingerprints (the old ssh-keygen -E md5 form)");
  list->add_flag("--json", options->json, "Print JSON");
  list->callback([&context, options] { list_keys(context, *options); });

  auto* revoke = key->add_subcommand("revoke", "Revoke a key: it is refused from the next login on");
  revoke->add_option("TENANT", options->tenant, "Tenant name")->required();
  revoke->add_option("FINGERPRINT", options->fingerprint, "SHA256 fingerprint, or a unique prefix of it")
      ->required();
  revoke->add_flag("--json", options->json, "Print JSON");
  revoke->callback([&context, options] { revoke_key(context, *options); });
}

}  // namespace intake::cli
