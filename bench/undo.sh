#!/usr/bin/env bash
# Undo through N later ops, and the cost of keeping authorship while replaying a real
# editing trace (#13). Extra arguments go to criterion, e.g. bench/undo.sh undo_through
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p tandem-collab --bench undo -- "$@"
