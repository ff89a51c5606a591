#pragma once
// A user as one file spec sees it: the values of the spec's slots (FileSpec::slots), packed into one
// string. A million rows are held as a million small strings instead of a million records of a dozen
// strings each, and "did anything change" is one byte comparison of the file's image with the stored
// user's image over the same slots. Pure.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/profile.hpp"

namespace intake::ingest {

// Appends one slot's value (a varint length, then the bytes).
void append_slot(std::string& image, std::string_view value);
// The slot values of an image; `count` is the spec's slot count.
std::vector<std::string_view> slot_values(std::string_view image, std::size_t count);

// Several values in one slot (groups): sorted, without repeats, joined by '\n' so that the same set
// in any order packs to the same bytes.
std::string join_set(std::vector<std::string> values);
std::vector<std::string_view> split_set(std::string_view joined);

// A digest of a row's image that the directory keeps beside the user the row wrote, so that the next
// upload of the same file finds an unchanged user by comparing digests instead of reading its contacts,
// attributes and memberships (a million-user snapshot with 1% changed reads one table, not four).
// The seed binds the digest to what the image means: the profile definition, the file spec, the slots
// the file manages and the file's name; an image read under other rules never matches.
std::int64_t image_seed(std::string_view profile_sha256, std::string_view spec_name,
                        const std::vector<bool>& managed, std::string_view file_name);
std::int64_t image_digest(std::int64_t seed, std::string_view image);

using StoredSummary = store::UserSummary;

// A stored user as the planner sees it; the views need only live through the call that receives it.
using StoredContact = store::ContactView;
using StoredAttribute = store::AttributeView;
struct StoredUser {
  std::int64_t id = 0;
  std::string_view key;
  std::string_view fields[kUserFieldCount];
  std::vector<StoredContact> contacts;
  std::vector<StoredAttribute> attributes;
  std::string_view groups;       // '\n'-joined group ids this file brought (join_set order)
  std::string_view origin_file;  // the file that last synced it; empty: created by hand
  bool manual = false;
  bool removed = false;
  std::optional<std::int64_t> digest;  // of the image its last ingest wrote; nullopt: changed since
};

// The stored user's image over the spec's slots. Slots the file does not manage (`managed[i]` false)
// are packed empty on both sides, so they never count as a change.
std::string stored_image(const StoredUser& user, const FileSpec& spec, const std::vector<bool>& managed);

}  // namespace intake::ingest
