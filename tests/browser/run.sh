#!/usr/bin/env bash
# ctest's browser.flamegraph: renders the fixture profile with the real `waitprof flamegraph`
# and lets headless chromium, driven by playwright-core, use the SVG as a person would.
# Usage: run.sh WAITPROF FLAMEGRAPH_FIXTURE WORK_DIR
# Exit 77 means skipped (ctest's SKIP_RETURN_CODE): no node, no chromium or no node_modules.
# Under CI=true a skip would hide that nothing was checked, so it fails instead.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
waitprof=$1 fixture=$2 work=$3
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

skip() {
  if [ "${CI:-}" = true ]; then
    echo "browser test: CI=true but $*" >&2
    exit 1
  fi
  echo "browser test skipped: $*"
  exit 77
}
command -v node >/dev/null || skip "node is not installed (scripts/setup.sh installs it)"
[ -x "$CHROMIUM" ] || skip "$CHROMIUM is missing (scripts/setup.sh installs Debian's chromium)"
[ -d "$here/node_modules/playwright-core" ] ||
  skip "tests/browser/node_modules is missing (scripts/setup.sh runs npm ci --prefix tests/browser)"

rm -rf "$work"
mkdir -p "$work"
"$fixture" "$work/lock.pb.gz"
"$waitprof" flamegraph "$work/lock.pb.gz"  # writes lock.svg next to it
[ -s "$work/lock.svg" ] || { echo "waitprof flamegraph wrote no $work/lock.svg" >&2; exit 1; }

export FLAMEGRAPH_SVG=$work/lock.svg CHROMIUM
cd "$here"
exec node --test --test-reporter=spec flamegraph.test.mjs
