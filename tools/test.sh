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
# The browser test's npm dependency (playwright-core), exactly as locked; only
# when missing or the lock file changed, so a warm run needs no network.
if [ ! -f tests/browser/node_modules/.package-lock.json ] ||
   [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  (cd tests/browser && npm ci --prefer-offline --no-audit --no-fund)
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 --timeout 300
