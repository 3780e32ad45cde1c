#!/usr/bin/env bash
# Sets up and runs every check CI runs: formatting, clippy with warnings as errors, and
# all tests (unit, property, replay, black-box API tests against real PostgreSQL and Redis),
# then the web app's type check, unit tests, build, and browser tests in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_rust
ensure_node
ensure_chromium
ensure_postgres
ensure_redis
ensure_fonts
# The export tests read PDFs back with pdftotext, and DOCX with pandoc (an independent reader).
command -v pdftotext >/dev/null || apt_install poppler-utils
command -v pandoc >/dev/null || apt_install pandoc
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-$PG_URL}

# Each API test creates its own database and drops it when done. Clear those a crashed
# run left behind: names carry their creation time, and anything over an hour old is stale
# (younger ones may belong to a run still going).
drop_stale_test_databases() {
  local now stale
  now=$(date +%s)
  stale=$(psql "$PG_URL/postgres" -Atqc "SELECT datname FROM pg_database WHERE datname ~ '^tandem_test_[0-9]+_' AND split_part(datname, '_', 3)::bigint < $now - 3600" </dev/null) || return 0
  for db in $stale; do psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" </dev/null || true; done
}
drop_stale_test_databases

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy -D warnings"
cargo clippy --locked --workspace --all-targets -- -D warnings
log "cargo test"
cargo test --locked --workspace

log "web: type check and unit tests"
web_deps
(cd web && npx tsc --noEmit && npx vitest run)
log "web: build"
(cd web && npx vite build --logLevel warn)
log "web: browser tests (headless Chromium)"
cargo build --locked -p tandem
(cd web && node --test --test-concurrency=1 e2e/)
