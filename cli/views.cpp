#include "cli/views.hpp"

#include "keys/fingerprint.hpp"
#include "keys/public_key.hpp"

namespace intake::cli {

namespace {
nlohmann::json optional_text(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
}  // namespace

std::string compact_json(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json delivery_json(const store::Delivery& d) {
  const auto optional = [](const std::optional<std::string>& text) {
    return text ? nlohmann::json(*text) : nlohmann::json(nullptr);
  };
  return {{"id", d.id},
          {"ingest_id", optional(d.ingest_id)},
          {"tenant", d.tenant},
          {"kind", store::delivery_kind_name(d.kind)},
          {"ingest_status", d.ingest_status ? nlohmann::json(store::ingest_status_name(*d.ingest_status))
                                            : nlohmann::json(nullptr)},
          {"target", d.target},
          {"status", store::delivery_status_name(d.status)},
          {"attempts", d.attempts},
          {"created_at", d.created_at},
          {"next_attempt_at", d.status == store::DeliveryStatus::Pending ? nlohmann::json(d.next_attempt_at)
                                                                         : nlohmann::json(nullptr)},
          {"last_attempt_at", optional(d.last_attempt_at)},
          {"delivered_at", optional(d.delivered_at)},
          {"outcome", d.outcome}};
}

nlohmann::json deliveries_json(const std::vector<store::Delivery>& deliveries) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& delivery : deliveries) out.push_back(delivery_json(delivery));
  return out;
}

std::string deliveries_text(const std::vector<store::Delivery>& deliveries) {
  if (deliveries.empty()) return "  nothing yet\n";
  std::string out;
  for (auto it = deliveries.rbegin(); it != deliveries.rend(); ++it) {  // oldest first
    const auto& d = *it;
    out += "  #" + std::to_string(d.id) + " ";
    switch (d.kind) {
      case store::DeliveryKind::ReportFile: out += "report file in reports/"; break;
      case store::DeliveryKind::Email: out += "e-mail to " + d.target; break;
      case store::DeliveryKind::Webhook: out += "webhook " + d.target; break;
      case store::DeliveryKind::Command: out += "command " + d.target; break;
    }
    if (d.ingest_status) out += " (" + std::string(store::ingest_status_name(*d.ingest_status)) + ")";
    switch (d.status) {
      case store::DeliveryStatus::Delivered: out += ": delivered at " + d.delivered_at.value_or("?"); break;
      case store::DeliveryStatus::Failed: out += ": not delivered: " + d.outcome; break;
      case store::DeliveryStatus::Pending:
        out += ": pending, next attempt at " + d.next_attempt_at;
        if (d.attempts > 0)
          out += " (" + std::to_string(d.attempts) + " failed so far, last: " + d.outcome + ")";
        break;
    }
    out += "\n";
  }
  return out;
}

nlohmann::json user_json(const store::DirectoryUser& u) {
  const auto optional = [](const std::optional<std::string>& value) {
    return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
  };
  nlohmann::json json{{"username", u.external_id}};
  for (std::size_t i = 0; i < store::kUserFieldCount; ++i)
    json[std::string(store::field_name(static_cast<store::UserField>(i)))] = u.fields[i];
  nlohmann::json contacts = nlohmann::json::array();
  for (const auto& contact : u.contacts) {
    contacts.push_back({{"kind", store::contact_kind_name(contact.kind)},
                        {"type", contact.type},
                        {"value", contact.value},
                        {"primary", contact.primary}});
  }
  nlohmann::json attributes = nlohmann::json::object();
  for (const auto& [name, value] : u.attributes) attributes[name] = value;
  json["contacts"] = contacts;
  json["attributes"] = attributes;
  json["groups"] = u.groups;
  json["phone"] = u.phone();
  json["group"] = u.groups.empty() ? std::string() : u.groups.front();
  json["source"] = u.origin_file ? "sync" : "manual";
  json["origin_file"] = optional(u.origin_file);
  json["status"] = u.removed_at ? "removed" : "active";
  json["removed_at"] = optional(u.removed_at);
  json["updated_at"] = u.updated_at;
  return json;
}

nlohmann::json tenant_json(const store::Tenant& tenant) {
  return {{"name", tenant.name},
          {"org_id", tenant.org_id},
          {"profile", tenant.profile},
          {"file_names", tenant.file_names},
          {"mode", store::tenant_mode_name(tenant.mode)},
          {"phone_region", tenant.phone_region},
          {"roles", tenant.roles},
          {"auto_create_users", tenant.auto_create_users},
          {"report_emails", tenant.report_emails},
          {"report_mail", store::report_mail_name(tenant.report_mail)},
          {"allowed_networks", tenant.allowed_networks},
          {"enabled", tenant.enabled},
          {"upload_quota_bytes", tenant.upload_quota_bytes ? nlohmann::json(*tenant.upload_quota_bytes)
                                                           : nlohmann::json("default")},
          {"upload_quota_files", tenant.upload_quota_files ? nlohmann::json(*tenant.upload_quota_files)
                                                           : nlohmann::json("default")},
          {"created_at", tenant.created_at},
          {"updated_at", tenant.updated_at}};
}

nlohmann::json key_json(const store::SshKeyRecord& key, std::string_view now, bool with_md5) {
  nlohmann::json out{{"tenant", key.tenant_name},
                     {"fingerprint", key.fingerprint},
                     {"algorithm", key.algorithm},
                     {"bits", key.bits},
                     {"comment", key.comment},
                     {"state", store::to_string(store::key_state(key, now))},
                     {"public_key", key.public_key},
                     {"created_at", key.created_at},
                     {"created_by", key.created_by},
                     {"expires_at", optional_text(key.expires_at)},
                     {"revoked_at", optional_text(key.revoked_at)},
                     {"revoked_by", optional_text(key.revoked_by)}};
  if (with_md5) {
    // Stored keys were validated when added, so they parse again.
    if (const auto parsed = keys::parse_public_key(key.public_key)) {
      out["fingerprint_md5"] = keys::md5_fingerprint(*parsed);
    }
  }
  return out;
}

nlohmann::json host_key_json(const keys::HostKey& key, const std::string& host, unsigned port) {
  return {{"path", key.path.string()},
          {"algorithm", std::string(keys::wire_name(key.public_key.algorithm))},
          {"bits", key.public_key.bits},
          {"fingerprint", keys::sha256_fingerprint(key.public_key)},
          {"fingerprint_line", keys::fingerprint_line(key.public_key)},
          {"known_hosts", keys::known_hosts_line(host, port, key.public_key)},
          {"created", key.created}};
}

}  // namespace intake::cli
