#pragma once
// The onboarding pack: everything a customer needs to connect and upload, as JSON (for scripts)
// and as text (for the e-mail onboarding staff send).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest/profile.hpp"
#include "keys/host_keys.hpp"
#include "store/tenants.hpp"

namespace intake::cli {

struct OnboardingInputs {
  store::Tenant tenant;
  std::size_t active_keys = 0;
  std::vector<keys::HostKey> host_keys;
  std::string host;
  unsigned port = 2222;
  const ingest::Profile* profile = nullptr;
};

nlohmann::json onboarding_pack(const OnboardingInputs& inputs);
std::string render_onboarding_pack(const nlohmann::json& pack);

}  // namespace intake::cli
