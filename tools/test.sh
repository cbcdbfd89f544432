#!/usr/bin/env bash
# Installs missing dependencies, configures, builds (-j2) and runs the whole
# test suite with CTest.
#   BUILD_DIR   build directory (default: build)
#   CMAKE_ARGS  extra configure arguments (e.g. -DCRISISLINE_ASAN=ON)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
BUILD_DIR="${BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCRISISLINE_WERROR=ON ${CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j2
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300
