#pragma once
// libcurl handles as the deliverers use them: set up once per process, owned by RAII, with a timeout,
// no signals (threads), and the operator's CA file when one is configured.
#include <curl/curl.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

namespace intake::delivery {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
  void operator()(curl_mime* mime) const { curl_mime_free(mime); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;

// A list of header lines or recipients.
class CurlList {
 public:
  void append(const std::string& line) { list_.reset(curl_slist_append(list_.release(), line.c_str())); }
  curl_slist* get() const { return list_.get(); }

 private:
  std::unique_ptr<curl_slist, CurlDeleter> list_;
};

// Null when libcurl cannot start.
CurlHandle new_curl(std::chrono::seconds timeout, const std::filesystem::path& ca_file);

}  // namespace intake::delivery
