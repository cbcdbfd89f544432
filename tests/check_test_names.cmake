# Fails if a Catch2 TEST_CASE name contains ';'. CMake splits lists on ';', so
# catch_discover_tests would register two halves that match no test and pass
# without running anything. (The match itself must find the ';': a list of
# matches would be split on it too.)
file(GLOB_RECURSE files ${DIR}/*.cpp)
set(bad "")
foreach(f ${files})
  file(READ ${f} text)
  string(REGEX MATCH "TEST_CASE\\([ \t\r\n]*(\"[^\"]*\"[ \t\r\n]*)*\"[^\";]*;" found "${text}")
  if(found)
    list(APPEND bad "${f}")
  endif()
endforeach()
if(bad)
  message(FATAL_ERROR "TEST_CASE names must not contain ';':\n${bad}")
endif()
