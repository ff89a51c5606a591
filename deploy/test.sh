#!/usr/bin/env bash
# Builds Intake and runs the whole test suite (unit, integration, a bounded fuzz run).
# Works on a fresh Debian 12 machine as root: installs what is missing first.
#   bash deploy/test.sh                      # build/ , RelWithDebInfo
#   INTAKE_SANITIZE=1 bash deploy/test.sh    # build-asan/ , AddressSanitizer + UBSan
# Extra arguments go to ctest, e.g. `bash deploy/test.sh -L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh

build_dir=build
cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DINTAKE_WERROR=ON)
if [ "${INTAKE_SANITIZE:-0}" = 1 ]; then
  build_dir=build-asan
  cmake_args+=(-DINTAKE_SANITIZE=ON)
fi
cmake -S . -B "$build_dir" "${cmake_args[@]}"
cmake --build "$build_dir" -j "$(nproc)"
cd "$build_dir"
ctest --output-on-failure -j "$(nproc)" "$@"
