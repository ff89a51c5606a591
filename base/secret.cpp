#include "base/secret.hpp"

#include <cstring>

namespace intake::base {

void wipe(std::string& text) {
  text.resize(text.capacity());  // never reallocates: the bytes past size() are the string's too
  ::explicit_bzero(text.data(), text.size());
  text.clear();
}

}  // namespace intake::base
