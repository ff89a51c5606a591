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
./build/cli/intake hostkeys
if ./build/cli/intake serve --help >/dev/null 2>&1; then
  exec ./build/cli/intake serve "$@"
fi
# The SSH server (`intake serve`) is being built in issue 3; until it lands this prepares ./var.
echo "Data dir $INTAKE_DATA_DIR is ready (database, host keys). This build has no 'serve' command yet:"
echo "register tenants and keys with ./build/cli/intake tenant add / key add (see README.md)."
