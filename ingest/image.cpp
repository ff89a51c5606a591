#include "ingest/image.hpp"

#include <algorithm>

#include "base/text.hpp"

// Header-only use of Debian's libxxhash-dev: XXH3 digests a 100-byte image in a few nanoseconds.
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace intake::ingest {

void append_slot(std::string& image, std::string_view value) {
  auto length = value.size();
  do {
    const auto low = static_cast<unsigned char>(length & 0x7f);
    length >>= 7;
    image += static_cast<char>(length ? (low | 0x80) : low);
  } while (length);
  image.append(value);
}

std::vector<std::string_view> slot_values(std::string_view image, std::size_t count) {
  std::vector<std::string_view> values;
  values.reserve(count);
  std::size_t at = 0;
  for (std::size_t slot = 0; slot < count; ++slot) {
    std::size_t length = 0;
    for (int shift = 0; at < image.size(); shift += 7) {
      const auto byte = static_cast<unsigned char>(image[at++]);
      length |= static_cast<std::size_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) break;
    }
    length = std::min(length, image.size() - at);
    values.push_back(image.substr(at, length));
    at += length;
  }
  return values;
}

std::int64_t image_seed(std::string_view profile_sha256, std::string_view spec_name,
                        const std::vector<bool>& managed, std::string_view file_name) {
  std::string context;
  append_slot(context, profile_sha256);
  append_slot(context, spec_name);
  append_slot(context, file_name);
  for (const bool slot_managed : managed) context += slot_managed ? '1' : '0';
  return static_cast<std::int64_t>(XXH3_64bits(context.data(), context.size()));
}

std::int64_t image_digest(std::int64_t seed, std::string_view image) {
  return static_cast<std::int64_t>(
      XXH3_64bits_withSeed(image.data(), image.size(), static_cast<XXH64_hash_t>(seed)));
}

std::string join_set(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::string joined;
  for (const auto& value : values) {
    if (!joined.empty()) joined += '\n';
    joined += value;
  }
  return joined;
}

std::vector<std::string_view> split_set(std::string_view joined) { return base::split(joined, '\n'); }

std::string stored_image(const StoredUser& user, const FileSpec& spec, const std::vector<bool>& managed) {
  std::string image;
  for (std::size_t slot = 0; slot < spec.slots.size(); ++slot) {
    std::string_view value;
    if (managed[slot]) {
      const auto& target = spec.slots[slot];
      switch (target.kind) {
        case TargetKind::Field: value = user.fields[static_cast<std::size_t>(target.field)]; break;
        case TargetKind::Contact:
          for (const auto& contact : user.contacts) {
            if (contact.kind == target.contact && contact.type == target.name) value = contact.value;
          }
          break;
        case TargetKind::Attribute:
          for (const auto& attribute : user.attributes) {
            if (attribute.name == target.name) value = attribute.value;
          }
          break;
        case TargetKind::Groups: value = user.groups; break;
        case TargetKind::Key:
        case TargetKind::OrgId:
        case TargetKind::Skip:
        case TargetKind::Operation:  // group_ops rows are groups, not users
        case TargetKind::GroupName:
        case TargetKind::Password:         // never in an image
        case TargetKind::ListItem: break;  // a list is, as its output's attribute
      }
    }
    append_slot(image, value);
  }
  return image;
}

}  // namespace intake::ingest
