#!/usr/bin/env bash
# Runs the tandem-ot benchmarks (trace replay, keystrokes, transform/compose vs the
# operational-transform crate). Extra arguments go to criterion, e.g.
#   bench/ot.sh --measurement-time 2 transform
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p tandem-ot --bench ot -- "$@"
