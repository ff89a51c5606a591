# libphonenumber (Debian's libphonenumber-dev) ships neither a CMake package nor a pkg-config file:
# found by its header and library, as the imported target PhoneNumber::PhoneNumber.
if(NOT TARGET PhoneNumber::PhoneNumber)
  find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h
            DOC "libphonenumber headers (apt-get install libphonenumber-dev)" REQUIRED)
  find_library(PHONENUMBER_LIBRARY phonenumber
               DOC "libphonenumber (apt-get install libphonenumber-dev)" REQUIRED)
  add_library(PhoneNumber::PhoneNumber UNKNOWN IMPORTED)
  set_target_properties(PhoneNumber::PhoneNumber PROPERTIES
    IMPORTED_LOCATION ${PHONENUMBER_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${PHONENUMBER_INCLUDE_DIR})
endif()
