#!/usr/bin/env bash
# Sets up and runs tandem on http://127.0.0.1:8080: installs and starts PostgreSQL and
# Redis if needed, creates the database, builds the web app and the server, migrates, seeds the demo accounts and
# serves every service in one process. Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_rust
ensure_node
ensure_postgres
ensure_redis
ensure_fonts

DB_NAME=${TANDEM_DB_NAME:-tandem}
if ! psql "$PG_URL/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" </dev/null | grep -q 1; then
  log "creating database $DB_NAME"
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $DB_NAME" </dev/null
fi
export TANDEM_DATABASE__URL=${TANDEM_DATABASE__URL:-$PG_URL/$DB_NAME}

web_deps
log "building the web app"
(cd web && npx vite build --logLevel warn)
log "building tandem (release)"
cargo build --release --locked -p tandem
log "migrating"
./target/release/tandem migrate
./target/release/tandem seed
log "serving on http://127.0.0.1:${TANDEM_SERVER__PORT:-8080} (API docs at /docs)"
exec ./target/release/tandem serve
