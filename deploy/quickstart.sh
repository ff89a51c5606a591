#!/usr/bin/env bash
# Builds Intake and starts it on its embedded default: data dir ./var (SQLite, generated host keys).
# Works on a fresh Debian 12 machine as root: installs what is missing first.
# Extra arguments go to `intake serve`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target intake

export INTAKE_DATA_DIR="${INTAKE_DATA_DIR:-$PWD/var}"
# Creates ./var (mode 0700), the database and the host keys on first start, and prints what it does.
echo "Starting intake serve on data dir $INTAKE_DATA_DIR (Ctrl-C stops it; README.md shows onboarding)"
exec ./build/cli/intake serve "$@"
