#!/usr/bin/env bash
# User Service benchmark: GET /auth/me, POST /auth/login (against the raw bcrypt rate) and
# POST /auth/refresh, with wrk against a release `tandem serve` on 127.0.0.1.
#
#   bench/users.sh            # about 2.5 minutes after the build
#
# Needs: cargo, wrk, curl, jq, psql and redis-cli; PostgreSQL on 127.0.0.1:5432 (trust
# auth, user postgres) and Redis on 127.0.0.1:6379. It drops and recreates the database
# `tandem_bench` and deletes the Redis keys under `bench:`.
#
# Knobs (environment): PORT (18080), DURATION (15, seconds per wrk run), LOGIN_DURATION (20),
# LOGIN_CONNS (2 x cores), REFRESH_CONNS (32), BCRYPT_SECS (6), OUT (target/bench-users),
# NO_BUILD=1 (use the existing target/release binaries instead of building).
# Results: a table on stdout and in $OUT/results.md; raw wrk output in $OUT/*.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18080}
HOST=127.0.0.1 # never anything else: this is a load generator
BASE="http://$HOST:$PORT"
DURATION=${DURATION:-15}
LOGIN_DURATION=${LOGIN_DURATION:-20}
CORES=$(nproc)
LOGIN_CONNS=${LOGIN_CONNS:-$((CORES * 2))}
REFRESH_CONNS=${REFRESH_CONNS:-32}
BCRYPT_SECS=${BCRYPT_SECS:-6}
OUT=${OUT:-target/bench-users}
DB=tandem_bench
PREFIX=bench:
PASSWORD="correct horse battery staple"
EMAIL=bench@example.com

for tool in cargo wrk curl jq psql redis-cli; do
  command -v "$tool" >/dev/null || { echo "bench/users.sh: $tool is required" >&2; exit 1; }
done

mkdir -p "$OUT"
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '\n== %s\n' "$*" >&2; }

# 1000 connections need 1000+ descriptors in wrk and in the server.
if (($(ulimit -n) < 4096)); then
  hard=$(ulimit -Hn)
  if [[ $hard == unlimited ]] || ((hard >= 65536)); then ulimit -n 65536; else ulimit -n "$hard"; fi
fi
(($(ulimit -n) >= 2048)) || { echo "bench/users.sh: ulimit -n is $(ulimit -n); need 2048" >&2; exit 1; }

if [[ ${NO_BUILD:-} ]]; then # e.g. while someone else's half-edited crate does not compile
  log "NO_BUILD set: using the existing target/release binaries"
  [[ -x target/release/tandem && -x target/release/examples/bcrypt_rate ]] || { echo "no release binaries" >&2; exit 1; }
else
  log "building (release)"
  cargo build --release -j 2 -p tandem
  cargo build --release -j 2 -p tandem-users --example bcrypt_rate
fi

# Other work on the machine skews every figure: record how busy it was.
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

# Raw bcrypt first, while nothing else runs.
log "raw bcrypt verify rate, cost 12, $CORES threads, ${BCRYPT_SECS}s"
if [[ ${NO_BUILD:-} ]]; then BCRYPT=(target/release/examples/bcrypt_rate); else
  BCRYPT=(cargo run --release -j 2 -p tandem-users --example bcrypt_rate --); fi
timeout 120 "${BCRYPT[@]}" \
  --threads "$CORES" --secs "$BCRYPT_SECS" --cost 12 | tee "$OUT/bcrypt_rate.txt"
BCRYPT_RATE=$(sed -n 's/.*per_sec=\([0-9.]*\).*/\1/p' "$OUT/bcrypt_rate.txt" | tail -1)

log "fresh database $DB and Redis prefix $PREFIX"
psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB"
timeout 60 redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX*" | timeout 60 xargs -r -n 500 redis-cli -h 127.0.0.1 DEL >/dev/null

log "starting tandem serve on $BASE"
TANDEM_SERVER__HOST=$HOST \
TANDEM_SERVER__PORT=$PORT \
TANDEM_SERVER__DATA_DIR=/tmp/tandem-bench-data \
TANDEM_DATABASE__URL=postgres://postgres@127.0.0.1:5432/$DB \
TANDEM_REDIS__KEY_PREFIX=$PREFIX \
TANDEM_USERS__BCRYPT_COST=12 \
TANDEM_USERS__RATE_LIMIT__LOGIN_PER_MINUTE=0 \
TANDEM_USERS__RATE_LIMIT__REGISTER_PER_MINUTE=0 \
TANDEM_USERS__RATE_LIMIT__REFRESH_PER_MINUTE=0 \
TANDEM_USERS__RATE_LIMIT__USER_PER_MINUTE=0 \
TANDEM_LOG__LEVEL=warn \
  target/release/tandem serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
deadline=$((SECONDS + 60))
until curl -sf -o /dev/null "$BASE/health/ready"; do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see $OUT/server.log" >&2; exit 1; }
  ((SECONDS < deadline)) || { echo "server not ready after 60 s" >&2; exit 1; }
  sleep 0.2
done

log "registering $EMAIL and logging in"
curl -sf --max-time 10 -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$EMAIL\",\"username\":\"bench\",\"password\":\"$PASSWORD\",\"display_name\":\"Bench\"}" \
  "$BASE/auth/register"
LOGIN_BODY="{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
login() { curl -sf --max-time 30 -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$BASE/auth/login"; }
TOKEN=$(login | jq -r .access_token)
curl -sf --max-time 10 -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/auth/me"

# --- CPU accounting: where the cores went during a run ----------------------------------
ticks_of() { # summed utime+stime (clock ticks) of the given pids
  local total=0 pid f
  for pid in "$@"; do
    f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + ${f% *} + ${f#* }))
  done
  echo "$total"
}
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
cpu_snapshot() {
  echo "$(busy_ticks) $(ticks_of "$SERVER_PID") $(ticks_of $(pgrep -x postgres)) $(ticks_of $(pgrep -x redis-server))"
}
cpu_report() { # before after seconds -> "cores used: total tandem postgres redis other"
  read -r b0 t0 p0 r0 <<<"$1"
  read -r b1 t1 p1 r1 <<<"$2"
  awk -v hz="$(getconf CLK_TCK)" -v s="$3" -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v r=$((r1 - r0)) \
    'BEGIN { f = hz * s; printf "total=%.2f tandem=%.2f postgres=%.2f redis=%.2f other(wrk)=%.2f", b/f, t/f, p/f, r/f, (b-t-p-r)/f }'
}

# --- wrk scripts ------------------------------------------------------------------------
cat >"$WORK/report.lua" <<'LUA'
-- One machine-readable line at the end of a run.
report = function(summary, latency, extra)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.2f rps=%.2f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d%s\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.status, e.connect + e.read + e.write + e.timeout, extra or ""))
end
LUA
cat >"$WORK/get.lua" <<'LUA'
dofile(os.getenv("WORK") .. "/report.lua")
local token = os.getenv("TOKEN")
if token then wrk.headers["Authorization"] = "Bearer " .. token end
done = function(summary, latency, requests) report(summary, latency) end
LUA
cat >"$WORK/login.lua" <<'LUA'
dofile(os.getenv("WORK") .. "/report.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("LOGIN_BODY")
done = function(summary, latency, requests) report(summary, latency) end
LUA
# Refresh: every thread holds a queue of live refresh tokens (one rotation chain per
# connection). A request takes a token; its response puts the rotated token back, so each
# chain is strictly sequential and never presents a token twice.
cat >"$WORK/refresh.lua" <<'LUA'
dofile(os.getenv("WORK") .. "/report.lua")
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
queue, starved, broken = {}, 0, 0
function init(args)
  local n, i = tonumber(os.getenv("WRK_THREADS")), 0
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    if i % n == id then table.insert(queue, line) end
    i = i + 1
  end
end
verified = false
function request()
  -- wrk calls request() once on thread 0 to check the request parses, before any
  -- connection exists: only peek then, or that thread would lose a chain.
  if id == 0 and not verified then
    verified = true
    return wrk.format("POST", "/auth/refresh", { ["Content-Type"] = "application/json" },
      '{"refresh_token":"' .. (queue[1] or "") .. '"}')
  end
  local token = table.remove(queue, 1)
  if token == nil then starved = starved + 1; token = "tdr_none" end
  return wrk.format("POST", "/auth/refresh", { ["Content-Type"] = "application/json" },
    '{"refresh_token":"' .. token .. '"}')
end
function response(status, headers, body)
  local token = status == 200 and body:match('"refresh_token":"([^"]+)"')
  if token then table.insert(queue, token) else broken = broken + 1 end
end
done = function(summary, latency, requests)
  local s, b = 0, 0
  for _, t in ipairs(threads) do s = s + t:get("starved"); b = b + t:get("broken") end
  report(summary, latency, string.format(" chains_broken=%d starved=%d", b, s))
end
LUA
export WORK TOKEN LOGIN_BODY

declare -A RESULT CPU
run_wrk() { # name threads conns secs path script [env...]
  local name=$1 threads=$2 conns=$3 secs=$4 path=$5 script=$6 before after
  log "$name: wrk -t$threads -c$conns -d${secs}s --latency $path"
  before=$(cpu_snapshot)
  timeout $((secs + 60)) env WRK_THREADS="$threads" wrk -t"$threads" -c"$conns" -d"${secs}s" \
    --timeout 10s --latency -s "$WORK/$script" "$BASE$path" | tee "$OUT/$name.txt"
  after=$(cpu_snapshot)
  RESULT[$name]=$(grep '^RESULT' "$OUT/$name.txt" | tail -1)
  CPU[$name]=$(cpu_report "$before" "$after" "$secs")
  echo "cores used: ${CPU[$name]}" | tee -a "$OUT/$name.txt"
}
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<" ${RESULT[$1]}"; }

run_wrk me_c100 2 100 "$DURATION" /auth/me get.lua
run_wrk me_c1000 2 1000 "$DURATION" /auth/me get.lua
run_wrk live_c100 2 100 10 /health/live get.lua # reference: the HTTP stack alone
run_wrk login_c$LOGIN_CONNS 2 "$LOGIN_CONNS" "$LOGIN_DURATION" /auth/login login.lua

log "logging in $REFRESH_CONNS sessions for the refresh chains"
seq "$REFRESH_CONNS" | timeout 120 xargs -P "$CORES" -I{} \
  curl -sf --max-time 30 -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$BASE/auth/login" |
  jq -r .refresh_token >"$WORK/tokens"
TOKENS_FILE=$WORK/tokens
export TOKENS_FILE
(($(wc -l <"$TOKENS_FILE") == REFRESH_CONNS)) || { echo "could not log in $REFRESH_CONNS sessions" >&2; exit 1; }
run_wrk refresh_c$REFRESH_CONNS 2 "$REFRESH_CONNS" "$DURATION" /auth/refresh refresh.lua

# --- summary ----------------------------------------------------------------------------
LOGIN_RATE=$(field "login_c$LOGIN_CONNS" rps)
OVERHEAD=$(awk -v b="$BCRYPT_RATE" -v l="$LOGIN_RATE" 'BEGIN { printf "%.1f", (b / l - 1) * 100 }')
{
  echo "| run | req/s | p50 ms | p99 ms | non-2xx | socket errors | cores used (total / tandem / postgres / redis / other) |"
  echo "|---|---|---|---|---|---|---|"
  for name in me_c100 me_c1000 live_c100 "login_c$LOGIN_CONNS" "refresh_c$REFRESH_CONNS"; do
    cpu=$(sed 's/[a-z()]*=//g; s/ / \/ /g' <<<"${CPU[$name]}")
    echo "| $name | $(field "$name" rps) | $(field "$name" p50_ms) | $(field "$name" p99_ms) | $(field "$name" non2xx) | $(field "$name" socket_errors) | $cpu |"
  done
  echo
  echo "machine: $CORES cores, load average before the runs: $LOAD0 (1/5/15 min)"
  echo "raw bcrypt verify, cost 12, $CORES threads: $BCRYPT_RATE/s"
  echo "login, cost 12, $LOGIN_CONNS connections: $LOGIN_RATE/s -> login adds $OVERHEAD% over bare bcrypt (target < 10%)"
  echo "refresh: $(grep -o 'chains_broken=[0-9]* starved=[0-9]*' <<<"${RESULT[refresh_c$REFRESH_CONNS]}")"
  me_rps=$(field me_c100 rps) me_p99=$(field me_c100 p99_ms)
  awk -v r="$me_rps" -v p="$me_p99" 'BEGIN { printf "/auth/me at 100 connections: %s req/s (target >= 15000), p99 %s ms (target < 20): %s\n", r, p, (r >= 15000 && p < 20) ? "met" : "NOT met" }'
  awk -v o="$OVERHEAD" 'BEGIN { printf "login overhead %s%% (target < 10%%): %s\n", o, (o < 10) ? "met" : "NOT met" }'
} | tee "$OUT/results.md"
