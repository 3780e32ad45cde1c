#!/usr/bin/env bash
# Collaboration Service benchmark: bench/collab's load generator (collab-load) against one
# or two release `tandem serve` processes on 127.0.0.1, every change committed to
# PostgreSQL before its ack. Scenarios S1-S5 of the Collaboration Service issue; see
# docs/performance.md for the figures and what they mean.
#
#   bench/collab.sh              # every scenario (about 25 minutes after the build)
#   bench/collab.sh s1 s2        # some of them: s1 s1x2 s1knee s2 s3 s4 s4knee s5
#
# Needs: cargo, psql, curl; PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres) and
# Redis on 127.0.0.1:6379. It drops and recreates the database `tandem_bench_collab` and
# uses the Redis prefix `benchcollab:`. Knobs (environment): DURATION (20, seconds measured
# per run), OUT (target/bench-collab), NO_BUILD=1, PROFILE=1 (perf record the server
# during S4, into $OUT/s4.perf.txt), TANDEM_BIN (the server binary, default
# target/release/tandem: point it at a saved build to compare two commits).
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=127.0.0.1 # never anything else: this is a load generator
PORTS=(18090 18091)
DURATION=${DURATION:-20}
OUT=${OUT:-target/bench-collab}
TANDEM_BIN=${TANDEM_BIN:-./target/release/tandem}
DB=tandem_bench_collab
PREFIX=benchcollab:
mkdir -p "$OUT"
WORK=$(mktemp -d)
# The generator shares the cores with the server and PostgreSQL; it must keep its own
# schedule (its lag p99 is reported, and a run counts only under 2 ms), so it runs at a
# higher priority when it may (root).
NICE=""
if [[ $(id -u) == 0 ]]; then NICE="nice -n -10"; fi
PIDS=()

for tool in cargo psql curl; do
  command -v "$tool" >/dev/null || { echo "bench/collab.sh: $tool is required" >&2; exit 1; }
done

# 10,000 sockets need 10,000 descriptors on each side.
hard=$(ulimit -Hn)
if [[ $hard == unlimited ]] || ((hard >= 24000)); then ulimit -n 24000; else ulimit -n "$hard"; fi
echo "ulimit -n $(ulimit -n)" >&2

stop_servers() {
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() { stop_servers; rm -rf "$WORK"; }
trap cleanup EXIT

if [[ ! ${NO_BUILD:-} ]]; then
  cargo build --release --locked -p tandem -p tandem-collab-bench
fi

# Starts `count` instances on a fresh database and Redis prefix.
start_servers() {
  local count=$1
  stop_servers
  psql -q -h $HOST -U postgres -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  redis-cli -h $HOST --scan --pattern "${PREFIX}*" | xargs -r redis-cli -h $HOST del >/dev/null || true
  rm -rf "$WORK/data"
  for ((i = 0; i < count; i++)); do
    env ${SERVER_ENV:-} TANDEM_SERVER__HOST=$HOST TANDEM_SERVER__PORT=${PORTS[$i]} \
      TANDEM_SERVER__DATA_DIR="$WORK/data" \
      TANDEM_DATABASE__URL="postgres://postgres@$HOST:5432/$DB" \
      TANDEM_REDIS__KEY_PREFIX=$PREFIX \
      TANDEM_LOG__LEVEL=warn \
      TANDEM_USERS__BCRYPT_COST=4 \
      TANDEM_USERS__RATE_LIMIT__LOGIN_PER_MINUTE=0 \
      TANDEM_USERS__RATE_LIMIT__REGISTER_PER_MINUTE=0 \
      TANDEM_USERS__RATE_LIMIT__USER_PER_MINUTE=0 \
      TANDEM_DOCUMENTS__USER_PER_MINUTE=0 \
      TANDEM_COLLAB__MAX_CONNECTIONS_PER_USER=100000 \
      TANDEM_COLLAB__MAX_PARTICIPANTS=100000 \
      TANDEM_COLLAB__MAX_WRITERS=100000 \
      TANDEM_COLLAB__CHANGES_PER_SECOND=1000 \
      TANDEM_COLLAB__CHANGES_BURST=1000 \
      "$TANDEM_BIN" serve >"$OUT/server$i.log" 2>&1 &
    PIDS+=($!)
    if ((i == 0)); then
      for _ in $(seq 100); do curl -sf "http://$HOST:${PORTS[0]}/health/ready" >/dev/null && break; sleep 0.2; done
    fi
  done
  for ((i = 0; i < count; i++)); do
    for _ in $(seq 100); do curl -sf "http://$HOST:${PORTS[$i]}/health/ready" >/dev/null && break; sleep 0.2; done
  done
}

urls() {
  local count=$1 list=""
  for ((i = 0; i < count; i++)); do list+="${list:+,}http://$HOST:${PORTS[$i]}"; done
  echo "$list"
}

# run NAME INSTANCES [collab-load args...]
run() {
  local name=$1 instances=$2
  shift 2
  start_servers "$instances"
  local pids
  pids=$(IFS=,; echo "${PIDS[*]}")
  echo "== $name" >&2
  $NICE ./target/release/collab-load --scenario "$name" --url "$(urls "$instances")" \
    --server-pids "$pids" --duration "$DURATION" --json "$OUT/results.jsonl" "$@" | tee -a "$OUT/results.txt"
}

# The last run's broadcast p-quantile (index 1: p95, 2: p99), in ms.
last_broadcast() { tail -n 1 "$OUT/results.jsonl" | sed -E 's/.*"broadcast_ms":\[([^]]*)\].*/\1/' | cut -d, -f"$(($1 + 1))"; }

s1() { run S1 1 --clients 1000 --docs 100 --rate 2 --connect 5; }
s1x2() { run S1-two-instances 2 --clients 1000 --docs 100 --rate 2 --connect 5; }
s2() { run S2 1 --clients 50 --docs 1 --rate 2; }
s3() { DURATION=5 run S3 1 --clients 10000 --docs 1000 --rate 0 --connect 40 --warmup 5; }
s4() {
  if [[ ${PROFILE:-} ]]; then
    # The server starts inside `run`: find it once it is up and the load is on.
    ( sleep 45; pid=$(pgrep -f -n "tandem serve") &&
      perf record -e cpu-clock -F 499 -g -p "$pid" -o "$OUT/s4.perf" -- sleep 10 >/dev/null 2>&1 || true ) &
  fi
  run S4 1 --clients 10000 --docs 1000 --rate 1 --connect 40
  if [[ ${PROFILE:-} && -f $OUT/s4.perf ]]; then
    perf report -i "$OUT/s4.perf" --no-children --percent-limit 1 --stdio >"$OUT/s4.perf.txt" 2>/dev/null || true
  fi
}
# The highest per-client rate still inside the target (S1: p99 < 20 ms; S4: p99 < 50 ms).
knee() {
  local name=$1 target=$2
  shift 2
  for rate in "$@"; do
    if [[ $name == S1 ]]; then
      run "S1-knee-$rate" 1 --clients 1000 --docs 100 --rate "$rate" --connect 5
    else
      run "S4-knee-$rate" 1 --clients 10000 --docs 1000 --rate "$rate" --connect 40
    fi
    local p99
    p99=$(last_broadcast 2)
    echo "   $name at $rate/s per client: broadcast p99 $p99 ms" | tee -a "$OUT/results.txt"
    awk -v p="$p99" -v t="$target" 'BEGIN { exit !(p > t) }' && break
    true
  done
}
s1knee() { knee S1 20 3 4 6 8; }
# S4 at 1 op/s is past what two shared cores hold: walk up from below to the knee.
s4knee() { knee S4 50 0.25 0.5 0.6 0.7 0.8 0.9; }
# S5: one document, more and more authors at 1 op/s, 20 full observers measuring.
s5() {
  for authors in 50 100 200 300 400 500 600 800 1000; do
    run "S5-$authors" 1 --clients "$authors" --observers 20 --docs 1 --rate 1 --authors-track-lengths --connect 5
    local p95
    p95=$(last_broadcast 1)
    echo "   S5 with $authors authors: broadcast p95 $p95 ms" | tee -a "$OUT/results.txt"
    awk -v p="$p95" 'BEGIN { exit !(p > 100) }' && break
  done
}

scenarios=("$@")
((${#scenarios[@]})) || scenarios=(s1 s1x2 s2 s3 s4 s1knee s4knee s5)
: >"$OUT/results.txt"
: >"$OUT/results.jsonl"
uname -a >>"$OUT/results.txt"
grep -m1 "model name" /proc/cpuinfo >>"$OUT/results.txt" || true
for scenario in "${scenarios[@]}"; do "$scenario"; done
echo "results: $OUT/results.txt and $OUT/results.jsonl" >&2
