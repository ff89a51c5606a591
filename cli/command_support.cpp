#include <algorithm>
#include <iostream>

#include "cli/commands.hpp"

namespace intake::cli {

store::Tenant require_tenant(Context& context, const std::string& name) {
  auto tenant = store::TenantRepository(context.db()).find(name);
  if (!tenant) throw UserError("no tenant named '" + name + "'; `intake tenant list` shows the tenants");
  return *tenant;
}

void print_json(const nlohmann::json& value) { std::cout << value.dump(2) << "\n"; }

std::string lines_or(const std::vector<std::string>& values, const std::string& empty) {
  std::string out;
  for (const auto& value : values) out += (out.empty() ? "" : ", ") + value;
  return out.empty() ? empty : out;
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace intake::cli
