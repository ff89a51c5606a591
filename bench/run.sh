#!/usr/bin/env bash
# Intake's benchmarks side by side with OpenSSH's own server (bench/README.md). One command:
#   bash bench/run.sh                     # everything, ~10 minutes on 2 cores; prints a table
#   bash bench/run.sh --only ingest idle  # some of: throughput small concurrency idle logins ingest
#   bash bench/run.sh --quick             # small sizes, to try the script out (~1 minute)
# Installs what is missing (Debian packages, incl. openssh-server, never started as a service),
# builds the shipped configuration (RelWithDebInfo: -O2 -g, as quickstart) in build-bench/,
# and keeps the raw figures in build-bench/bench-results.json.
# Not a test: a missed target is reported in the table, and the exit status stays 0.
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target intake intake-bench-client
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
exec /usr/bin/python3 bench/bench.py --intake build-bench/cli/intake --client build-bench/bench/intake-bench-client \
  --json build-bench/bench-results.json "$@"
