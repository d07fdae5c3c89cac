#!/usr/bin/env bash
# Benchmark of the CDR path (make bench; not a pass/fail test).
#
# In one run, against one private PostgreSQL and Redis (release builds):
#   1. baseline: the raw idempotent batch-INSERT rate of that PostgreSQL,
#      with the writer's own 100-row statement (cdr-load raw);
#   2. end to end: N FreeSWITCH-shaped CDRs POSTed by C concurrent HTTP
#      clients to cdr-collector -> Redis -> cdr-writer -> voip.cdr, and
#      per CDR the latency from its POST to its committed row.
#
#   bench/cdr-path.sh [N] [C]          (defaults: 100000, 64)
#   BENCH_WORKERS=2 BENCH_RAW_ROWS=200000 BENCH_ENCODING=json|form|base64
#   BENCH_NEW_CONNECTION=1   one TCP connection per CDR, as mod_json_cdr does
#   BENCH_RATE=10000         offer a fixed rate (CDR/s) instead of as fast as possible
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-100000}
C=${2:-64}
WORKERS=${BENCH_WORKERS:-2}
RAW_ROWS=${BENCH_RAW_ROWS:-200000}
ENC=${BENCH_ENCODING:-json}
NEWCONN=""
[ "${BENCH_NEW_CONNECTION:-0}" = 1 ] && NEWCONN=--new-connection
RATE=""
[ -n "${BENCH_RATE:-}" ] && RATE="--rate $BENCH_RATE"
export TANDEM_BIN=$ROOT/build/release/bin
export ASAN_OPTIONS=""
make -C "$ROOT" -s all >/dev/null || exit 1
. "$ROOT/tests/lib/harness.sh"
harness_init
start_pg
start_redis
migrate

log "1/2 baseline: $RAW_ROWS rows, idempotent 100-row INSERTs, 2 connections"
RAW=$("$BIN/cdr-load" raw --dsn "$PG_DSN" --rows "$RAW_ROWS" --batch 100 --concurrency 2)
echo "$RAW"
# Start phase 2 from a clean, checkpointed table so phase 1's aftermath
# (dirty buffers, autovacuum) is not billed to it.
psql_q "TRUNCATE voip.cdr" >/dev/null
psql_q "VACUUM ANALYZE voip.cdr" >/dev/null
pg_psql "$T/pg" "$PGPORT" -c "CHECKPOINT" >/dev/null 2>&1 || true

CDR_PORT=$(free_port)
daemon_conf cdr-writer <<EOF
[log]
level = info
[redis]
url = $REDIS_URL
[pg]
dsn = $PG_DSN
[writer]
workers = $WORKERS
EOF
daemon_conf cdr-collector <<EOF
[log]
level = info
[http]
listen = 127.0.0.1:$CDR_PORT
max_connections = 1024
[redis]
url = $REDIS_URL
EOF
start_daemon cdr-writer
start_daemon cdr-collector

# cpu_ticks PID...: user+system clock ticks used so far by those processes.
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat")))
	done
	echo "$t"
}
pg_pids() { pgrep -u "$(stat -c %U "$T/pg/data")" -f "postgres" | tr '\n' ' '; }
HZ=$(getconf CLK_TCK)
REDIS_PID=$(cat "$T/redis/redis.pid")
PIDS_PG=$(pg_pids)
c0_col=$(cpu_ticks "${DAEMON_PID[cdr-collector]}")
c0_wri=$(cpu_ticks "${DAEMON_PID[cdr-writer]}")
c0_red=$(cpu_ticks "$REDIS_PID")
c0_pg=$(cpu_ticks $PIDS_PG)

log "2/2 end to end: $N CDRs ($ENC), $C concurrent clients, $WORKERS writer workers"
TIMEFORMAT='%U %S'
exec 3>&1
LOAD_CPU=$( { time "$BIN/cdr-load" post --url "http://127.0.0.1:$CDR_PORT/cdr" \
	--template "$ROOT/tests/data/freeswitch/json_cdr/cgrates_2018_aleg_answered_compact.json" \
	--count "$N" --concurrency "$C" --threads 2 --encoding "$ENC" $NEWCONN $RATE \
	--acked "$T/acked.tsv" >"$T/load.out"; } 2>&1 )
LOAD=$(cat "$T/load.out")
echo "$LOAD"
drained() {
	[ "$(rcli LLEN tandem:cdr:queue)" = 0 ] &&
		[ -z "$(rcli --scan --pattern 'tandem:cdr:processing:*')" ]
}
wait_until 600 drained || die "queue did not drain"
sec() { awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }'; }
cpu_col=$(sec $(($(cpu_ticks "${DAEMON_PID[cdr-collector]}") - c0_col)))
cpu_wri=$(sec $(($(cpu_ticks "${DAEMON_PID[cdr-writer]}") - c0_wri)))
cpu_red=$(sec $(($(cpu_ticks "$REDIS_PID") - c0_red)))
cpu_pg=$(sec $(($(cpu_ticks $PIDS_PG) - c0_pg)))
cpu_load=$(awk '{ printf "%.1f", $1 + $2 }' <<<"$LOAD_CPU")
pg_psql "$T/pg" "$PGPORT" -c "CREATE TABLE acked (leg_uuid text, post_us bigint)" \
	-c "\\copy acked FROM '$T/acked.tsv'" >/dev/null || die "cannot load the acked list"
RES=$(psql_q "
WITH j AS (
  SELECT a.post_us, (extract(epoch FROM c.inserted_at) * 1000000)::bigint AS done_us
  FROM acked a JOIN voip.cdr c USING (leg_uuid))
SELECT count(*),
       round(count(*) / ((max(done_us) - min(post_us)) / 1e6)),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY done_us - post_us) / 1000)::numeric, 1),
       round((percentile_cont(0.99) WITHIN GROUP (ORDER BY done_us - post_us) / 1000)::numeric, 1),
       round(((max(done_us - post_us)) / 1000)::numeric, 1)
FROM j")
IFS='|' read -r rows rate p50 p99 pmax <<<"$RES"
missing=$(psql_q "SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT 1 FROM voip.cdr c WHERE c.leg_uuid = a.leg_uuid)")
raw_rate=$(grep -o 'rows_per_s=[0-9]*' <<<"$RAW" | cut -d= -f2)

cat <<EOF

## CDR path benchmark ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))

command: bench/cdr-path.sh $N $C   (BENCH_WORKERS=$WORKERS BENCH_ENCODING=$ENC BENCH_NEW_CONNECTION=${BENCH_NEW_CONNECTION:-0} BENCH_RATE=${BENCH_RATE:-unpaced})
PostgreSQL $(psql_q 'SHOW server_version'), Redis $(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2) (appendfsync always)

| measure | value |
|---|---|
| baseline: raw idempotent 100-row INSERT rate (2 connections) | $raw_rate rows/s |
| end to end: CDRs acknowledged and committed | $rows (missing: $missing) |
| end to end: rate, first POST to last commit | $rate CDR/s |
| end to end: latency POST -> committed row, p50 | $p50 ms |
| end to end: latency POST -> committed row, p99 | $p99 ms |
| end to end: latency POST -> committed row, max | $pmax ms |
| HTTP (client side) | $(grep -o 'http_p50_ms=[0-9.]*' <<<"$LOAD"), $(grep -o 'http_p99_ms=[0-9.]*' <<<"$LOAD") |
| CPU seconds: cdr-collector / cdr-writer / Redis / PostgreSQL / load generator | $cpu_col / $cpu_wri / $cpu_red / $cpu_pg / $cpu_load |

The load generator, both daemons, PostgreSQL and Redis share the same $(nproc) cores.
Latency is measured against voip.cdr.inserted_at (clock_timestamp() at insert, just before commit).
EOF
