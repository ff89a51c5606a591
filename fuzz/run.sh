#!/usr/bin/env bash
# Builds one libFuzzer target with clang and runs it for a bounded time.
# Usage: fuzz/run.sh BUILD_DIR TARGET SECONDS     e.g. fuzz/run.sh build/fuzz key_parser 30
# Exit status is libFuzzer's: non-zero when it found a crash (the reproducer is in BUILD_DIR/findings).
set -euo pipefail
build_dir=$1 target=$2 seconds=$3
source_dir=$(cd "$(dirname "$0")" && pwd)
fixtures="$source_dir/../tests/fixtures"

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  CXX=clang++ cmake -S "$source_dir" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" --target "$target" >/dev/null

corpus="$build_dir/corpus/$target"
mkdir -p "$corpus" "$build_dir/findings"
case "$target" in
  key_parser) cp -n "$fixtures"/keys/*.pub "$fixtures"/keys/*.rfc4716 "$corpus"/ 2>/dev/null || true ;;
  sftp_decoder) cp -n "$fixtures"/sftp/*.bin "$corpus"/ 2>/dev/null || true ;;
  csv_profiles) cp -n "$fixtures"/csv/*.csv "$corpus"/ 2>/dev/null || true ;;
esac
exec "$build_dir/$target" "$corpus" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
  -artifact_prefix="$build_dir/findings/" -print_final_stats=1
