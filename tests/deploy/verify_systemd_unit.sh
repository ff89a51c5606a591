#!/usr/bin/env bash
# `systemd-analyze verify` on deploy/intake.service, with ExecStart pointed at the freshly built binary
# (verify insists that the executable exists).
set -euo pipefail
binary=$1
unit_dir=$(mktemp -d)
trap 'rm -rf "$unit_dir"' EXIT
sed "s|/usr/local/bin/intake|$binary|" "$(dirname "$0")/../../deploy/intake.service" > "$unit_dir/intake.service"
systemd-analyze verify "$unit_dir/intake.service"
echo "deploy/intake.service verifies"
