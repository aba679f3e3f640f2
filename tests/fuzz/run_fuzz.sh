#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time on a scratch copy of its seed corpus, so the
# repository's corpus stays small and a finding leaves its crash file in the build dir.
# Usage: run_fuzz.sh BIN CORPUS_DIR DICT SECONDS
set -euo pipefail
bin=$1 corpus=$2 dict=$3 seconds=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus" "$work/corpus"
cd "$(dirname "$bin")"
exec "$bin" -max_total_time="$seconds" -dict="$dict" -print_final_stats=1 "$work/corpus"
