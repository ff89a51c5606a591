# The built-in profiles are data: ingest/profiles/<name>.toml, embedded verbatim into a generated source
# and read by the same loader as a customer's profile file. Used by ingest/ and by the fuzz build.
function(intake_embed_profiles output)
  set(profile_dir ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/profiles)
  file(GLOB profile_files CONFIGURE_DEPENDS ${profile_dir}/*.toml)
  list(SORT profile_files)
  set(entries "")
  foreach(profile_file ${profile_files})
    # Editing a profile re-embeds it (the glob alone notices only added and removed files).
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${profile_file})
    get_filename_component(profile_name ${profile_file} NAME)
    file(READ ${profile_file} profile_text)
    string(APPEND entries "    {\"${profile_name}\", R\"intake_profile(${profile_text})intake_profile\"},\n")
  endforeach()
  file(CONFIGURE OUTPUT ${output} CONTENT
"// Generated from ingest/profiles/*.toml by ingest/embed_profiles.cmake; do not edit.
#include <span>
#include <string_view>
#include <utility>

namespace intake::ingest {

std::span<const std::pair<std::string_view, std::string_view>> builtin_profile_texts() {
  static constexpr std::pair<std::string_view, std::string_view> kTexts[] = {
${entries}  };
  return kTexts;
}

}  // namespace intake::ingest
")
endfunction()
