#!/usr/bin/env bash
# Runs a libFuzzer target for a bounded time on a scratch copy of the seed corpus, so the
# repository's corpus stays small and a finding leaves its crash file in the build dir.
set -euo pipefail
bin=$1 dir=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$dir/corpus" "$work/corpus"
cd "$(dirname "$bin")"
exec "$bin" -max_total_time="$seconds" -dict="$dir/http.dict" -print_final_stats=1 "$work/corpus"
