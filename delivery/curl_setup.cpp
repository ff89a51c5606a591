#include "delivery/curl_setup.hpp"

#include <mutex>

namespace intake::delivery {

CurlHandle new_curl(std::chrono::seconds timeout, const std::filesystem::path& ca_file) {
  // libcurl's global state is set up once, before any thread uses it.
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  CurlHandle curl(curl_easy_init());
  if (!curl) return curl;
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT,
                   static_cast<long>(std::min<long long>(timeout.count(), 30)));
  if (!ca_file.empty()) curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ca_file.c_str());
  return curl;
}

}  // namespace intake::delivery
