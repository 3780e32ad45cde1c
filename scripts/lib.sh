# Shared by run.sh and test.sh: make sure PostgreSQL and Redis are installed and running,
# installing them from Debian's packages on a fresh machine. Source it; don't run it.

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1; fi
}

apt_install() {
  log "installing $* (apt-get)"
  if [ -z "${APT_UPDATED:-}" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_rust() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null; then
    echo "cargo is not installed. Install Rust 1.88 or newer (https://rustup.rs), then run this again." >&2
    exit 1
  fi
}

ensure_postgres() {
  if ! command -v pg_isready >/dev/null || ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; then
      apt_install postgresql postgresql-client
    fi
  fi
  if ! pg_isready -h "$PG_HOST" -p "$PG_PORT" -q 2>/dev/null; then
    log "starting PostgreSQL"
    local version
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || as_root service postgresql start
    for _ in $(seq 1 60); do pg_isready -h "$PG_HOST" -p "$PG_PORT" -q && break; sleep 0.5; done
  fi
  # The URL tandem and the tests use. Local development trusts 127.0.0.1; a stock Debian
  # install asks for a password there, so give the postgres role a development one.
  if [ -z "${PG_URL:-}" ]; then
    if psql "postgres://postgres@$PG_HOST:$PG_PORT/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1 </dev/null; then
      PG_URL="postgres://postgres@$PG_HOST:$PG_PORT"
    else
      log "setting a development password for the postgres role"
      as_root su postgres -c "psql -qc \"ALTER ROLE postgres PASSWORD 'postgres'\"" >/dev/null
      PG_URL="postgres://postgres:postgres@$PG_HOST:$PG_PORT"
    fi
  fi
  export PG_URL
}

ensure_redis() {
  if ! command -v redis-server >/dev/null && ! redis_up; then
    apt_install redis-server
  fi
  if ! redis_up; then
    log "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" \
      --dir /var/lib/redis --logfile /var/log/redis/tandem.log >/dev/null
    for _ in $(seq 1 40); do redis_up && break; sleep 0.25; done
  fi
}

redis_up() {
  if command -v redis-cli >/dev/null; then
    [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
  else
    # No client: speak RESP with bash's /dev/tcp.
    (exec 3<>"/dev/tcp/127.0.0.1/$REDIS_PORT" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null
  fi
}

# Node.js 20.19+ builds and tests the web app (Vite 8 needs it). Debian 13 packages a
# new enough one; on older releases install Node 20 or 22 from nodejs.org or NodeSource.
ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
  fi
  local version
  version=$(node -p 'process.versions.node')
  if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)||(a===20&&b>=19)||a===21?0:1)'; then
    echo "Node.js $version is too old for the web app: install Node.js 20.19+ or 22.12+ and run this again." >&2
    exit 1
  fi
}

# Installs the web app's packages when package-lock.json changed since the last install.
web_deps() {
  if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    log "web: npm ci"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# PDF export typesets with the installed fonts: Noto covers Latin, Greek, Cyrillic,
# Arabic, Hebrew and most other scripts (core), Chinese, Japanese and Korean (cjk), and emoji.
ensure_fonts() {
  local missing=()
  [ -e /usr/share/fonts/truetype/noto/NotoSans-Regular.ttf ] || missing+=(fonts-noto-core)
  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || missing+=(fonts-noto-color-emoji)
  [ -e /usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf ] || missing+=(fonts-noto-mono)
  if [ ${#missing[@]} -gt 0 ]; then apt_install --no-install-recommends "${missing[@]}"; fi
}

# The browser tests drive Debian's Chromium (browser downloads do not work offline).
ensure_chromium() {
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || apt_install chromium
}
