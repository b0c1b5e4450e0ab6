#!/usr/bin/env bash
# Runs every fuzz target for a few seconds over its seed corpus (copied, so the
# committed corpus stays as it is). Any crash fails the run.
set -euo pipefail
build=${1:-build-fuzz}
seconds=${2:-20}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for bin in "$build"/bin/fuzz_*; do
  name=$(basename "$bin")
  mkdir -p "$work/$name"
  if [ -d "fuzz/corpus/$name" ]; then cp -r "fuzz/corpus/$name/." "$work/$name/"; fi
  echo "fuzz: $name for ${seconds}s"
  "$bin" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -artifact_prefix="$work/" \
    "$work/$name" > "$work/$name.log" 2>&1 || { tail -40 "$work/$name.log"; echo "fuzz: $name FAILED"; exit 1; }
  grep -E '^#[0-9]+.*DONE' "$work/$name.log" | tail -1 || true
done
echo "fuzz: all targets passed"
