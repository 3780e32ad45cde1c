#!/usr/bin/env bash
# The browser editor's benchmark: bundle size, time to an editable document, local echo and
# remote latency in headless Chromium against a release tandem. Results go to stdout; record
# them in docs/performance.md with the machine.
#   bench/web.sh            # builds the web app and tandem (release) first
#   NO_BUILD=1 bench/web.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_node
ensure_chromium
ensure_postgres
ensure_redis
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-$PG_URL}
if [ -z "${NO_BUILD:-}" ]; then
  web_deps
  (cd web && npx vite build --logLevel warn)
  cargo build --release --locked -p tandem
fi
TANDEM_BIN=${TANDEM_BIN:-$PWD/target/release/tandem} node bench/web.mjs
