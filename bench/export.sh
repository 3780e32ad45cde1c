#!/usr/bin/env bash
# Export cost: time and peak memory to render a generated 100 KB and 1 MB Markdown document
# as PDF, DOCX and HTML (crates/documents/examples/export_cost.rs). Results go in
# docs/performance.md ("Export").
#   bench/export.sh               # release build
#   PROFILE=dev bench/export.sh   # the dev build tests use (dependencies at opt-level 2)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${PROFILE:-release}
cargo build --profile "$PROFILE" --locked -p tandem-documents --example export_cost
dir=$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
for kib in 100 1024; do
  for format in pdf docx html; do
    "./target/$dir/examples/export_cost" "$format" "$kib"
  done
done
