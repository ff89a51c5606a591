#pragma once
// Plain-text secrets in memory (passwords read from an uploaded file on their way to a hash): kept in
// one type that overwrites its bytes before they are released, so that they do not linger in freed
// heap pages for a later allocation or a core dump to show.
#include <string>
#include <string_view>

namespace intake::base {

// Overwrites every byte the string owns (its whole capacity, so a moved-from short string's stale
// bytes too) and leaves it empty.
void wipe(std::string& text);

class SecretString {
 public:
  SecretString() = default;
  // Takes the text and wipes what the caller's string kept of it.
  explicit SecretString(std::string& text) : text_(text) { wipe(text); }
  SecretString(SecretString&& other) noexcept : text_(other.text_) { wipe(other.text_); }
  SecretString& operator=(SecretString&& other) noexcept {
    if (this != &other) {
      wipe(text_);
      text_ = other.text_;
      wipe(other.text_);
    }
    return *this;
  }
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() { wipe(text_); }

  std::string_view view() const { return text_; }
  bool empty() const { return text_.empty(); }

 private:
  std::string text_;
};

}  // namespace intake::base
