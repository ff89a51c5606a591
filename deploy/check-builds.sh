#!/usr/bin/env bash
# Builds the `intake` binary in the configurations the test command does not (Debug, Release), with
# warnings as errors, so that none of them rots: a packager's Release build once failed on a warning
# only -O3 raises. Run by CI after the test command; each tree is build-<config>/ (about 3 minutes each
# on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
for config in Debug Release; do
  dir="build-$(echo "$config" | tr '[:upper:]' '[:lower:]')"
  echo "check-builds: $config in $dir/" >&2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$config" -DINTAKE_WERROR=ON -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$dir" -j "$(nproc)" --target intake
  "$dir/cli/intake" --version
done
