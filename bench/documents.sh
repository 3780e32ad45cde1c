#!/usr/bin/env bash
# Document Service benchmark: GET /documents/{id} (cached and uncached), search, list and
# versioned updates with wrk against a release `tandem serve` on 127.0.0.1, over 100,000
# generated Markdown documents; then EXPLAIN (ANALYZE, BUFFERS) of the hot-path SQL.
#
#   bench/documents.sh        # about 6 minutes after the build
#
# Needs: cargo, wrk, curl, jq, psql, redis-cli, python3; PostgreSQL on 127.0.0.1:5432 (trust
# auth, user postgres) and Redis on 127.0.0.1:6379. It drops and recreates the database
# `tandem_docbench` (dropped again on exit unless KEEP_DB=1) and deletes the Redis keys
# under `docbench:`.
#
# Data: users are registered through the API (bcrypt cost 4: this measures documents, not
# logins); documents are loaded with COPY straight into documents.documents (plus one
# documents.versions row each) after the server has run its migrations:
#   heavy  owns 10,000 documents, and 2,000 more are shared with it (12,000 readable)
#   u01-u50 own 1,800 each; u01 also gets 200 shares (2,000 readable); 50,000 more shares
#           among u02-u50 (about one share per two documents), so the permission table is
#           not just the benchmark's rows
#
# Knobs (environment): PORT (18091), DURATION (10 s per GET/update run), LAT_DURATION (5 s
# per search/list run), LAT_CONNS (2: connections of the search/list latency runs),
# UPDATE_CONNS (32), SEARCH_WINDOW (1000: documents.search_window), OUT (target/bench-documents), KEEP_DB (0), SKIP_BUILD (0).
# Results: a table on stdout and in $OUT/results.md, raw wrk output in $OUT/*.txt, query
# plans in bench/results/explain.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18091}
HOST=127.0.0.1 # never anything else: this is a load generator
BASE="http://$HOST:$PORT"
DURATION=${DURATION:-10}
LAT_DURATION=${LAT_DURATION:-5}
LAT_CONNS=${LAT_CONNS:-2}
SEARCH_WINDOW=${SEARCH_WINDOW:-1000} # documents.search_window, for the server and the EXPLAINs
UPDATE_CONNS=${UPDATE_CONNS:-32}
OUT=${OUT:-target/bench-documents}
KEEP_DB=${KEEP_DB:-0}
DB=tandem_docbench
PREFIX=docbench:
DATA_DIR=/tmp/tandem-docbench
PASSWORD="correct horse battery staple"
LUA_DIR=$PWD/bench/documents
EXPLAIN_OUT=bench/results/explain.txt
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d "$DB")

for tool in cargo wrk curl jq psql redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "bench/documents.sh: $tool is required" >&2; exit 1; }
done

mkdir -p "$OUT" bench/results
WORK=$(mktemp -d)
SERVER_PID=
drop_redis_keys() {
  timeout 120 redis-cli -h 127.0.0.1 --scan --pattern "$PREFIX*" |
    timeout 120 xargs -r -n 500 redis-cli -h 127.0.0.1 DEL >/dev/null || true
}
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $KEEP_DB != 1 ]]; then
    psql -X -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" || true
    drop_redis_keys
  fi
  rm -rf "$WORK" "$DATA_DIR"
}
trap cleanup EXIT

log() { printf '\n== %s  (%s)\n' "$*" "$(date +%T)" >&2; }

if (($(ulimit -n) < 4096)); then
  hard=$(ulimit -Hn)
  if [[ $hard == unlimited ]] || ((hard >= 65536)); then ulimit -n 65536; else ulimit -n "$hard"; fi
fi

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  for _ in $(seq 120); do pgrep -x cargo >/dev/null || break; log "another cargo runs; waiting"; sleep 5; done
  log "building (release)"
  cargo build --release -j 2 -p tandem
fi

log "fresh database $DB and Redis prefix $PREFIX"
psql -X -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
psql -X -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $DB"
drop_redis_keys
rm -rf "$DATA_DIR"

# Something else listening there would answer our requests: refuse rather than measure it.
if curl -s -o /dev/null --max-time 2 "$BASE/health/live"; then
  echo "bench/documents.sh: $BASE already answers (another server?); set PORT" >&2
  exit 1
fi
log "starting tandem serve on $BASE"
TANDEM_SERVER__HOST=$HOST \
TANDEM_SERVER__PORT=$PORT \
TANDEM_SERVER__DATA_DIR=$DATA_DIR \
TANDEM_DATABASE__URL=postgres://postgres@127.0.0.1:5432/$DB \
TANDEM_REDIS__KEY_PREFIX=$PREFIX \
TANDEM_USERS__BCRYPT_COST=4 \
TANDEM_USERS__RATE_LIMIT__LOGIN_PER_MINUTE=0 \
TANDEM_USERS__RATE_LIMIT__REGISTER_PER_MINUTE=0 \
TANDEM_USERS__RATE_LIMIT__REFRESH_PER_MINUTE=0 \
TANDEM_USERS__RATE_LIMIT__USER_PER_MINUTE=0 \
TANDEM_DOCUMENTS__USER_PER_MINUTE=0 \
TANDEM_DOCUMENTS__SEARCH_WINDOW=$SEARCH_WINDOW \
TANDEM_LOG__LEVEL=warn \
  target/release/tandem serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
deadline=$((SECONDS + 60))
until kill -0 "$SERVER_PID" 2>/dev/null && curl -sf -o /dev/null "$BASE/health/ready" &&
  kill -0 "$SERVER_PID" 2>/dev/null; do
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited; see $OUT/server.log" >&2; exit 1; }
  ((SECONDS < deadline)) || { echo "server not ready after 60 s" >&2; exit 1; }
  sleep 0.2
done

# --- users (through the API) ------------------------------------------------------------
log "registering heavy and u01..u50"
declare -A UID_OF TOKEN_OF
register() { # username -> user id
  curl -sf --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"email\":\"$1@docbench.example.com\",\"username\":\"$1\",\"password\":\"$PASSWORD\",\"display_name\":\"Bench $1\"}" \
    "$BASE/auth/register" | jq -er .id
}
login() { # username -> access token
  curl -sf --max-time 10 -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" "$BASE/auth/login" | jq -er .access_token
}
USERS=(heavy $(printf 'u%02d ' $(seq 50)))
for u in "${USERS[@]}"; do UID_OF[$u]=$(register "$u"); done
HEAVY=${UID_OF[heavy]} U01=${UID_OF[u01]}

# --- documents (COPY, after the server migrated) ----------------------------------------
log "generating and loading 100,000 documents (2 parallel COPY streams)"
{
  echo "$HEAVY 10000"
  for u in "${USERS[@]:1}"; do echo "${UID_OF[$u]} 1800"; done
} >"$WORK/owners.txt"
load_part() {
  python3 bench/documents/gen_docs.py --owners "$WORK/owners.txt" --out /dev/stdout --seed 1 \
    --part "$1" --parts 2 |
    "${PSQL[@]}" -c "\copy documents.documents (id, owner_id, last_editor_id, title, content, created_at, updated_at) FROM STDIN"
}
load_part 0 & p0=$!
load_part 1 & p1=$!
wait "$p0"
wait "$p1"
"${PSQL[@]}" <<SQL
INSERT INTO documents.versions (document_id, version, title, content, author_id, created_at, diff)
SELECT id, 1, title, content, owner_id, created_at, '' FROM documents.documents;
-- 2,000 documents of others shared with heavy (mostly read), 200 with u01, 50,000 among u02-u50.
INSERT INTO documents.permissions (document_id, user_id, role, granted_by)
SELECT id, '$HEAVY', (ARRAY['read','read','read','write','admin'])[1 + (hashtext(id::text) & 4)], owner_id
FROM documents.documents WHERE owner_id <> '$HEAVY' ORDER BY md5(id::text) LIMIT 2000;
INSERT INTO documents.permissions (document_id, user_id, role, granted_by)
SELECT id, '$U01', 'read', owner_id
FROM documents.documents WHERE owner_id NOT IN ('$HEAVY', '$U01') ORDER BY md5(id::text || 'u01') LIMIT 200;
INSERT INTO documents.permissions (document_id, user_id, role, granted_by)
SELECT d.id, u.user_id, 'read', d.owner_id
FROM (SELECT id, owner_id, row_number() OVER (ORDER BY md5(id::text || 'x')) AS n
      FROM documents.documents WHERE owner_id NOT IN ('$HEAVY', '$U01')) d
JOIN (SELECT DISTINCT owner_id AS user_id, dense_rank() OVER (ORDER BY owner_id) AS k
      FROM documents.documents WHERE owner_id NOT IN ('$HEAVY', '$U01')) u
  ON u.k = 1 + (d.n % 49)
WHERE d.n <= 50000 AND u.user_id <> d.owner_id
ON CONFLICT DO NOTHING;
VACUUM ANALYZE documents.documents;
VACUUM ANALYZE documents.permissions;
VACUUM ANALYZE documents.versions;
SQL
"${PSQL[@]}" -At -F ' ' -c "SELECT 'documents', count(*), round(avg(length(content))), min(length(content)), max(length(content)),
  pg_size_pretty(pg_total_relation_size('documents.documents')) FROM documents.documents" \
  -c "SELECT 'permissions', count(*) FROM documents.permissions" \
  -c "SELECT 'versions', count(*) FROM documents.versions" | tee "$OUT/dataset.txt"

# --- wait for a quiet machine: no other benchmark (and no compiler) may share the 2 cores -----
busy() { pgrep -f 'bench/users.sh|wrk ' >/dev/null || pgrep -x rustc >/dev/null; }
for _ in $(seq 80); do
  busy || break
  log "another benchmark or build is running; waiting"
  sleep 15
done
busy && { echo "another benchmark or build still runs after 20 min" >&2; exit 1; }

# Access tokens last 15 minutes: log in only now, after any wait.
log "logging in"
for u in "${USERS[@]}"; do TOKEN_OF[$u]=$(login "$u"); done

# --- CPU accounting -------------------------------------------------------------------------
ticks_of() {
  local total=0 pid f
  for pid in "$@"; do
    f=$(cut -d' ' -f14,15 "/proc/$pid/stat" 2>/dev/null) || continue
    total=$((total + ${f% *} + ${f#* }))
  done
  echo "$total"
}
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
cpu_snapshot() {
  echo "$(busy_ticks) $(ticks_of "$SERVER_PID") $(ticks_of $(pgrep -x postgres))"
}
cpu_report() {
  read -r b0 t0 p0 <<<"$1"
  read -r b1 t1 p1 <<<"$2"
  awk -v hz="$(getconf CLK_TCK)" -v s="$3" -v b=$((b1 - b0)) -v t=$((t1 - t0)) -v p=$((p1 - p0)) \
    'BEGIN { f = hz * s; printf "%.2f / %.2f / %.2f / %.2f", b/f, t/f, p/f, (b-t-p)/f }'
}
cache_counts() { # "hits misses" of the document cache, from /metrics
  curl -sf --max-time 5 "$BASE/metrics" | awk '/document_cache_lookups/ && /cache="document"/ {
    if ($0 ~ /result="hit"/) h += $NF; else if ($0 ~ /result="miss"/) m += $NF } END { printf "%d %d", h, m }'
}

export LUA_DIR
declare -A RESULT CPU CACHE
NAMES=()
run_wrk() { # name threads conns secs path script token [VAR=value...]
  local name=$1 threads=$2 conns=$3 secs=$4 path=$5 script=$6 token=$7 before after c0 c1
  shift 7
  log "$name: wrk -t$threads -c$conns -d${secs}s $path ($script)"
  c0=$(cache_counts)
  before=$(cpu_snapshot)
  timeout $((secs + 60)) env "$@" WRK_THREADS="$threads" TOKEN="$token" \
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s -s "$LUA_DIR/$script" "$BASE$path" |
    tee "$OUT/$name.txt"
  after=$(cpu_snapshot)
  c1=$(cache_counts)
  RESULT[$name]=$(grep '^RESULT' "$OUT/$name.txt" | tail -1)
  CPU[$name]=$(cpu_report "$before" "$after" "$secs")
  read -r h0 m0 <<<"$c0"
  read -r h1 m1 <<<"$c1"
  CACHE[$name]="$((h1 - h0)) / $((m1 - m0))"
  NAMES+=("$name")
}
field() { sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<" ${RESULT[$1]}"; }

# --- a. GET /documents/{id} -------------------------------------------------------------------
"${PSQL[@]}" -At -c "SELECT id FROM documents.documents WHERE owner_id = '$HEAVY' ORDER BY id LIMIT 10" |
  sed 's|^|/documents/|' >"$WORK/hot.txt"
while read -r p; do # warm the cache
  curl -sf --max-time 5 -o /dev/null -H "Authorization: Bearer ${TOKEN_OF[heavy]}" "$BASE$p"
done <"$WORK/hot.txt"
run_wrk get_cached_c100 2 100 "$DURATION" /documents paths.lua "${TOKEN_OF[heavy]}" PATHS_FILE="$WORK/hot.txt"

# Uncached: every request a different document that was never read (each with its owner's
# token), 100,000 - 10 ids split between the wrk threads; a run far below 100,000 requests
# never repeats an id, so both the permission and the document lookups miss Redis.
for u in "${USERS[@]}"; do printf '%s\t%s\n' "${UID_OF[$u]}" "${TOKEN_OF[$u]}"; done >"$WORK/tokens.tsv"
"${PSQL[@]}" -At -F $'\t' -c "SELECT id, owner_id FROM documents.documents ORDER BY md5(id::text)" |
  awk -F'\t' 'NR == FNR { t[$1] = $2; next } { print "/documents/" $1 "\t" t[$2] }' "$WORK/tokens.tsv" - |
  grep -v -F -f "$WORK/hot.txt" >"$WORK/cold.txt"
run_wrk get_uncached_c100 2 100 "$DURATION" /documents paths.lua "${TOKEN_OF[heavy]}" PATHS_FILE="$WORK/cold.txt"
COLD_IDS=$(wc -l <"$WORK/cold.txt")

# --- b. search --------------------------------------------------------------------------------
declare -A QUERY=(
  [common]='project'
  [rare]='narwhal'
  [two_words]='budget review'
  [phrase]='"project team"'
  [or]='narwhal OR zirconium'
  [exclusion]='release -budget'
)
KINDS=(common rare two_words phrase or exclusion)
uri() { jq -rn --arg q "$1" '$q | @uri'; }
for u in heavy u01; do
  for k in "${KINDS[@]}"; do
    run_wrk "search_${u}_$k" 1 "$LAT_CONNS" "$LAT_DURATION" "/documents/search?q=$(uri "${QUERY[$k]}")" get.lua "${TOKEN_OF[$u]}"
  done
done

# --- c. list ----------------------------------------------------------------------------------
deep_cursor() { # sort -> the cursor of page 101 (5,000 rows in), following next_cursor
  local cursor="" page
  for _ in $(seq 100); do
    page=$(curl -sf --max-time 10 -H "Authorization: Bearer ${TOKEN_OF[heavy]}" \
      "$BASE/documents?limit=50&sort=$1${cursor:+&cursor=$cursor}")
    cursor=$(jq -er .next_cursor <<<"$page")
  done
  echo "$cursor"
}
for sort in updated_at title; do
  run_wrk "list_first_$sort" 1 "$LAT_CONNS" "$LAT_DURATION" "/documents?limit=50&sort=$sort" get.lua "${TOKEN_OF[heavy]}"
  cursor=$(deep_cursor "$sort")
  run_wrk "list_deep_$sort" 1 "$LAT_CONNS" "$LAT_DURATION" "/documents?limit=50&sort=$sort&cursor=$cursor" get.lua "${TOKEN_OF[heavy]}"
done

# --- d. updates -------------------------------------------------------------------------------
"${PSQL[@]}" -At -F ' ' -c "SELECT id, version FROM documents.documents WHERE owner_id = '$HEAVY'
  ORDER BY id DESC LIMIT $UPDATE_CONNS" >"$WORK/chains.txt"
run_wrk "update_c$UPDATE_CONNS" 2 "$UPDATE_CONNS" "$DURATION" /documents update.lua "${TOKEN_OF[heavy]}" CHAINS_FILE="$WORK/chains.txt"
CHAIN_IDS=$(awk '{printf "%s'\''%s'\''", (NR > 1 ? "," : ""), $1}' "$WORK/chains.txt")
UPDATE_CHECK=$("${PSQL[@]}" -At -F ' / ' -c "SELECT
  (SELECT sum(version - 1) FROM documents.documents WHERE id IN ($CHAIN_IDS)),
  (SELECT count(*) FROM documents.versions WHERE document_id IN ($CHAIN_IDS) AND version > 1)")

# --- EXPLAIN (ANALYZE, BUFFERS) of the hot-path SQL -----------------------------------------------
log "EXPLAIN (ANALYZE, BUFFERS) -> $EXPLAIN_OUT"
read -r DOC_OWNED DOC_SHARED <<<"$("${PSQL[@]}" -At -F ' ' -c "SELECT
  (SELECT id FROM documents.documents WHERE owner_id = '$HEAVY' ORDER BY md5(id::text) LIMIT 1),
  (SELECT document_id FROM documents.permissions WHERE user_id = '$HEAVY' ORDER BY md5(document_id::text) LIMIT 1)")"
# The deep-page keyset: the 5,000th row of heavy's list in each order.
IFS='|' read -r DEEP_AT DEEP_AT_ID <<<"$("${PSQL[@]}" -At -F '|' -c "SELECT updated_at, id FROM (
  SELECT d.updated_at, d.id FROM documents.documents d WHERE d.owner_id = '$HEAVY' AND d.deleted_at IS NULL
  UNION ALL SELECT d.updated_at, d.id FROM documents.permissions p JOIN documents.documents d ON d.id = p.document_id
  WHERE p.user_id = '$HEAVY' AND d.deleted_at IS NULL) x ORDER BY updated_at DESC, id DESC OFFSET 4999 LIMIT 1")"
read -r DEEP_TITLE_ID <<<"$("${PSQL[@]}" -At -c "SELECT id FROM (
  SELECT d.title, d.id FROM documents.documents d WHERE d.owner_id = '$HEAVY' AND d.deleted_at IS NULL
  UNION ALL SELECT d.title, d.id FROM documents.permissions p JOIN documents.documents d ON d.id = p.document_id
  WHERE p.user_id = '$HEAVY' AND d.deleted_at IS NULL) x ORDER BY title, id OFFSET 4999 LIMIT 1")"
DEEP_TITLE=$("${PSQL[@]}" -At -c "SELECT title FROM documents.documents WHERE id = '$DEEP_TITLE_ID'")

COLUMNS="id, owner_id, title, content, version, last_editor_id, is_template, created_at, updated_at, deleted_at"
list_sql() { # inner_order order page_filter -- store/documents.rs list(), Filter::All
  cat <<SQL
SELECT * FROM ((SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                 d.updated_at, d.deleted_at, 'owner' AS role
          FROM documents.documents d
          WHERE d.owner_id = \$1 AND d.deleted_at IS NULL AND $3
          ORDER BY $1 LIMIT \$2) UNION ALL (SELECT d.id, d.owner_id, d.title, d.version, d.last_editor_id, d.created_at,
                 d.updated_at, d.deleted_at, p.role
          FROM documents.permissions p
          JOIN documents.documents d ON d.id = p.document_id
          WHERE p.user_id = \$1 AND d.deleted_at IS NULL AND $3
          ORDER BY $1 LIMIT \$2)) AS page ORDER BY $2 LIMIT \$2
SQL
}
STX=$'\x02' ETX=$'\x03'
SEARCH_SQL="WITH matched AS (
             SELECT d.id, d.updated_at
             FROM documents.documents d
             WHERE d.readers @> ARRAY[\$1::uuid] AND d.deleted_at IS NULL
               AND d.search @@ websearch_to_tsquery('english', \$2)
             ORDER BY d.updated_at DESC, d.id DESC
             LIMIT \$3 + 1
         ),
         windowed AS (
             SELECT id FROM matched ORDER BY updated_at DESC, id DESC LIMIT \$3
         ),
         ranked AS (
             SELECT d.id, ts_rank_cd(d.search, websearch_to_tsquery('english', \$2)) AS rank
             FROM windowed JOIN documents.documents d ON d.id = windowed.id
             ORDER BY rank DESC, d.id
             LIMIT \$4 OFFSET \$5
         )
         SELECT d.id, d.title, d.updated_at, ranked.rank,
                (SELECT count(*) FROM matched) > \$3 AS truncated,
                CASE WHEN d.owner_id = \$1 THEN 'owner' ELSE p.role END AS role,
                ts_headline('english', d.content, websearch_to_tsquery('english', \$2),
                    'StartSel=\"$STX\", StopSel=\"$ETX\", MaxFragments=2, MaxWords=25, MinWords=8, FragmentDelimiter=\" … \"')
                    AS snippet
         FROM ranked
         JOIN documents.documents d ON d.id = ranked.id
         LEFT JOIN documents.permissions p ON p.document_id = d.id AND p.user_id = \$1
         ORDER BY ranked.rank DESC, ranked.id"
X="EXPLAIN (ANALYZE, BUFFERS, COSTS, TIMING)"
{
  echo "-- Document Service hot-path plans at 100,000 documents; generated by bench/documents.sh on $(date -u +%F)."
  echo "-- The statements are the store's SQL verbatim (crates/documents/src/store/{documents,search}.rs),"
  echo "-- PREPAREd with the parameter types sqlx sends and EXECUTEd with real values:"
  echo "-- heavy = $HEAVY (10,000 owned + 2,000 shared), u01 = $U01 (1,800 owned + 200 shared)."
  echo "-- Each plan is the 1st execution (custom plan); the 'generic plan' sections force the plan a"
  echo "-- long-lived pooled connection may switch to after 5 executions (plan_cache_mode = auto)."
  echo
  echo "-- dataset"
  cat "$OUT/dataset.txt"
} >"$EXPLAIN_OUT"
"${PSQL[@]}" -e >>"$EXPLAIN_OUT" 2>&1 <<SQL
PREPARE get_doc(uuid) AS SELECT $COLUMNS FROM documents.documents WHERE id = \$1;
PREPARE role_of(uuid, uuid) AS SELECT CASE WHEN d.owner_id = \$2 THEN 'owner' ELSE p.role END
         FROM documents.documents d
         LEFT JOIN documents.permissions p ON p.document_id = d.id AND p.user_id = \$2
         WHERE d.id = \$1 AND d.deleted_at IS NULL;
PREPARE list_updated_first(uuid, bigint, timestamptz, uuid, text) AS
$(list_sql "d.updated_at DESC, d.id DESC" "updated_at DESC, id DESC" "TRUE");
PREPARE list_updated_deep(uuid, bigint, timestamptz, uuid, text) AS
$(list_sql "d.updated_at DESC, d.id DESC" "updated_at DESC, id DESC" "(d.updated_at, d.id) < (\$3, \$4)");
PREPARE list_title_first(uuid, bigint, timestamptz, uuid, text) AS
$(list_sql "d.title ASC, d.id ASC" "title ASC, id ASC" "TRUE");
PREPARE list_title_deep(uuid, bigint, timestamptz, uuid, text) AS
$(list_sql "d.title ASC, d.id ASC" "title ASC, id ASC" "(d.title, d.id) > (\$5, \$4)");
PREPARE search(uuid, text, bigint, bigint, bigint) AS
$SEARCH_SQL;

-- ===== get by id (documents::get)
$X EXECUTE get_doc('$DOC_OWNED');
-- ===== role_of, owner
$X EXECUTE role_of('$DOC_OWNED', '$HEAVY');
-- ===== role_of, shared via documents.permissions
$X EXECUTE role_of('$DOC_SHARED', '$HEAVY');
-- ===== list, heavy, sort=updated_at, first page (limit 50 + 1)
$X EXECUTE list_updated_first('$HEAVY', 51, NULL, NULL, NULL);
-- ===== list, heavy, sort=updated_at, deep page (5,000 rows in)
$X EXECUTE list_updated_deep('$HEAVY', 51, '$DEEP_AT', '$DEEP_AT_ID', NULL);
-- ===== list, heavy, sort=title, first page
$X EXECUTE list_title_first('$HEAVY', 51, NULL, NULL, NULL);
-- ===== list, heavy, sort=title, deep page (5,000 rows in)
$X EXECUTE list_title_deep('$HEAVY', 51, NULL, '$DEEP_TITLE_ID', \$t\$$DEEP_TITLE\$t\$);
$(for u in heavy u01; do for k in "${KINDS[@]}"; do
  echo "-- ===== search, $u, $k: ${QUERY[$k]}"
  echo "$X EXECUTE search('${UID_OF[$u]}', \$q\$${QUERY[$k]}\$q\$, $SEARCH_WINDOW, 21, 0);"
done; done)
SET plan_cache_mode = force_generic_plan;
-- ===== generic plan: role_of, shared
$X EXECUTE role_of('$DOC_SHARED', '$HEAVY');
-- ===== generic plan: list, heavy, sort=updated_at, deep page
$X EXECUTE list_updated_deep('$HEAVY', 51, '$DEEP_AT', '$DEEP_AT_ID', NULL);
-- ===== generic plan: list, heavy, sort=title, deep page
$X EXECUTE list_title_deep('$HEAVY', 51, NULL, '$DEEP_TITLE_ID', \$t\$$DEEP_TITLE\$t\$);
-- ===== generic plan: search, heavy, common: ${QUERY[common]}
$X EXECUTE search('$HEAVY', \$q\$${QUERY[common]}\$q\$, $SEARCH_WINDOW, 21, 0);
-- ===== generic plan: search, u01, common: ${QUERY[common]}
$X EXECUTE search('$U01', \$q\$${QUERY[common]}\$q\$, $SEARCH_WINDOW, 21, 0);
RESET plan_cache_mode;
-- ===== hits per search query (readable by the user / in the whole table)
$(for k in "${KINDS[@]}"; do
  echo "SELECT '$k' AS query, count(*) FILTER (WHERE owner_id = '$HEAVY' OR id IN (SELECT document_id FROM documents.permissions WHERE user_id = '$HEAVY')) AS heavy,
  count(*) FILTER (WHERE owner_id = '$U01' OR id IN (SELECT document_id FROM documents.permissions WHERE user_id = '$U01')) AS u01,
  count(*) AS all_users FROM documents.documents WHERE deleted_at IS NULL AND search @@ websearch_to_tsquery('english', \$q\$${QUERY[$k]}\$q\$);"
done)
SQL
SEQ_SCANS=$(grep -E 'Seq Scan on (documents|permissions)' "$EXPLAIN_OUT" | sort | uniq -c || true)

# --- summary ------------------------------------------------------------------------------------
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v + 0 < t + 0) ? "met" : "NOT met" }'; }
{
  echo "| run | conns | req/s | p50 ms | p95 ms | p99 ms | non-2xx | socket errors | doc cache hit / miss | cores (total / tandem / postgres / other) | target |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  for name in "${NAMES[@]}"; do
    conns=$(sed -n 's/^ *[0-9]* threads and \([0-9]*\) connections.*/\1/p' "$OUT/$name.txt")
    case $name in
      get_cached*) target="≥ 10,000 req/s and p99 < 20 ms: $(awk -v r="$(field "$name" rps)" -v p="$(field "$name" p99_ms)" 'BEGIN { print (r >= 10000 && p < 20) ? "met" : "NOT met" }')" ;;
      search_*) target="p95 < 50 ms: $(verdict "$(field "$name" p95_ms)" 50)" ;;
      list_*) target="p95 < 20 ms: $(verdict "$(field "$name" p95_ms)" 20)" ;;
      *) target="(report)" ;;
    esac
    [[ $(field "$name" non2xx) == 0 ]] || target="INVALID: non-2xx answers"
    echo "| $name | $conns | $(field "$name" rps) | $(field "$name" p50_ms) | $(field "$name" p95_ms) | $(field "$name" p99_ms) | $(field "$name" non2xx) | $(field "$name" socket_errors) | ${CACHE[$name]} | ${CPU[$name]} | $target |"
  done
  echo
  echo "uncached GET: $(field get_uncached_c100 requests) requests over $COLD_IDS distinct never-read ids$(
    awk -v r="$(field get_uncached_c100 requests)" -v n="$COLD_IDS" 'BEGIN { if (r > n) print " (MORE requests than ids: some were cached)" }')"
  echo "updates: $(grep -o 'chains_broken=[0-9]* starved=[0-9]*' <<<"${RESULT[update_c$UPDATE_CONNS]}"); versions added (sum of version - 1, new version rows): $UPDATE_CHECK"
  echo "search queries: $(for k in "${KINDS[@]}"; do printf '%s=%s; ' "$k" "${QUERY[$k]}"; done)"
  echo "seq scans on documents.documents / documents.permissions in $EXPLAIN_OUT: ${SEQ_SCANS:-none}"
} | tee "$OUT/results.md"
