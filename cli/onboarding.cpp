#include "cli/onboarding.hpp"

#include <algorithm>

#include "cli/views.hpp"

namespace intake::cli {

nlohmann::json onboarding_pack(const OnboardingInputs& in) {
  const auto& tenant = in.tenant;
  std::vector<std::string> file_names = tenant.file_names;
  if (file_names.empty() && in.profile) file_names = in.profile->file_names();
  nlohmann::json host_keys = nlohmann::json::array();
  for (const auto& key : in.host_keys) host_keys.push_back(host_key_json(key, in.host, in.port));

  const std::string target = tenant.name + "@" + in.host;
  const std::string port_flag = in.port == 22 ? "" : "-P " + std::to_string(in.port) + " ";
  nlohmann::json pack{
      {"tenant", tenant.name},
      {"org_id", tenant.org_id},
      {"user", tenant.name},
      {"host", in.host},
      {"port", in.port},
      {"ip_version", "IPv4 only"},
      {"authentication", "SSH public key only"},
      {"active_keys", in.active_keys},
      {"enabled", tenant.enabled},
      {"host_keys", host_keys},
      {"upload_folder", "~/upload"},
      {"reports_folder", "~/reports"},
      {"profile", tenant.profile},
      {"file_names", file_names},
      {"exact_file_name",
       in.profile && std::all_of(in.profile->files.begin(), in.profile->files.end(),
                                 [](const ingest::FileSpec& spec) { return spec.exact_name; })},
      {"mode", store::tenant_mode_name(tenant.mode)},
      {"phone_region", tenant.phone_region},
      {"report_emails",
       tenant.report_mail == store::ReportMail::Off ? std::vector<std::string>{} : tenant.report_emails},
      {"allowed_networks", tenant.allowed_networks},
      {"sftp_command", "sftp " + port_flag + "-i ~/.ssh/id_ed25519 " + target},
  };
  if (in.profile) {
    // Each accepted file with its columns and a sample, in the profile's own words.
    pack["profile_title"] = in.profile->title;
    nlohmann::json files = nlohmann::json::array();
    for (const auto& name : file_names) {
      const auto* spec = in.profile->file_for(name);
      if (!spec) continue;
      nlohmann::json columns = nlohmann::json::array();
      for (const auto& column : spec->columns) {
        if (!column.shown()) continue;
        columns.push_back({{"header", column.header},
                           {"required", column.required || column.header_required},
                           {"target", ingest::target_text(column.target)}});
      }
      std::vector<std::string> sample;
      if (spec->header != ingest::HeaderMode::None) sample.push_back(ingest::sample_header(*spec));
      sample.push_back(ingest::sample_row(*spec, tenant.org_id));
      files.push_back({{"name", name},
                       {"description", spec->description},
                       {"header_row", spec->header != ingest::HeaderMode::None},
                       {"columns", columns},
                       {"sample", sample}});
      if (!pack.contains("sample_csv")) pack["sample_csv"] = sample;
      if (const auto* org = spec->column_for(ingest::Target::of(ingest::TargetKind::OrgId)))
        pack["org_id_column"] = org->header;
    }
    pack["files"] = files;
  }
  if (!file_names.empty()) {
    pack["upload_commands"] = {"cd upload", "put " + file_names.front()};
  }
  return pack;
}

std::string render_onboarding_pack(const nlohmann::json& pack) {
  const auto text = [](const nlohmann::json& value) { return value.get<std::string>(); };
  const auto join = [](const nlohmann::json& list, const std::string& empty) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : ", ") + item.get<std::string>();
    return out.empty() ? empty : out;
  };
  std::string out;
  const auto line = [&out](const std::string& label, const std::string& value) {
    out += label;
    out.append(label.size() < 22 ? 22 - label.size() : 1, ' ');
    out += value + "\n";
  };

  out += "Intake onboarding pack for tenant " + text(pack["tenant"]) + "\n\n";
  line("Organisation id:",
       text(pack["org_id"]) + (pack.contains("org_id_column")
                                   ? "   (the " + text(pack["org_id_column"]) + " column of your file)"
                                   : ""));
  line("SFTP user name:", text(pack["user"]));
  line("Server:",
       text(pack["host"]) + ", port " + std::to_string(pack["port"].get<unsigned>()) + " (IPv4 only)");
  line("Authentication:", "SSH public key only, no passwords (" +
                              std::to_string(pack["active_keys"].get<std::size_t>()) +
                              " active key(s) registered)");
  if (!pack["enabled"].get<bool>()) line("Status:", "DISABLED — logins are refused");
  out += "Host key fingerprints (compare them when your client asks on first connect):\n";
  for (const auto& key : pack["host_keys"]) out += "  " + text(key["fingerprint_line"]) + "\n";
  out += "known_hosts lines (to pin the host keys in scripts):\n";
  for (const auto& key : pack["host_keys"]) out += "  " + text(key["known_hosts"]) + "\n";
  line("Upload folder:",
       text(pack["upload_folder"]) + "   (a file disappears from it once it is completely received)");
  line("Reports folder:", text(pack["reports_folder"]) + "   (one report per upload, read-only)");
  line("Profile:",
       text(pack["profile"]) + (pack.contains("profile_title") ? " — " + text(pack["profile_title"]) : ""));
  line("File name:",
       join(pack["file_names"], "(see the profile)") +
           (pack["exact_file_name"].get<bool>() ? "   (exactly this name: no dates or timestamps)" : ""));
  if (pack["mode"] == "validate") {
    line("Mode:",
         "VALIDATION — each upload is checked and reported with the changes it would make; "
         "nothing is applied until sync is enabled");
  }
  line("Phone numbers:", pack["phone_region"].get<std::string>().empty()
                             ? std::string("international format with + and country code (+15713124645)")
                             : "international (+15713124645), or national numbers of " +
                                   text(pack["phone_region"]) + " (stored as international)");
  if (pack.contains("files")) {
    for (const auto& file : pack["files"]) {
      out += "File " + text(file["name"]) +
             (file["description"].empty() ? "" : ": " + text(file["description"])) + "\n";
      std::string columns;
      for (const auto& column : file["columns"])
        columns += (columns.empty() ? "" : ", ") + text(column["header"]) +
                   (column["required"].get<bool>() ? "*" : "");
      out += "  columns (* required" +
             std::string(file["header_row"].get<bool>() ? "" : "; no header row, in this order") +
             "): " + columns + "\n  sample:\n";
      for (const auto& row : file["sample"]) out += "    " + text(row) + "\n";
    }
  }
  out += "Connect and upload:\n  " + text(pack["sftp_command"]) + "\n";
  if (pack.contains("upload_commands")) {
    for (const auto& command : pack["upload_commands"]) out += "  sftp> " + text(command) + "\n";
  }
  line("Reports e-mailed to:", join(pack["report_emails"], "(nobody yet)"));
  line("Allowed addresses:", join(pack["allowed_networks"], "any IPv4 address"));
  if (pack["active_keys"].get<std::size_t>() == 0) {
    out += "\nNo key is registered yet: add the customer's public key with\n  intake key add " +
           text(pack["tenant"]) + " --file their_key.pub\n";
  }
  return out;
}

}  // namespace intake::cli
