#!/usr/bin/env bash
# Export cost (#14): time and peak memory to render a 100 KB and a 1 MB Markdown document
# as PDF, DOCX and HTML, one process per case (crates/documents/examples/export_cost.rs).
#
#   bench/export.sh            # about a minute after the build
#
# No servers needed: it measures the renderers, as the export endpoint runs them (on a
# converter thread). Results: docs/performance.md, "Export".
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p tandem-documents --example export_cost
for kib in 100 1024; do
  for format in pdf docx html; do
    ./target/release/examples/export_cost "$format" "$kib"
  done
done
