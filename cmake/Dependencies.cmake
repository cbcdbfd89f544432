# Every dependency comes from a Debian package through find_package; nothing is
# downloaded at build time. .ci/run lists the packages.
find_package(Threads REQUIRED)
find_package(Boost 1.81.0 CONFIG REQUIRED COMPONENTS json url program_options)
find_package(Protobuf REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
# Argon2id password hashing and the token generator for staff logins.
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
if(CRISISLINE_TESTS AND NOT CRISISLINE_FUZZ)
  find_package(Catch2 2 REQUIRED)
  include(Catch)
endif()
if(CRISISLINE_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

# Asio: no deprecated API, and one io thread owns everything, so no implicit
# strand machinery is needed on the hot path.
add_library(crisisline_asio INTERFACE)
target_link_libraries(crisisline_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(crisisline_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
