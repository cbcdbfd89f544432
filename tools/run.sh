#!/usr/bin/env bash
# Installs missing dependencies, builds crisisline and starts it with the
# embedded default configuration: 127.0.0.1:8080 and ./crisisline.db.
# Extra arguments go to `crisisline serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target crisisline
exec ./build/src/app/crisisline serve "$@"
